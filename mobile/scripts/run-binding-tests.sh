#!/usr/bin/env bash
# Runs the binding tests of kintsugi-mobile against the real UniFFI-generated
# bindings: Python (unittest), Kotlin on the desktop JVM (plain main() over
# JNA), and a C syntax check of the Swift FFI header (Swift itself cannot be
# compiled here).
#
# Usage: mobile/scripts/run-binding-tests.sh        (from any directory)
#
# Environment:
#   CARGO_TARGET_DIR     cargo's target directory (default: <repo>/target)
#   KINTSUGI_PROFILE     debug (default) or release
#   KINTSUGI_SKIP_BUILD  1 = do not run cargo; use the library and the
#                        uniffi-bindgen binary already in $CARGO_TARGET_DIR/$KINTSUGI_PROFILE
#   KINTSUGI_JNA_JAR     JNA jar (default: /usr/share/java/jna.jar, from Debian's libjna-java)
#
# Missing tools are installed on first use (as root, or through `sudo -n`):
# Debian's libjna-java, default-jre-headless (if `java` is missing) and npm (if
# missing), and the npm package kotlin-compiler@2.4.20 under
# $CARGO_TARGET_DIR/tools/kotlin. The Kotlin jar is recompiled only when a
# source changed.
#
# The last line printed is always `N passed, M failed`, counting the Python
# tests, the Kotlin tests and the Swift header check; the exit status is
# non-zero if anything failed.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/paths.sh"
BINDINGS="$TARGET_DIR/bindings"
TOOLS="$TARGET_DIR/tools"
KOTLIN_VERSION="2.4.20"
JNA_JAR="${KINTSUGI_JNA_JAR:-/usr/share/java/jna.jar}"
STEP_TIMEOUT=900 # seconds, bound on each test run

PASSED=0
FAILED=0
SUMMARY_PRINTED=0

section() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf 'ERROR: %s\n' "$*" >&2; }

summary() {
    SUMMARY_PRINTED=1
    echo
    echo "$PASSED passed, $FAILED failed"
}

# Whatever stops the script early (a failed build, a failed generation),
# the last line is still the summary, with that stop counted as a failure.
on_exit() {
    local rc=$?
    if [ "$SUMMARY_PRINTED" = 0 ]; then
        warn "stopped early (exit status $rc)"
        FAILED=$((FAILED + 1))
        summary
        exit 1
    fi
}
trap on_exit EXIT

# Runs a command as root: directly, or through `sudo -n`.
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

APT_UPDATED=0
# apt_install WHY PACKAGE...: installs Debian packages or explains what to install.
apt_install() {
    local why="$1"
    shift
    note "installing $* ($why)"
    if ! as_root true 2>/dev/null; then
        warn "$why: not root and no password-less sudo; install it yourself: apt-get install -y $*"
        return 1
    fi
    mkdir -p "$BINDINGS"
    local log="$BINDINGS/apt.log"
    if [ "$APT_UPDATED" = 0 ]; then
        as_root apt-get update -qq >>"$log" 2>&1 || { tail -n 20 "$log" >&2; warn "apt-get update failed"; return 1; }
        APT_UPDATED=1
    fi
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        warn "$why: 'apt-get install -y $*' failed"
        return 1
    fi
}

# ---------------------------------------------------------------------------
section "Build (profile $PROFILE, target $TARGET_DIR)"
start=$SECONDS
if [ "${KINTSUGI_SKIP_BUILD:-0}" = 1 ]; then
    note "KINTSUGI_SKIP_BUILD=1: using what is already built"
else
    case "$PROFILE" in
    debug) profile_flag="" ;;
    release) profile_flag="--release" ;;
    *)
        warn "KINTSUGI_PROFILE must be debug or release, not '$PROFILE'"
        exit 1
        ;;
    esac
    # shellcheck disable=SC2086 # empty or one word
    CARGO_TARGET_DIR="$TARGET_DIR" cargo build -q $profile_flag -p kintsugi-mobile -p uniffi-bindgen
fi
[ -f "$LIB" ] || { warn "no library at $LIB"; exit 1; }
[ -x "$BINDGEN" ] || { warn "no uniffi-bindgen at $BINDGEN"; exit 1; }
note "library: $LIB ($((SECONDS - start)) s)"

# ---------------------------------------------------------------------------
section "Generate bindings into $BINDINGS"
for lang in python kotlin swift; do
    rm -rf "${BINDINGS:?}/$lang"
    "$BINDGEN" generate --library "$LIB" --language "$lang" --out-dir "$BINDINGS/$lang" --no-format >/dev/null
    note "$lang: $(cd "$BINDINGS/$lang" && find . -type f | sort | tr '\n' ' ')"
done
# The generated Python module loads libkintsugi_mobile.so from its own directory.
cp -f "$LIB" "$BINDINGS/python/"

