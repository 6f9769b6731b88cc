#!/usr/bin/env bash
# The main job, end to end, from a fresh clone: PHP calls a Python worker
# and maps a closure over every core, Python runs @mp.parallel, and a
# timeout kills worker and task trees that try to escape — nothing of them
# is left.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
work=$(mktemp -d /tmp/multiverse-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "== building (core and CLI, PHP extension, Python package)"
scripts/build-core.sh build
so=$(scripts/build-php-ext.sh "$work/php")
pylib=$(scripts/build-python-ext.sh "$work/py")

echo
echo "== PHP"
php -d extension="$so" demo/demo.php
echo
echo "== Python"
PYTHONPATH=$pylib /usr/bin/python3 demo/demo.py
echo
echo "== the CLI: the same escaping worker, 1 s timeout (exit code 124)"
pidfile=$(mktemp)
set +e
build/multiverse run --timeout 1 --kill-grace 0.5 --python /usr/bin/python3 \
  --workers-path demo/workers escape "{\"pidfile\": \"$pidfile\"}" 2>&1 | head -n 3
echo "exit code: ${PIPESTATUS[0]}"
set -e
alive=0
for pid in $(cat "$pidfile"); do
  [[ -d /proc/$pid ]] && ! grep -q ') Z' "/proc/$pid/stat" 2>/dev/null && alive=$((alive + 1))
done
echo "the tree had $(wc -l <"$pidfile") processes; alive now: $alive"
rm -f "$pidfile"
