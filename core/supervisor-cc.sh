#!/bin/sh
# Prints the compiler command that builds the supervisor executable; the one
# place every build (CMakeLists.txt, config.m4, setup.py) asks.
#
#   sh core/supervisor-cc.sh FALLBACK_CC...
#
# Why not just $CC: a forked task's supervisor is exec'd per task, and its
# start is on the task's critical path. A program linked with glibc spends
# its first ~0.25-0.5 ms before main() in CPU feature and cache detection
# (dozens of CPUID instructions, each a VM exit on a virtual machine) and,
# when dynamic, in the loader; one linked statically with musl starts in
# ~0.05 ms. The supervisor uses plain POSIX and Linux system calls, so musl
# builds it unchanged. musl-gcc (Debian: musl-tools) is used when it can
# link a static program; otherwise FALLBACK_CC, with the C library's usual
# start-up cost. MV_SUPERVISOR_CC overrides both ("cc" forces the fallback
# path with that compiler).
set -u
if [ -n "${MV_SUPERVISOR_CC:-}" ]; then
  echo "$MV_SUPERVISOR_CC"
  exit 0
fi
if command -v musl-gcc >/dev/null 2>&1; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/mv-supervisor-cc.XXXXXX") || dir=""
  if [ -n "$dir" ]; then
    printf '#include <unistd.h>\nint main(void) { return (int)getpid() < 0; }\n' >"$dir/t.c"
    if musl-gcc -static -o "$dir/t" "$dir/t.c" >/dev/null 2>&1 && "$dir/t"; then
      rm -rf "$dir"
      echo "musl-gcc -static"
      exit 0
    fi
    rm -rf "$dir"
  fi
fi
echo "$*"
