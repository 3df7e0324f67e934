#!/usr/bin/env bash
# Checks the public Kotlin and Swift API of kintsugi-mobile against the golden
# copies in mobile/api/ (kintsugi.kt.api, kintsugi.swift.api).
#
# The bindings are generated with the workspace's uniffi-bindgen from the
# built library (as the apps get them), then reduced to their public
# signatures by mobile/scripts/api-dump.py. Any difference fails with a
# unified diff: either the change was not meant (fix the Rust side), or it
# was, and the golden copies are updated in the same commit with
#
#     bash mobile/scripts/check-api.sh --update
#
# Environment:
#   CARGO_TARGET_DIR     cargo's target directory (default: <repo>/target)
#   KINTSUGI_PROFILE     debug (default) or release
#   KINTSUGI_SKIP_BUILD  1 = use the library and uniffi-bindgen already built
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/paths.sh"
GOLDEN="$ROOT/mobile/api"
WORK="$TARGET_DIR/bindings/api-check"

update=0
case "${1:-}" in
--update) update=1 ;;
"") ;;
*)
    echo "usage: $0 [--update]" >&2
    exit 2
    ;;
esac

if [ "${KINTSUGI_SKIP_BUILD:-0}" != 1 ]; then
    flag=""
    [ "$PROFILE" = release ] && flag="--release"
    # shellcheck disable=SC2086 # empty or one word
    CARGO_TARGET_DIR="$TARGET_DIR" cargo build -q $flag -p kintsugi-mobile -p uniffi-bindgen
fi
[ -f "$LIB" ] || { echo "ERROR: no library at $LIB" >&2; exit 1; }
[ -x "$BINDGEN" ] || { echo "ERROR: no uniffi-bindgen at $BINDGEN" >&2; exit 1; }

rm -rf "$WORK"
mkdir -p "$WORK"
for lang in kotlin swift; do
    "$BINDGEN" generate --library "$LIB" --language "$lang" --out-dir "$WORK/$lang" --no-format >/dev/null
done
python3 "$ROOT/mobile/scripts/api-dump.py" kotlin "$WORK/kotlin/app/kintsugi/kintsugi_mobile.kt" >"$WORK/kintsugi.kt.api"
python3 "$ROOT/mobile/scripts/api-dump.py" swift "$WORK/swift/Kintsugi.swift" >"$WORK/kintsugi.swift.api"

if [ "$update" = 1 ]; then
    mkdir -p "$GOLDEN"
    cp "$WORK/kintsugi.kt.api" "$WORK/kintsugi.swift.api" "$GOLDEN/"
    echo "updated $GOLDEN/kintsugi.kt.api and $GOLDEN/kintsugi.swift.api: review and commit them"
    exit 0
fi

status=0
for api in kintsugi.kt.api kintsugi.swift.api; do
    if [ ! -f "$GOLDEN/$api" ]; then
        echo "ERROR: mobile/api/$api is missing" >&2
        status=1
    elif ! diff -u --label "mobile/api/$api (golden)" --label "$api (generated now)" \
        "$GOLDEN/$api" "$WORK/$api"; then
        status=1
    fi
done
if [ "$status" != 0 ]; then
    cat >&2 <<EOF

ERROR: the public Kotlin/Swift API differs from the golden copy in mobile/api/
(diff above: '-' is the golden copy, '+' what the library exports now).
If the change is intended, update the golden copy and commit it with the change:

    bash mobile/scripts/check-api.sh --update
EOF
    exit 1
fi
echo "public API matches mobile/api/ (Kotlin $(grep -c . "$GOLDEN/kintsugi.kt.api") lines, Swift $(grep -c . "$GOLDEN/kintsugi.swift.api") lines)"
