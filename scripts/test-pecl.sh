#!/usr/bin/env bash
# The PECL path, as a user takes it: `pecl package` makes the tarball from
# package.xml, `pecl install` builds and installs it, and a smoke script
# runs against the installed extension. The extension is uninstalled again
# at the end. Needs root (pecl installs into PHP's extension dir).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d /tmp/multiverse-pecl.XXXXXX)
cleanup() {
  pecl uninstall multiverse >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

ext-php/check-package.sh
(cd "$work" && pecl package "$root/package.xml" >package.log 2>&1) ||
  { cat "$work/package.log"; exit 1; }
tgz=$(ls "$work"/multiverse-*.tgz)
echo "== $(basename "$tgz") packaged; installing"
pecl uninstall multiverse >/dev/null 2>&1 || true
if ! pecl install "$tgz" >"$work/install.log" 2>&1 </dev/null; then
  tail -n 40 "$work/install.log"
  exit 1
fi
extdir=$(php-config --extension-dir)
[[ -f $extdir/multiverse.so ]] || { echo "pecl did not install $extdir/multiverse.so"; exit 1; }
php -d extension=multiverse.so scripts/pecl-smoke.php