# ---------------------------------------------------------------------------
section "Python tests (unittest)"
start=$SECONDS
py_log="$BINDINGS/python-tests.log"
py_rc=0
(
    cd "$ROOT/mobile/tests/python"
    KINTSUGI_PYTHON_BINDINGS="$BINDINGS/python" PYTHONDONTWRITEBYTECODE=1 \
        timeout "$STEP_TIMEOUT" python3 -m unittest -v
) 2>&1 | tee "$py_log" || py_rc=$?

# unittest ends with "Ran N tests" and "OK" or "FAILED (failures=x, errors=y, ...)".
count_of() { grep -oE "$1=[0-9]+" "$py_log" | tail -n 1 | cut -d= -f2 || true; }
py_ran="$(grep -oE '^Ran [0-9]+ tests?' "$py_log" | tail -n 1 | grep -oE '[0-9]+' || true)"
py_ran="${py_ran:-0}"
py_failures="$(count_of failures)"
py_errors="$(count_of errors)"
py_skipped="$(count_of skipped)"
py_unexpected="$(count_of 'unexpected successes')"
py_failed=$((${py_failures:-0} + ${py_errors:-0} + ${py_unexpected:-0}))
py_passed=$((py_ran - py_failed - ${py_skipped:-0}))
if [ "$py_rc" != 0 ] && [ "$py_failed" = 0 ]; then
    warn "python3 -m unittest exited with $py_rc"
    py_failed=1
fi
if [ "$py_ran" = 0 ] && [ "$py_failed" = 0 ]; then
    warn "no Python test ran"
    py_failed=1
fi
PASSED=$((PASSED + py_passed))
FAILED=$((FAILED + py_failed))
note "python: $py_passed passed, $py_failed failed ($((SECONDS - start)) s)"

# ---------------------------------------------------------------------------
section "Kotlin tests (JVM + JNA)"
start=$SECONDS

