#!/bin/sh
# Build the multiverse extension from a clean copy of the sources in a
# temporary directory (phpize + configure + make, as pecl does) and run the
# phpt tests in ext-php/tests against it.
#
#   ext-php/run-tests.sh [run-tests.php options...] [tests...]
#
# Environment:
#   PHP, PHPIZE, PHP_CONFIG   tools to use (default: from PATH)
#   MV_BUILD_DIR              build here instead of a fresh temp dir (kept)
#   MV_JOBS                   parallel test jobs (default: number of CPUs)
#   MV_ALLOW_SKIP=1           do not fail when a test is skipped
#   MULTIVERSE_CONTAINMENT    force the core's tier: subreaper or cgroup
#
# Needs: php8.2-dev php8.2-cli libcjson-dev pkg-config python3 (Debian).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
php=${PHP:-php}
phpize=${PHPIZE:-phpize}
php_config=${PHP_CONFIG:-php-config}
jobs=${MV_JOBS:-$(nproc 2>/dev/null || echo 1)}

if [ -n "${MV_BUILD_DIR:-}" ]; then
  build=$MV_BUILD_DIR
  rm -rf "$build"
  mkdir -p "$build"
else
  build=$(mktemp -d "${TMPDIR:-/tmp}/multiverse-ext.XXXXXX")
  trap 'rm -rf "$build"' EXIT
fi

# What pecl would unpack: config.m4 at the top, the extension, the core.
mkdir -p "$build/ext-php" "$build/core"
cp "$root/config.m4" "$build/"
cp "$here"/*.c "$here"/*.h "$here/Makefile.frag" "$build/ext-php/"
cp -R "$root/core/include" "$root/core/src" "$root/core/sources.txt" "$root/core/supervisor-cc.sh" "$build/core/"

echo "== building in $build"
(
  cd "$build"
  "$phpize" >build.log 2>&1
  ./configure --with-php-config="$(command -v "$php_config")" --enable-multiverse >>build.log 2>&1
  make -j"$jobs" >>build.log 2>&1
) || { tail -n 40 "$build/build.log"; echo "== build failed" >&2; exit 1; }
so="$build/modules/multiverse.so"
"$php" -d extension="$so" -r 'exit(extension_loaded("multiverse") ? 0 : 1);' ||
  { echo "== $so does not load" >&2; exit 1; }

run_tests=${RUN_TESTS:-/usr/lib/php/$("$php_config" --phpapi)/build/run-tests.php}
[ -f "$run_tests" ] || run_tests="$("$php_config" --prefix)/lib/php/build/run-tests.php"

export NO_INTERACTION=1
export TEST_PHP_EXECUTABLE="$(command -v "$php")"
[ $# -gt 0 ] || set -- "$here/tests"
out="$build/run-tests.out"
status=0
"$php" "$run_tests" -q --show-diff -j"$jobs" -d extension="$so" "$@" 2>&1 | tee "$out" || true
# run-tests.php exits non-zero on failures, but the pipe hides it: read the
# summary instead.
failed=$(sed -n 's/^Tests failed *: *\([0-9]*\).*/\1/p' "$out" | tail -n 1)
skipped=$(sed -n 's/^Tests skipped *: *\([0-9]*\).*/\1/p' "$out" | tail -n 1)
passed=$(sed -n 's/^Tests passed *: *\([0-9]*\).*/\1/p' "$out" | tail -n 1)
borked=$(grep -c '^BORK' "$out" || true)
if [ -z "$passed" ] || [ "${failed:-0}" != 0 ] || [ "$borked" != 0 ]; then
  status=1
fi
if [ "${skipped:-0}" != 0 ] && [ "${MV_ALLOW_SKIP:-0}" != 1 ]; then
  echo "== $skipped test(s) skipped: every test is expected to run here" >&2
  status=1
fi
# The tests' private registry directories are empty once their workers are gone.
rmdir "${TMPDIR:-/tmp}"/mv-phpt-* 2>/dev/null || true
[ $status = 0 ] && echo "== all tests passed" || echo "== TESTS FAILED" >&2
exit $status
