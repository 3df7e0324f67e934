#!/usr/bin/env bash
# Builds the Android library (AAR) of Kintsugi: the native library for
# arm64-v8a, armeabi-v7a and x86_64, the generated Kotlin bindings (package
# app.kintsugi, with `android = true`), and the small hand-written
# KintsugiAndroid.kt, packed by Gradle from mobile/android/.
#
# NEEDS THE ANDROID NDK: it cannot run in this repository's CI (Linux without
# the NDK). On a developer machine:
#   - the NDK (r26 or later) in $ANDROID_NDK_HOME, and the Android SDK in
#     $ANDROID_HOME (for Gradle);
#   - cargo-ndk:            cargo install cargo-ndk
#   - the Rust targets:     rustup target add aarch64-linux-android \
#                               armv7-linux-androideabi x86_64-linux-android
#   - JDK 17 and Gradle 8.7 or later on PATH (`gradle`).
#
# Usage: mobile/scripts/build-android.sh         (from any directory)
# Output: target/android/kintsugi-release.aar
#
# Environment:
#   KINTSUGI_CARGO_PROFILE  cargo profile of the native library (default
#                           `mobile`: the release profile tuned for size, see
#                           the workspace Cargo.toml)
#   KINTSUGI_MIN_SDK        minSdk / the NDK platform level (default 26)
#   CARGO_TARGET_DIR        cargo's target directory (default <repo>/target)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PROFILE="${KINTSUGI_CARGO_PROFILE:-mobile}"
MIN_SDK="${KINTSUGI_MIN_SDK:-26}"
MODULE="$ROOT/mobile/android"
OUT="$TARGET_DIR/android"

need() { command -v "$1" >/dev/null 2>&1 || { echo "ERROR: $1 is missing: $2" >&2; exit 1; }; }
need cargo-ndk "cargo install cargo-ndk"
need gradle "install Gradle 8.7+ (or run ./gradlew from an Android project that includes mobile/android)"
[ -n "${ANDROID_NDK_HOME:-}" ] || { echo "ERROR: set ANDROID_NDK_HOME to the NDK" >&2; exit 1; }

echo "==> native libraries (profile $PROFILE, API $MIN_SDK)"
JNI_LIBS="$OUT/jniLibs"
rm -rf "$JNI_LIBS"
cargo ndk --platform "$MIN_SDK" -t arm64-v8a -t armeabi-v7a -t x86_64 -o "$JNI_LIBS" \
    build --profile "$PROFILE" --locked -p kintsugi-mobile
ls -l "$JNI_LIBS"/*/libkintsugi_mobile.so

echo "==> Kotlin bindings (android = true)"
# Generated from the host build: a stripped library carries no UniFFI
# metadata, and the API is the same on every target.
cargo build --locked -p kintsugi-mobile -p uniffi-bindgen
HOST_LIB="$(ls "$TARGET_DIR"/debug/libkintsugi_mobile.{so,dylib} 2>/dev/null | head -n 1)"
CONFIG="$OUT/uniffi-android.toml"
mkdir -p "$OUT"
cat >"$CONFIG" <<'EOF'
# Overrides mobile/uniffi.toml for the Android build only.
[crates.kintsugi_mobile.bindings.kotlin]
android = true
EOF
KOTLIN_OUT="$OUT/kotlin"
rm -rf "$KOTLIN_OUT"
"$TARGET_DIR/debug/uniffi-bindgen" generate --library "$HOST_LIB" --language kotlin \
    --config "$CONFIG" --out-dir "$KOTLIN_OUT"

echo "==> AAR (Gradle)"
(
    cd "$MODULE"
    gradle --no-daemon -q assembleRelease \
        -PkintsugiJniLibs="$JNI_LIBS" -PkintsugiBindings="$KOTLIN_OUT" -PkintsugiMinSdk="$MIN_SDK"
)
cp "$MODULE/build/outputs/aar/"*-release.aar "$OUT/kintsugi-release.aar"
echo "built $OUT/kintsugi-release.aar"
