#!/bin/sh
# Run the Laravel bridge's PHPUnit tests: build the multiverse extension out
# of tree (scripts/build-php-ext.sh, as pecl would), then drive a minimal
# Laravel application (tests/fixtures/app) through real `php artisan`
# processes with that extension loaded.
#
#   laravel/run-tests.sh [phpunit options...]      e.g. --filter ClearCommand
#
# Environment:
#   MULTIVERSE_EXTENSION=/path/multiverse.so   use this build, skip building
#   PHP, PHPUNIT                               tools (default: php, phpunit)
#
# Needs (Debian 12): php8.2-cli php8.2-dev libcjson-dev pkg-config
#   php-laravel-framework phpunit php8.2-sqlite3 python3 python3-venv
#   redis-server php-redis (the Redis queue tests start their own server)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
php=${PHP:-php}
phpunit=${PHPUNIT:-$(command -v phpunit || true)}

missing=""
[ -n "$phpunit" ] || missing="$missing phpunit"
[ -f /usr/share/php/Illuminate/Foundation/Application.php ] || missing="$missing php-laravel-framework"
"$php" -r 'exit(extension_loaded("pdo_sqlite") ? 0 : 1);' || missing="$missing php8.2-sqlite3"
python3 -c 'import ensurepip, venv' 2>/dev/null || missing="$missing python3-venv"
[ -x /usr/bin/redis-server ] || missing="$missing redis-server"
"$php" -r 'exit(extension_loaded("redis") ? 0 : 1);' || missing="$missing php-redis"
if [ -n "$missing" ]; then
  echo "== missing Debian packages:$missing (apt-get install$missing)" >&2
  exit 1
fi

# Everything the run creates (build, fixture apps, venvs) lives here.
work=$(mktemp -d "${TMPDIR:-/tmp}/multiverse-laravel.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

if [ -z "${MULTIVERSE_EXTENSION:-}" ]; then
  echo "== building the multiverse extension"
  MULTIVERSE_EXTENSION=$("$root/scripts/build-php-ext.sh" "$work/ext") || exit 1
fi
export MULTIVERSE_EXTENSION
echo "== using $MULTIVERSE_EXTENSION"

mkdir "$work/tmp"
status=0
TMPDIR="$work/tmp" "$php" "$phpunit" -c "$here/phpunit.xml" "$@" || status=$?
[ $status = 0 ] && echo "== all tests passed" || echo "== TESTS FAILED" >&2
exit $status
