# Sourced by the mobile scripts: the repository root and where the host
# build of the library and of uniffi-bindgen are (CARGO_TARGET_DIR,
# KINTSUGI_PROFILE = debug or release).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
PROFILE="${KINTSUGI_PROFILE:-debug}"
LIB_DIR="$TARGET_DIR/$PROFILE"
LIB="$LIB_DIR/libkintsugi_mobile.so"
BINDGEN="$LIB_DIR/uniffi-bindgen"
