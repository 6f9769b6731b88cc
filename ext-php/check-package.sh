#!/bin/sh
# Check that package.xml lists every file a PECL build and its tests need
# (config.m4, ext-php sources, the core's sources and headers, the tests,
# their workers and pysdk/) and nothing that is gone. Run it after adding or
# removing files; prints each difference and exits 1 if there is one.
set -eu
cd "$(dirname "$0")/.."
listed=$(sed -n 's/.*<file name="\([^"]*\)".*/\1/p' package.xml)
wanted=$(
  ls config.m4 ext-php/*.c ext-php/*.h ext-php/Makefile.frag ext-php/multiverse.stub.php \
     ext-php/gen_arginfo.sh ext-php/run-tests.sh ext-php/README.md \
     core/include/*.h core/src/*.c core/src/*.h core/sources.txt core/supervisor-cc.sh ext-php/tests/*.phpt ext-php/tests/*.inc
  find ext-php/tests/workers ext-php/tests/pysdk -type f ! -path '*__pycache__*'
)
status=0
for f in $wanted; do
  printf '%s\n' "$listed" | grep -qxF "$f" || { echo "not in package.xml: $f"; status=1; }
done
for f in $listed; do
  [ -e "$f" ] || { echo "in package.xml but missing: $f"; status=1; }
done
# The version is written once, in the core's header; package.xml must
# repeat it (pecl reads it from there).
version=$(sed -n 's/^#define MV_VERSION_STRING "\(.*\)"$/\1/p' core/include/multiverse.h)
for tag in release api; do
  grep -q "<$tag>$version</$tag>" package.xml ||
    { echo "package.xml: <$tag> is not $version (MV_VERSION_STRING)"; status=1; }
done
[ $status = 0 ] && echo "package.xml lists every file"
exit $status
