#!/bin/sh
# Build the Python package from scratch and run its tests.
#
# Uses Debian's /usr/bin/python3 (override with PYTHON=...), which needs the
# apt packages python3-dev python3-pytest python3-setuptools python3-psutil
# libcjson-dev pkg-config and a C compiler (gcc). The build goes to a temp
# dir and the tests import it from there, so the source tree stays clean.
# Extra arguments are passed to pytest; when they name test files or
# node ids, only those run (default: all of ext-python/tests).
set -eu

PYTHON=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=$(mktemp -d "${TMPDIR:-/tmp}/multiverse-pybuild.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT INT TERM

cd "$ROOT"
"$PYTHON" setup.py -q build --build-base "$BUILD" --build-lib "$BUILD/lib" >"$BUILD/build.log" 2>&1 || {
    cat "$BUILD/build.log" >&2
    echo "run-tests.sh: build failed" >&2
    exit 1
}
TARGET="$HERE/tests"
for arg in "$@"; do
    case "$arg" in
        -*) ;;
        *) if [ -e "${arg%%::*}" ]; then TARGET=""; fi ;;
    esac
done
PYTHONPATH="$BUILD/lib${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m pytest -q -p no:cacheprovider \
    $TARGET "$@"
