#!/usr/bin/env bash
# The long fuzz run (docs/fuzzing.md): every target in turn for
# KINTSUGI_FUZZ_SECONDS (default 480) at the lowest priority, from a copy of
# its committed corpus and regression inputs, in a work directory
# (KINTSUGI_FUZZ_WORK, default /tmp/kintsugi-fuzz-long): corpus/<target>/
# grows there, logs/<target>.log holds libFuzzer's output (its last lines
# give executions, cov and ft), artifacts/<target>/ what crashed.
#
#   bash scripts/fuzz-long.sh            # AddressSanitizer: needs nightly
#   bash scripts/fuzz-long.sh none       # no sanitizer: stable works
#
# Each target runs in libFuzzer's fork mode, which goes on after a crash,
# a hang or an out-of-memory and keeps each input, so one finding does not
# end that target's time. A second run continues from the grown corpus.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${KINTSUGI_FUZZ_SECONDS:-480}"
sanitizer="${1:-address}"
work="${KINTSUGI_FUZZ_WORK:-/tmp/kintsugi-fuzz-long}"
cargo_fuzz=(cargo fuzz)
if [ "$sanitizer" != none ]; then
  cargo_fuzz=(cargo +nightly fuzz)
fi
flags=(-s "$sanitizer")
# KINTSUGI_FUZZ_CGU=16 reuses the short run's build (scripts/fuzz-short.sh).
if [ -n "${KINTSUGI_FUZZ_CGU:-}" ]; then
  flags+=(--codegen-units "$KINTSUGI_FUZZ_CGU")
fi

nice -n 19 "${cargo_fuzz[@]}" build "${flags[@]}"
mkdir -p "$work/logs"
for target in $(cargo fuzz list); do
  mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
  for kind in corpus regressions; do
    if [ -d "$kind/$target" ]; then
      cp -rn "$kind/$target"/. "$work/corpus/$target"/
    fi
  done
  echo "-- $target (${seconds}s) $(date -u +%H:%M:%S)"
  nice -n 19 "${cargo_fuzz[@]}" run "${flags[@]}" "$target" "$work/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -artifact_prefix="$work/artifacts/$target/" \
    >"$work/logs/$target.log" 2>&1 || echo "$target: libFuzzer exited with $?"
  grep -E '^#[0-9]+' "$work/logs/$target.log" | tail -n 1 || true
  echo "corpus: $(find "$work/corpus/$target" -type f | wc -l) files, artifacts: $(find "$work/artifacts/$target" -type f | wc -l)"
done
