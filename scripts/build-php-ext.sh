#!/bin/sh
# Build the multiverse PHP extension out of tree, the way pecl does
# (phpize + configure + make on a clean copy of config.m4, ext-php/ and
# core/), and print the path of the built multiverse.so on stdout.
#
#   scripts/build-php-ext.sh [BUILD_DIR]
#
# BUILD_DIR is emptied and reused (default: a fresh temporary directory,
# which the caller removes). Build output goes to BUILD_DIR/build.log; on
# failure its tail is printed on stderr and the exit status is 1.
#
# Environment: PHP, PHPIZE, PHP_CONFIG (default: from PATH), MV_JOBS.
# Needs: php8.2-dev php8.2-cli libcjson-dev pkg-config (Debian).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
php=${PHP:-php}
phpize=${PHPIZE:-phpize}
php_config=${PHP_CONFIG:-php-config}
jobs=${MV_JOBS:-$(nproc 2>/dev/null || echo 1)}

if [ $# -gt 0 ]; then
  build=$1
  rm -rf "$build"
  mkdir -p "$build"
else
  build=$(mktemp -d "${TMPDIR:-/tmp}/multiverse-ext.XXXXXX")
fi
build=$(cd "$build" && pwd)

# What pecl would unpack: config.m4 at the top, the extension, the core.
mkdir -p "$build/ext-php" "$build/core"
cp "$root/config.m4" "$build/"
cp "$root"/ext-php/*.c "$root"/ext-php/*.h "$root/ext-php/Makefile.frag" "$build/ext-php/"
cp -R "$root/core/include" "$root/core/src" "$root/core/sources.txt" "$root/core/supervisor-cc.sh" "$build/core/"

(
  cd "$build"
  "$phpize" >build.log 2>&1
  ./configure --with-php-config="$(command -v "$php_config")" --enable-multiverse >>build.log 2>&1
  make -j"$jobs" >>build.log 2>&1
) || { tail -n 40 "$build/build.log" >&2; echo "build of the PHP extension failed in $build" >&2; exit 1; }

so="$build/modules/multiverse.so"
"$php" -n -d extension="$so" -r 'exit(extension_loaded("multiverse") ? 0 : 1);' ||
  { echo "$so does not load" >&2; exit 1; }
echo "$so"
