#!/usr/bin/env bash
# The C core's tests: plain, under ASan+UBSan, the threaded parts under
# ThreadSanitizer, a subset under valgrind, and
# the traceback parser fuzzer for a bounded time (FUZZ_SECONDS, default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

echo "== core: plain build"
scripts/build-core.sh build
(cd build && ctest -j2 --output-on-failure --timeout 300)

echo "== core: containment as a non-root user (the subreaper tier most users get)"
# The tests' fixtures are compiled in by absolute path: when this checkout
# is not readable by others (a clone under /root), build a copy that is.
contain='^(contain_|breach_|fork_timeout|fork_close_pipes|registry_clear|spawn_env)'
nonroot_build=$root/build
if [[ $(id -u) -eq 0 ]]; then
  if ! runuser -u nobody -- test -r "$root/core/tests/fixtures/workers/tree/main.py" ||
     ! runuser -u nobody -- test -x "$root/build/mv_tests"; then
    copy=$(mktemp -d "${TMPDIR:-/tmp}/multiverse-core.XXXXXX")
    trap 'rm -rf "$copy"' EXIT
    chmod 755 "$copy"
    cp -r "$root/CMakeLists.txt" "$root/core" "$root/cli" "$root/bench" "$copy/"
    chmod -R a+rX "$copy"
    (umask 022 && scripts/build-core.sh "$copy/build")
    nonroot_build=$copy/build
  fi
  subset=$("$nonroot_build/mv_tests" --list | grep -E "$contain")
  (cd /tmp && runuser -u nobody -- "$nonroot_build/mv_tests" $subset)
else
  build/mv_tests $(build/mv_tests --list | grep -E "$contain")
fi

echo "== core: ASan + UBSan"
scripts/build-core.sh build-asan -DMV_SANITIZE=ON -DCMAKE_C_COMPILER=clang -DMV_FUZZ=ON
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest -j2 --output-on-failure --timeout 300)

echo "== core: ThreadSanitizer (the loop shared by threads, the limit, the pools)"
scripts/build-core.sh build-tsan -DMV_TSAN=ON -DCMAKE_C_COMPILER=clang
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
   ctest -j2 --output-on-failure --timeout 300 -R '^(sched_|queue_|pool_fork_)')

echo "== core: valgrind (host-side library paths)"
# Forked function tasks end with _exit() by design, which valgrind reports
# as leaks in the child: the fork tests run under ASan above instead. The
# supervisor is exec'd by path because valgrind cannot exec a memfd.
subset=$(build/mv_tests --list | grep -E '^(unit_|spawn_|contain_timeout|contain_cancel|loop_wait|loop_never|registry_pid|registry_skips|registry_runtime|queue_(limit|raising|cancel|task)|batch_)')
MULTIVERSE_SUPERVISOR=$root/build/supervisor/mv-supervisor \
  valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
  build/mv_tests $subset

echo "== core: fuzzing the traceback parser for ${FUZZ_SECONDS:-30} s"
corpus=$(mktemp -d)
cp core/fuzz/corpus/remote_error/* "$corpus"/
build-asan/fuzz_remote_error -max_total_time="${FUZZ_SECONDS:-30}" -max_len=65536 \
  -print_final_stats=1 "$corpus" 2>&1 | tail -n 3
rm -rf "$corpus"
