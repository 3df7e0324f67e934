#!/usr/bin/env bash
# Builds the sample therapist summary in docs/sample-summary/ from the demo
# couple (tests/src/bin/summary-sample.rs), through the real CLI, and renders
# its HTML page in headless Chromium to a PNG, so a reader can see what the
# therapist gets:
#
#   docs/render-summary.sh [OUT_DIR]     (default: docs/sample-summary)
#
# Ana prepares it: June to August 2026, every kind of shared record, and two
# of her private entries chosen by id (one journal entry, one note). It also
# seals the same summary to a fresh age recipient and checks, with the
# reference `age` tool a therapist would use, that it is binary age, opens
# with the matching identity to the same page, and not with another.
#
# Needs Debian's `chromium` and `age` (installed with apt-get when missing,
# as root).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/docs/sample-summary}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v age-keygen >/dev/null 2>&1 || missing+=(age)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing Debian's ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "run as root, or install them yourself: apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cd "$root"
cargo build -q -p kintsugi-cli --bin kintsugi
cargo build -q -p kintsugi-tests --bin summary-sample
target="${CARGO_TARGET_DIR:-$root/target}/debug"

"$target/summary-sample" "$work/couple" >"$work/private.txt"
journal=$(awk '$1 == "private" && $4 == "2026-07-18" { print $2 }' "$work/private.txt")
note=$(awk '$1 == "private" && $3 == "note" { print $2 }' "$work/private.txt")
[ -n "$journal" ] && [ -n "$note" ] || { echo "the sample printed no private ids" >&2; exit 1; }

kintsugi() {
    env -u KINTSUGI_PASSPHRASE -u KINTSUGI_DATA_DIR TZ=Europe/Berlin \
        "$target/kintsugi" --data-dir "$work/couple/ana" \
        --key-file "$work/couple/ana.key" "$@"
}
common=(summary --from 2026-06-01 --until 2026-08-31 --kinds all
        --private-entry "$journal" --private-entry "${note:0:12}"
        --time-zone Europe/Berlin)

kintsugi "${common[@]}" --out "$work/plain" >/dev/null 2>&1

# The sealed variant: binary age, nothing readable, opened by the identity.
age-keygen -o "$work/therapist.key" 2>/dev/null
age-keygen -o "$work/stranger.key" 2>/dev/null
recipient=$(age-keygen -y "$work/therapist.key")
kintsugi "${common[@]}" --to "$recipient" --out "$work/sealed" >/dev/null
head -c 21 "$work/sealed/summary.html.age" | grep -q 'age-encryption.org/v1' \
    || { echo "the sealed page is not an age file" >&2; exit 1; }
if grep -q 'Summary for the therapist' "$work/sealed/summary.html.age" \
        "$work/sealed/summary.md.age"; then
    echo "the sealed files hold readable text" >&2
    exit 1
fi
age -d -i "$work/therapist.key" "$work/sealed/summary.md.age" >"$work/opened.md"
# Only the preparation time may differ (the two runs are a moment apart).
diff <(grep -v '^Prepared by' "$work/opened.md") \
     <(grep -v '^Prepared by' "$work/plain/summary.md") >/dev/null \
    || { echo "the sealed summary opened to something else" >&2; exit 1; }
if age -d -i "$work/stranger.key" "$work/sealed/summary.md.age" >/dev/null 2>&1; then
    echo "another identity opened the sealed summary" >&2
    exit 1
fi

mkdir -p "$out"
cp "$work/plain/summary.md" "$out/summary.md"
cp "$work/plain/summary.html" "$out/summary.html"
# A fresh profile each time; no network is needed (the page loads nothing).
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$work/chromium" --force-device-scale-factor=1 \
    --screenshot="$out/summary.png" --window-size=1200,2400 \
    "file://$out/summary.html" >/dev/null 2>&1
[ -s "$out/summary.png" ] || { echo "chromium wrote no screenshot" >&2; exit 1; }
echo "wrote $out/summary.md, summary.html and summary.png"
