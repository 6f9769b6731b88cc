/*
 * The task of the concurrency benchmark (target 5), exec'd directly: it
 * appends "PID CLOCK_MONOTONIC_NS" to $BENCH_MARK (one write, O_APPEND),
 * then blocks on a shared flock of $BENCH_LOCK, which the observer holds
 * exclusively until every task has started and the process tree has been
 * counted; then it prints the JSON result 1 and exits. bench/run.sh
 * compiles it into workers/gate/main (the worker contract's "main",
 * executed directly); the bare contender execs the same file.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  const char *mark = getenv("BENCH_MARK"), *lock = getenv("BENCH_LOCK");
  if (mark == NULL || lock == NULL) {
    fputs("gate: BENCH_MARK and BENCH_LOCK must be set\n", stderr);
    return 2;
  }
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  char line[64];
  int n = snprintf(line, sizeof(line), "%d %lld\n", (int)getpid(),
                   (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  int fd = open(mark, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0 || write(fd, line, (size_t)n) != n) {
    perror("gate: marker");
    return 1;
  }
  close(fd);
  int lfd = open(lock, O_RDONLY | O_CLOEXEC);
  if (lfd < 0 || flock(lfd, LOCK_SH) != 0) {
    perror("gate: lock");
    return 1;
  }
  if (write(1, "1\n", 2) != 2) return 1;
  return 0;
}
