/*
 * Scale: N concurrent sleeping tasks from one host thread through the C
 * API, for each N given (default 1, 10, 100, 1000).
 *
 *   mv_bench_scale [SLEEP_SECONDS [N...]]
 *
 * Prints one JSON line per N: time to start them all,
 * wall time to the last result, the host's CPU time and RSS growth per
 * task, and the supervisors' resident memory per task.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "multiverse.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_self(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

/* VmRSS of a process in kB (0 if gone). */
static long rss_kb(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return 0;
  long v = 0;
  while (fgets(line, sizeof(line), f))
    if (sscanf(line, "VmRSS: %ld", &v) == 1) break;
  fclose(f);
  return v;
}

/* The supervisor of a task is the parent of its root. */
static pid_t parent_of(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  int ppid = -1;
  if (p) sscanf(p + 2, "%*c %d", &ppid);
  return ppid;
}

static int run(int n, double sleep_s) {
  mv_config_t cfg;
  mv_config_init(&cfg);
  mv_loop_t *loop;
  if (mv_loop_new(&loop) < 0) return 1;
  char cmd[64];
  snprintf(cmd, sizeof(cmd), "sleep %g; echo 1", sleep_s);
  char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = -1;
  o.flags = MV_TASK_NO_REGISTRY;
  mv_task_t **t = calloc((size_t)n, sizeof(*t));
  long rss0 = rss_kb(getpid());
  double cpu0 = cpu_self(), t0 = now();
  for (int i = 0; i < n; i++) {
    if (mv_task_spawn_argv(loop, &cfg, argv, NULL, "", 0, &o, &t[i]) < 0) {
      fprintf(stderr, "task %d: %s\n", i, mv_last_error());
      return 1;
    }
  }
  double started = now() - t0;
  /* wait until every root runs, then sample the supervisors */
  for (double until = now() + 10;;) {
    int all = 1;
    for (int i = 0; i < n && all; i++) all = mv_task_pid(t[i]) > 0;
    if (all || now() > until) break;
    mv_loop_wait(loop, NULL, 0.005);
  }
  long sup_kb = 0;
  for (int i = 0; i < n; i++) sup_kb += rss_kb(parent_of(mv_task_pid(t[i])));
  long rss1 = rss_kb(getpid());
  int failed = 0;
  for (int i = 0; i < n; i++) {
    while (!mv_task_done(t[i])) mv_loop_wait(loop, t[i], -1);
    failed += mv_task_report(t[i])->status != MV_OK;
    mv_task_free(t[i]);
  }
  double wall = now() - t0, cpu = cpu_self() - cpu0;
  printf("{\"bench\": \"scale\", \"contender\": \"multiverse (C API)\", \"tasks\": %d, "
         "\"start_all_s\": %.4f, \"wall_s\": %.4f, \"host_cpu_ms_per_task\": %.4f, "
         "\"host_kb_per_task\": %.2f, \"supervisor_kb_per_task\": %.1f, \"failed\": %d}\n",
         n, started, wall, cpu * 1000 / n, (double)(rss1 - rss0) / n, (double)sup_kb / n, failed);
  free(t);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return failed != 0;
}

int main(int argc, char **argv) {
  /* 1000 tasks hold 4 fds each in the host: raise our own soft limit. */
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  double sleep_s = argc > 1 ? atof(argv[1]) : 2.0;
  int sizes[] = {1, 10, 100, 1000};
  int rc = 0;
  if (argc > 2) {
    for (int i = 2; i < argc; i++) rc |= run(atoi(argv[i]), sleep_s);
    return rc;
  }
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) rc |= run(sizes[i], sleep_s);
  return rc;
}
