#!/usr/bin/env bash
# Builds the CLI, the PHP extension and the Python package from this
# checkout into a temporary directory, then runs the cross-language tests,
# the bad-input catalogue, the php-fpm tests and the torture suite's quick
# mode.
#
#   tests/run.sh [PYTEST_ARGS...]      e.g. tests/run.sh -k nproc
#
# TORTURE_TRIALS (default 200) sets the number of torture trials; 0 skips
# them. Exits non-zero if anything failed. Needs root: some catalogue
# cases chown files and run their host as uid 65534.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
python=/usr/bin/python3
trials=${TORTURE_TRIALS:-200}

# Others must be able to read the builds: the RLIMIT_NPROC cases run
# unprivileged (root ignores that limit).
umask 022
tmp=$(mktemp -d "${TMPDIR:-/tmp}/multiverse-tests.XXXXXX")
chmod 755 "$tmp"
core_pid=
cleanup() {
  # A build still running in the background goes first, then its files.
  if [ -n "$core_pid" ]; then kill "$core_pid" 2>/dev/null || true; wait "$core_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== building into $tmp"
start=$SECONDS
# The core and the PHP extension build side by side; the Python package
# is quick and goes after.
scripts/build-core.sh "$tmp/core" &
core_pid=$!
php_ext=$(scripts/build-php-ext.sh "$tmp/php")
wait "$core_pid"
core_pid=
pythonpath=$(scripts/build-python-ext.sh "$tmp/python")
cli=$tmp/core/multiverse
echo "   built in $((SECONDS - start)) s: $cli, $php_ext, $pythonpath"

export MV_TEST_PHP_EXT=$php_ext MV_TEST_PYTHONPATH=$pythonpath MV_TEST_CLI=$cli
export PYTHONDONTWRITEBYTECODE=1

status=0
echo "== cross-language tests, bad-input catalogue, php-fpm"
"$python" -m pytest -p no:cacheprovider -q -rfE --tb=short tests/cross tests/catalogue tests/fpm "$@" || status=1

if [ "$trials" -gt 0 ]; then
  echo "== torture, quick mode ($trials trials)"
  PYTHONPATH=$pythonpath "$python" tests/torture/run.py --trials "$trials" --jobs 2 \
    --php-ext "$php_ext" --cli "$cli" || status=1
fi

if [ "$status" -ne 0 ]; then
  echo "== FAILED (after $((SECONDS - start)) s)"
else
  echo "== all passed in $((SECONDS - start)) s"
fi
exit "$status"
