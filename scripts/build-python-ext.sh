#!/bin/sh
# Build the Python package (multiverse and multiverse._core) out of tree
# with Debian's /usr/bin/python3 and print the directory to put on
# PYTHONPATH.
#
#   scripts/build-python-ext.sh BUILD_DIR
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-/usr/bin/python3}
build=$1
rm -rf "$build"
mkdir -p "$build"
build=$(cd "$build" && pwd)
cd "$root"
"$python" setup.py -q build --build-base "$build" --build-lib "$build/lib" >"$build/build.log" 2>&1 || {
  tail -n 40 "$build/build.log" >&2
  echo "build-python-ext.sh: build failed" >&2
  exit 1
}
echo "$build/lib"
