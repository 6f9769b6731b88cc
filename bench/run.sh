#!/usr/bin/env bash
# Runs every benchmark side by side (multiverse and its peers in the same
# run, alternating) and writes bench/results.jsonl, bench/RESULTS.md and
# bench/chart.png.
#
#   bash bench/run.sh            # full run (BENCH_ROUNDS=5, 200 calls)
#   BENCH_QUICK=1 bash bench/run.sh   # a fast smoke run of every row
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup.sh

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
  export BENCH_ROUNDS=${BENCH_ROUNDS:-1} BENCH_CALLS=${BENCH_CALLS:-20} SCALE_SLEEP=0.5
else
  export BENCH_ROUNDS=${BENCH_ROUNDS:-5} BENCH_CALLS=${BENCH_CALLS:-200} SCALE_SLEEP=2
fi
export BENCH_PYTHON=/usr/bin/python3

work=$(mktemp -d /tmp/multiverse-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "== building"
scripts/build-core.sh build
so=$(scripts/build-php-ext.sh "$work/php")
pylib=$(scripts/build-python-ext.sh "$work/py")
export PYTHONPATH=$pylib:$root/bench
php="php -d extension=$so"

out=$work/results.jsonl
: >"$out"
step() {
  echo "== $1"
  shift
  "$@" | tee -a "$out"
}
step "PHP -> Python worker call" $php bench/php_worker_call.php
step "timeout containment (PHP)" $php bench/containment.php
step "timeout containment (Python)" /usr/bin/python3 bench/containment.py
step "Python CPU work, no-op tasks, map" /usr/bin/python3 bench/py_cpu.py
step "PHP closures" $php bench/php_closures.php
step "scale (multiverse, C API)" sh -c "build/mv_bench_scale $SCALE_SLEEP | sed 's/^{/{\"bench\": \"scale\", \"contender\": \"multiverse\", /'"
step "scale (peer: subprocess.Popen)" sh -c "/usr/bin/python3 bench/scale_peer.py $SCALE_SLEEP | sed 's/^{/{\"bench\": \"scale\", \"contender\": \"subprocess.Popen (no containment)\", /'"

cp "$out" bench/results.jsonl
/usr/bin/python3 bench/report.py bench/results.jsonl bench/RESULTS.md bench/chart.png \
  "bash bench/run.sh${BENCH_QUICK:+ (BENCH_QUICK=1)}"
echo "== wrote bench/RESULTS.md and bench/chart.png"
