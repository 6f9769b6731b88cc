#!/usr/bin/env bash
# The main job, end to end: a PHP script calls a Python worker, maps a
# closure over every core, runs @mp.parallel in Python, and puts a timeout
# on a worker whose process tree tries to escape — then shows that nothing
# of that tree is left.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-core.sh build

echo "== the CLI: a Python worker whose tree tries to escape, with a 1 s timeout"
pidfile=$(mktemp)
set +e
build/multiverse run --timeout 1 --kill-grace 0.5 --python /usr/bin/python3 \
  --workers-path core/tests/fixtures/workers tree "{\"pidfile\": \"$pidfile\"}"
echo "exit code: $? (124 = timeout)"
set -e
alive=0
for pid in $(cat "$pidfile"); do [[ -d /proc/$pid ]] && alive=$((alive + 1)); done
echo "the tree had $(wc -l < "$pidfile") processes (setsid and double-forked ones included); alive now: $alive"
rm -f "$pidfile"
