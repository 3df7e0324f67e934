#!/usr/bin/env bash
# Installs the JavaScript Automerge package (a second Automerge implementation
# for tests/tests/interop.rs) under target/tools/automerge-js and prints the
# directory. Needs node and npm (installs Debian's npm when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=3.5.0
DIR="$PWD/target/tools/automerge-js"
if [ ! -f "$DIR/node_modules/@automerge/automerge/package.json" ] ||
   ! grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/@automerge/automerge/package.json"; then
    if ! command -v npm >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ]; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >&2
        else
            echo "npm is missing: apt-get install npm" >&2
            exit 1
        fi
    fi
    mkdir -p "$DIR"
    npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error "@automerge/automerge@$VERSION" >&2
fi
echo "$DIR"
