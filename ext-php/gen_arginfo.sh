#!/bin/sh
# Regenerate multiverse_arginfo.h from multiverse.stub.php with php-src's
# gen_stub.php. gen_stub.php loads nikic/php-parser from a directory next to
# itself (and downloads it when missing); this wrapper runs a copy of it
# beside a link to the system's php-parser (Debian: php-parser, under
# /usr/share/php/PhpParser), so nothing is ever downloaded.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
php_config=${PHP_CONFIG:-php-config}
gen_stub=${GEN_STUB:-/usr/lib/php/$($php_config --phpapi)/build/gen_stub.php}
parser=${PHP_PARSER_DIR:-/usr/share/php/PhpParser}
[ -f "$gen_stub" ] || { echo "gen_arginfo.sh: gen_stub.php not found (php-dev)" >&2; exit 1; }
[ -d "$parser" ] || { echo "gen_arginfo.sh: $parser not found (apt-get install php-parser)" >&2; exit 1; }
version=$(sed -n 's/.*\$version = "\([0-9.]*\)".*/\1/p' "$gen_stub" | head -n 1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$gen_stub" "$tmp/gen_stub.php"
mkdir -p "$tmp/PHP-Parser-$version/lib"
ln -s "$parser" "$tmp/PHP-Parser-$version/lib/PhpParser"
php "$tmp/gen_stub.php" -f "$here/multiverse.stub.php"
