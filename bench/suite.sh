#!/usr/bin/env bash
# One containment tier's share of the benchmarks: every step, its JSON rows
# tagged with the tier and appended to OUT. bench/run.sh runs it twice from
# a world-readable copy of bench/: as root with MULTIVERSE_CONTAINMENT=cgroup
# and, under `runuser -u nobody --`, with MULTIVERSE_CONTAINMENT=subreaper.
#
#   suite.sh TIER OUT
#
# Needs in the environment: BENCH_PHP_EXT (the built multiverse.so),
# BENCH_SCALE_BIN (the built mv_bench_scale), PYTHONPATH (the built package
# and this directory); the BENCH_* sizes of bench/run.sh. A step that fails
# leaves a {"bench": "failed"} row and the others still run; the exit
# status is 1 if any failed.
set -uo pipefail
tier=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
php=(php -d "extension=$BENCH_PHP_EXT")
export BENCH_PYTHON=$py

# 1000 concurrent tasks hold a few fds each in the host: PHP cannot raise
# its own limit, so raise the soft limit to the hard one for every host.
ulimit -n "$(ulimit -Hn)"

failed=0
step() {
  local name=$1 rows rc t0 t1
  shift
  echo "== [$tier] $name" >&2
  rows=$(mktemp)
  t0=$(date +%s%N)
  "$@" >"$rows"
  rc=$?
  t1=$(date +%s%N)
  grep '^{' "$rows" | sed "s/^{/{\"tier\": \"$tier\", /" >>"$out"
  rm -f "$rows"
  if ((rc != 0)); then
    echo "== [$tier] $name FAILED (exit $rc)" >&2
    printf '{"tier": "%s", "bench": "failed", "step": "%s", "rc": %d}\n' "$tier" "$name" "$rc" >>"$out"
    failed=1
  fi
  printf '{"tier": "%s", "bench": "step_time", "step": "%s", "seconds": %s}\n' \
    "$tier" "$name" "$(awk "BEGIN { printf \"%.1f\", ($t1 - $t0) / 1e9 }")" >>"$out"
}

cd "${TMPDIR:-/tmp}" || exit 1
step "tier check" $py "$here/tier_probe.py"
# The targets
step "1. cold worker call (PHP)" "${php[@]}" "$here/php_worker_call.php" cold
step "2. forked task per call (PHP)" "${php[@]}" "$here/php_fork.php"
step "2. forked task per call (Python)" $py "$here/py_fork.py"
step "3. Process::map, 10 000 items" "${php[@]}" "$here/php_closures.php" map
step "4. warm call (PHP)" "${php[@]}" "$here/php_worker_call.php" warm
step "4. warm call (Python)" $py "$here/py_warm.py"
step "5. concurrent tasks (PHP)" "${php[@]}" "$here/php_scale.php"
step "5. concurrent tasks (Python)" $py "$here/py_scale.py"
# The other rows
step "timeout containment (PHP)" "${php[@]}" "$here/containment.php"
step "timeout containment (Python)" $py "$here/containment.py"
step "Python CPU work, no-op tasks, map" $py "$here/py_cpu.py"
step "PHP CPU-bound closures" "${php[@]}" "$here/php_closures.php" cpu
# shellcheck disable=SC2086 # SCALE_SIZES is a list
step "scale (C API)" "$BENCH_SCALE_BIN" "$SCALE_SLEEP" $SCALE_SIZES
# shellcheck disable=SC2086
step "scale (peer: subprocess.Popen)" $py "$here/scale_peer.py" "$SCALE_SLEEP" $SCALE_SIZES
exit $failed
