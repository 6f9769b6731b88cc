#!/usr/bin/env bash
# Runs every benchmark side by side (multiverse and its baseline in the
# same run, alternating call by call or round by round, repeated; medians
# and ratios) in both containment tiers:
#   - the cgroup tier, as root (MULTIVERSE_CONTAINMENT=cgroup);
#   - the subreaper tier, as the unprivileged user nobody
#     (runuser -u nobody --, MULTIVERSE_CONTAINMENT=subreaper).
# Both run bench/suite.sh from the same world-readable build in a temporary
# directory, with the same environment, from /tmp. Then bench/report.py
# writes results.jsonl, RESULTS.md and chart.png.
#
#   bash bench/run.sh                  # full run (about 10 minutes), writes bench/
#   BENCH_QUICK=1 bash bench/run.sh    # smoke run of every row (a couple of
#                                      # minutes), writes /tmp/multiverse-bench-quick/
#   BENCH_OUT=DIR bash bench/run.sh    # write the results to DIR instead
#   BENCH_TIERS=cgroup bash bench/run.sh   # one tier only (cgroup or subreaper)
#   BENCH_KEEP=1 ...                   # keep the build and the raw rows
#
# Run as root: the cgroup tier needs it, and the subreaper tier is run as
# nobody through runuser. As another user only the subreaper tier runs, as
# that user. A quick run never writes into bench/ unless BENCH_OUT says so.
set -euo pipefail
umask 022
cd "$(dirname "$0")/.."
root=$PWD

quick=${BENCH_QUICK:-0}
if [[ $quick == 1 ]]; then
  out_dir=${BENCH_OUT:-/tmp/multiverse-bench-quick}
  sizes=(BENCH_CALLS=10 BENCH_SPACED_CALLS=6 BENCH_FORK_CALLS=20 BENCH_WARM_CALLS=100
    BENCH_MAP_ROUNDS=6 BENCH_ROUNDS=1 BENCH_SCALE_ROUNDS=1 BENCH_SCALE_TASKS=200
    SCALE_SLEEP=0.5 "SCALE_SIZES=10 100" BENCH_SPACING=0.2)
else
  out_dir=${BENCH_OUT:-$root/bench}
  sizes=(BENCH_CALLS=150 BENCH_SPACED_CALLS=80 BENCH_FORK_CALLS=300 BENCH_WARM_CALLS=3000
    BENCH_MAP_ROUNDS=200 BENCH_ROUNDS=3 BENCH_SCALE_ROUNDS=3 BENCH_SCALE_TASKS=1000
    SCALE_SLEEP=2 "SCALE_SIZES=1 10 100 1000" BENCH_SPACING=0.2)
fi
# Values already in the environment win (BENCH_SCALE_TASKS=500 bash bench/run.sh).
for i in "${!sizes[@]}"; do
  name=${sizes[$i]%%=*}
  if [[ -n ${!name:-} ]]; then sizes[i]="$name=${!name}"; fi
done

if [[ $(id -u) -eq 0 ]]; then
  scripts/setup.sh
  tiers=${BENCH_TIERS:-cgroup subreaper}
else
  tiers=${BENCH_TIERS:-subreaper}
  [[ $tiers == subreaper ]] || { echo "run.sh: the cgroup tier needs root" >&2; exit 1; }
fi

# What was measured: the commit, and the files that differ from it (read
# only: no index refresh).
source_desc=unknown
if rev=$(git rev-parse --short HEAD 2>/dev/null); then
  dirty=$(GIT_OPTIONAL_LOCKS=0 git status --porcelain --untracked-files=no -- \
    core ext-php ext-python config.m4 setup.py CMakeLists.txt 2>/dev/null |
    awk '{print $2}' | paste -sd, - | sed 's/,/, /g')
  source_desc="commit $rev${dirty:+, with uncommitted changes in $dirty}"
fi

work=$(mktemp -d /tmp/multiverse-bench.XXXXXX)
chmod 755 "$work"
if [[ ${BENCH_KEEP:-0} == 1 ]]; then
  echo "== keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
started=$(date +%s)

echo "== building into $work"
scripts/build-core.sh "$work/core"
so=$(scripts/build-php-ext.sh "$work/php")
pylib=$(scripts/build-python-ext.sh "$work/py")
# The scripts and workers, readable by nobody; the task of target 5.
mkdir "$work/bench"
cp -R bench/*.py bench/*.php bench/*.sh bench/workers "$work/bench/"
mkdir -p "$work/bench/workers/gate"
cc -O2 -Wall -o "$work/bench/workers/gate/main" bench/gate.c
chmod -R a+rX "$work"

# The same environment for both tiers (nothing from the caller's: Debian's
# python3 and php on a plain PATH).
common=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
  TMPDIR=/tmp "PYTHONPATH=$pylib:$work/bench" "BENCH_PHP_EXT=$so"
  "BENCH_SCALE_BIN=$work/core/mv_bench_scale" "BENCH_QUICK=$quick" "${sizes[@]}")

rc=0
: >"$work/results.jsonl"
for tier in $tiers; do
  dir="$work/$tier"
  mkdir "$dir"
  case $tier in
  cgroup)
    (cd /tmp && env -i "${common[@]}" HOME="$dir" MULTIVERSE_CONTAINMENT=cgroup \
      bash "$work/bench/suite.sh" cgroup "$dir/results.jsonl") || rc=1
    ;;
  subreaper)
    if [[ $(id -u) -eq 0 ]]; then
      chown nobody "$dir"
      (cd /tmp && runuser -u nobody -- env -i "${common[@]}" HOME="$dir" \
        MULTIVERSE_CONTAINMENT=subreaper bash "$work/bench/suite.sh" subreaper "$dir/results.jsonl") || rc=1
    else
      (cd /tmp && env -i "${common[@]}" HOME="$dir" MULTIVERSE_CONTAINMENT=subreaper \
        bash "$work/bench/suite.sh" subreaper "$dir/results.jsonl") || rc=1
    fi
    ;;
  *)
    echo "run.sh: unknown tier $tier (cgroup or subreaper)" >&2
    exit 2
    ;;
  esac
  cat "$dir/results.jsonl" >>"$work/results.jsonl"
done

mkdir -p "$out_dir"
cp "$work/results.jsonl" "$out_dir/results.jsonl"
command="bash bench/run.sh"
[[ $quick == 1 ]] && command="BENCH_QUICK=1 $command"
BENCH_SOURCE=$source_desc /usr/bin/python3 bench/report.py "$out_dir/results.jsonl" "$out_dir/RESULTS.md" "$out_dir/chart.png" \
  "$command" "$(($(date +%s) - started))"
echo "== wrote $out_dir/RESULTS.md, $out_dir/chart.png and $out_dir/results.jsonl ($(($(date +%s) - started)) s)"
((rc == 0)) || echo "== some steps failed: see the \"failed\" rows in $out_dir/RESULTS.md" >&2
exit $rc