# Puts java, JNA and kotlinc in place; sets KOTLINC and COROUTINES_JAR.
kotlin_tools() {
    if ! command -v java >/dev/null 2>&1; then
        apt_install "java is missing" default-jre-headless || return 1
    fi
    if [ ! -f "$JNA_JAR" ]; then
        [ "$JNA_JAR" = /usr/share/java/jna.jar ] || { warn "KINTSUGI_JNA_JAR=$JNA_JAR does not exist"; return 1; }
        apt_install "JNA is missing" libjna-java || return 1
        [ -f "$JNA_JAR" ] || { warn "libjna-java installed but $JNA_JAR is still missing"; return 1; }
    fi
    local pkg="$TOOLS/kotlin/node_modules/kotlin-compiler"
    local have=""
    [ -f "$pkg/package.json" ] && have="$(grep -oE '"version": *"[^"]+"' "$pkg/package.json" | head -n 1 | grep -oE '[0-9][^"]*' || true)"
    if [ "$have" != "$KOTLIN_VERSION" ]; then
        if ! command -v npm >/dev/null 2>&1; then
            apt_install "npm is missing (needed for kotlin-compiler)" npm || return 1
        fi
        note "installing kotlin-compiler@$KOTLIN_VERSION from npm into $TOOLS/kotlin"
        mkdir -p "$TOOLS/kotlin"
        npm install --prefix "$TOOLS/kotlin" --no-audit --no-fund --loglevel=error "kotlin-compiler@$KOTLIN_VERSION" || {
            warn "'npm install kotlin-compiler@$KOTLIN_VERSION' failed"
            return 1
        }
    fi
    KOTLINC="$(find "$pkg" -type f -path '*/bin/kotlinc' | head -n 1)"
    COROUTINES_JAR="$(find "$pkg" -type f -name 'kotlinx-coroutines-core*.jar' ! -name '*sources*' | sort | head -n 1)"
    [ -n "$KOTLINC" ] || { warn "no bin/kotlinc inside $pkg"; return 1; }
    [ -n "$COROUTINES_JAR" ] || { warn "no kotlinx-coroutines-core jar inside $pkg"; return 1; }
    note "java: $(command -v java); JNA: $JNA_JAR"
    note "kotlinc: $KOTLINC"
    note "coroutines: $COROUTINES_JAR"
}

# Compiles the generated bindings and the test into one jar, unless nothing changed.
kotlin_compile() {
    local generated test_src jar stamp want
    generated="$(find "$BINDINGS/kotlin" -type f -name '*.kt' | sort)"
    [ -n "$generated" ] || { warn "no generated Kotlin under $BINDINGS/kotlin"; return 1; }
    test_src="$ROOT/mobile/tests/kotlin/CompanionTest.kt"
    jar="$BINDINGS/kotlin-tests.jar"
    stamp="$jar.sha256"
    # shellcheck disable=SC2086 # one path per line, no spaces in them
    want="$( { cat $generated "$test_src"; echo "$KOTLINC $COROUTINES_JAR $JNA_JAR"; } | sha256sum | cut -d' ' -f1)"
    if [ -f "$jar" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        note "kotlin-tests.jar is up to date"
        return 0
    fi
    note "compiling kotlin-tests.jar (slow the first time)"
    rm -f "$jar" "$stamp"
    local log="$BINDINGS/kotlinc.log" rc=0
    # shellcheck disable=SC2086
    "$KOTLINC" -nowarn -include-runtime -cp "$COROUTINES_JAR:$JNA_JAR" -d "$jar" $generated "$test_src" \
        >"$log" 2>&1 || rc=$?
    if [ "$rc" != 0 ] || [ ! -f "$jar" ]; then
        head -n 40 "$log"
        warn "kotlinc failed with $(grep -c 'error:' "$log" || true) errors (whole log: $log)"
        if grep -qE '(ambiguity|[Cc]onflicting declarations).*' "$log" &&
            grep -qE '^\s*(val `?message`?|.*value\.`message`)' "$log"; then
            warn "the generated Kotlin does not compile because an error variant has a field named" \
                "'message', which clashes with Throwable.message (UniFFI issue mozilla/uniffi-rs#2065)." \
                "Mark KintsugiError #[uniffi(flat_error)] or rename the field (mobile/src/error.rs)."
        fi
        return 1
    fi
    echo "$want" >"$stamp"
}

kt_log="$BINDINGS/kotlin-tests.log"
kt_passed=0
kt_failed=0
if kotlin_tools && kotlin_compile; then
    kt_rc=0
    timeout "$STEP_TIMEOUT" java -Djna.library.path="$LIB_DIR" \
        -cp "$BINDINGS/kotlin-tests.jar:$COROUTINES_JAR:$JNA_JAR" CompanionTestKt 2>&1 | tee "$kt_log" || kt_rc=$?
    kt_line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$kt_log" | tail -n 1 || true)"
    if [ -n "$kt_line" ]; then
        kt_passed="${kt_line%% passed*}"
        kt_failed="${kt_line#*passed, }"
        kt_failed="${kt_failed%% failed*}"
    fi
    if [ "$kt_rc" != 0 ] && [ "$kt_failed" = 0 ]; then
        warn "the Kotlin tests exited with $kt_rc"
        kt_failed=1
    fi
    if [ "$kt_passed" = 0 ] && [ "$kt_failed" = 0 ]; then
        warn "no Kotlin test ran"
        kt_failed=1
    fi
else
    warn "the Kotlin tests could not be built (see above)"
    kt_failed=1
fi
PASSED=$((PASSED + kt_passed))
FAILED=$((FAILED + kt_failed))
note "kotlin: $kt_passed passed, $kt_failed failed ($((SECONDS - start)) s)"

# ---------------------------------------------------------------------------
section "Swift bindings (C header check; Swift is not compiled here)"
swift_check() {
    local header modulemap swift_src declared missing
    header="$(find "$BINDINGS/swift" -type f -name '*.h' | head -n 1)"
    modulemap="$(find "$BINDINGS/swift" -type f -name '*.modulemap' | head -n 1)"
    swift_src="$(find "$BINDINGS/swift" -type f -name '*.swift' | head -n 1)"
    [ -n "$header" ] || { warn "no generated header"; return 1; }
    [ -n "$modulemap" ] || { warn "no generated modulemap"; return 1; }
    [ -n "$swift_src" ] || { warn "no generated Swift source"; return 1; }
    note "header: $header"
    # _Nullable/_Nonnull are clang's nullability qualifiers, unknown to gcc.
    # The header is included twice to exercise its include guards.
    printf '#include "%s"\n#include "%s"\n' "$(basename "$header")" "$(basename "$header")" |
        gcc -fsyntax-only -x c -std=c11 -Wall -Wextra -Wpedantic -Werror \
            -D_Nullable= -D_Nonnull= -D_Null_unspecified= -I "$(dirname "$header")" - || {
        warn "gcc rejects $header"
        return 1
    }
    # Every function the header declares must be exported by the library.
    if command -v nm >/dev/null 2>&1; then
        declared="$(grep -oE '\b(uniffi|ffi)_kintsugi_mobile_[A-Za-z0-9_]+\(' "$header" | tr -d '(' | sort -u)"
        missing="$(comm -23 <(echo "$declared") <(nm -D --defined-only "$LIB" | awk '{print $NF}' | sort -u))"
        if [ -n "$missing" ]; then
            warn "declared in the header but not exported by $LIB:"
            echo "$missing" >&2
            return 1
        fi
        note "$(echo "$declared" | wc -l) functions declared, all exported by the library"
    fi
}
if swift_check; then
    PASSED=$((PASSED + 1))
    note "swift header: ok"
else
    FAILED=$((FAILED + 1))
    note "swift header: FAILED"
fi

# ---------------------------------------------------------------------------
section "Summary"
note "python $py_passed/$((py_passed + py_failed)), kotlin $kt_passed/$((kt_passed + kt_failed)), swift header $([ "$FAILED" -gt $((py_failed + kt_failed)) ] && echo 0/1 || echo 1/1)"
summary
[ "$FAILED" = 0 ]
