#!/usr/bin/env bash
# Every test of Kintsugi: formatting and lints, the Rust workspace (unit,
# end-to-end over loopback, CLI, crash tests, the export loaded by JavaScript
# Automerge), then the generated Python, Kotlin and Swift bindings. Installs
# what the tests need (npm packages, Debian packages) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
# A second Automerge implementation (JavaScript) for the export interop test.
KINTSUGI_AUTOMERGE_JS="$(bash scripts/automerge-interop.sh)"
export KINTSUGI_AUTOMERGE_JS
cargo build --workspace --locked
cargo test --workspace --locked 2>&1 | tee target/rust-tests.log

echo "== cargo bench --no-run (the criterion benches build; CI never times them)"
# In the dev profile, on the test build's artifacts: whether they build is
# all CI asks, and the bench profile's fat-LTO build cost 5 to 9 minutes of
# the 45 the whole command may take (the fuzz step needs them).
cargo bench --no-run --profile dev -p kintsugi-tests --locked

echo "== fuzz (short): every door's fuzz target for 10 s from its corpus (docs/fuzzing.md)"
bash scripts/fuzz-short.sh

echo "== public Kotlin/Swift API against mobile/api/ (update: bash mobile/scripts/check-api.sh --update)"
KINTSUGI_SKIP_BUILD=1 bash mobile/scripts/check-api.sh

echo "== binding tests"
bash mobile/scripts/run-binding-tests.sh 2>&1 | tee target/binding-tests.log

read -r rust_passed rust_failed < <(awk '/^test result:/ {
    for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) }
  } END { print p + 0, f + 0 }' target/rust-tests.log)
read -r bind_passed bind_failed < <(tail -n 1 target/binding-tests.log | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
echo "rust: ${rust_passed} passed, ${rust_failed} failed"
echo "bindings: ${bind_passed} passed, ${bind_failed} failed"
echo "total: $((rust_passed + bind_passed)) passed, $((rust_failed + bind_failed)) failed"
