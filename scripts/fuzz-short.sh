#!/usr/bin/env bash
# The short fuzz run of the test command (docs/fuzzing.md): builds every
# fuzz target with libFuzzer's coverage instrumentation and runs each for a
# bounded time from a copy of its committed corpus and regression inputs
# (the committed files never change). Fails on any crash, hang or
# out-of-memory; what crashed is kept under fuzz/artifacts/<target>/.
#
# Works on the stable toolchain: without a sanitizer (`-s none`) cargo-fuzz
# passes rustc only stable flags. KINTSUGI_FUZZ_SECONDS sets the time per
# target (default 10: the cold build takes most of this step's ~8 minutes
# on two cores; the long run is scripts/fuzz-long.sh).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${KINTSUGI_FUZZ_SECONDS:-10}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# 16 codegen units: the cold build of automerge, iroh and age with coverage
# instrumentation takes a fraction of the time of cargo-fuzz's default of 1,
# for somewhat slower runs, which a few seconds do not notice.
flags=(-s none --codegen-units 16)
cargo fuzz build "${flags[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
for target in $(cargo fuzz list); do
  mkdir -p "$work/$target"
  for kind in corpus regressions; do
    if [ -d "$kind/$target" ]; then
      cp "$kind/$target"/. "$work/$target"/ -r
    fi
  done
  mkdir -p "artifacts/$target"
  echo "-- $target (${seconds}s)"
  # -timeout: an input taking this long is a finding (a door must answer
  # quickly); -rss_limit_mb: so is one that makes the process this large.
  if ! cargo fuzz run "${flags[@]}" "$target" "$work/$target" -- \
      -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
      -print_final_stats=1 2>"$work/$target.log"; then
    failed+=("$target")
    tail -n 60 "$work/$target.log"
  fi
  grep -E '^(Done|stat::number_of_executed_units|#[0-9]+ +DONE)' "$work/$target.log" || true
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}; inputs under fuzz/artifacts/ (add them to fuzz/regressions/<target>/)"
  exit 1
fi
echo "fuzz: every target ran ${seconds}s without a crash"
