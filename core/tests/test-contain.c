/* Containment: whatever a task started is dead when the call returns. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "multiverse.h"
#include "task.h"

/* Both tiers where the machine has them (cgroup needs a writable v2 dir). */
static int tiers(mv_containment_t out[2]) {
  int n = 0;
  out[n++] = MV_CONTAIN_SUBREAPER;
  if (strcmp(mv_containment_probe(MV_CONTAIN_AUTO), "cgroup") == 0) out[n++] = MV_CONTAIN_CGROUP;
  return n;
}

static const char *tier_name(mv_containment_t c) {
  return c == MV_CONTAIN_CGROUP ? "cgroup" : "subreaper";
}

static void tree_payload(char *buf, size_t size, const char *pidfile, const char *extra) {
  snprintf(buf, size, "{\"pidfile\": \"%s\"%s}", pidfile, extra ? extra : "");
}

TEST_IMPL(contain_timeout_kills_whole_tree) {
  mv_containment_t ts[2];
  int nt = tiers(ts);
  for (int i = 0; i < nt; i++) {
    mv_config_t cfg;
    th_config(&cfg);
    cfg.containment = ts[i];
    char pidfile[256], payload[512];
    snprintf(pidfile, sizeof(pidfile), "%s/tree-timeout-%d", th_tmpdir(), i);
    tree_payload(payload, sizeof(payload), pidfile, NULL);
    mv_report_t r;
    double t0 = th_now();
    ASSERT_EQ(th_run(&cfg, "tree", payload, 1.0, &r), MV_ETIMEDOUT);
    double took = th_now() - t0;
    pid_t pids[64];
    int n = th_read_pids(pidfile, pids, 64);
    ASSERT_EQ(n, 4);
    ASSERT_EQ(th_count_alive(pids, n), 0);
    ASSERT_EQ(r.end, MV_END_TIMEOUT);
    ASSERT_STR_EQ(r.tier, tier_name(ts[i]));
    ASSERT_CONTAINS(r.message, "timed out after 1 s");
    /* deadline + grace (0.5 s, two SIGTERM-ignoring processes) + slack */
    ASSERT(took >= 1.0 && took < 1.0 + 0.5 + 1.0);
    mv_report_dispose(&r);
    mv_config_dispose(&cfg);
  }
  ASSERT(!th_has_children());
  return 0;
}

TEST_IMPL(contain_leftovers_after_normal_exit) {
  mv_containment_t ts[2];
  int nt = tiers(ts);
  for (int i = 0; i < nt; i++) {
    mv_config_t cfg;
    th_config(&cfg);
    cfg.containment = ts[i];
    char pidfile[256], payload[512];
    snprintf(pidfile, sizeof(pidfile), "%s/tree-exit-%d", th_tmpdir(), i);
    tree_payload(payload, sizeof(payload), pidfile, ", \"sleep\": 0.1");
    mv_report_t r;
    ASSERT_OK(th_run(&cfg, "tree", payload, 10, &r));
    ASSERT_STR_EQ(r.result.data, "{\"done\": true}\n");
    pid_t pids[64];
    int n = th_read_pids(pidfile, pids, 64);
    ASSERT_EQ(n, 4);
    ASSERT_EQ(th_count_alive(pids, n), 0);
    ASSERT_EQ(r.leftovers, 3);
    mv_report_dispose(&r);
    mv_config_dispose(&cfg);
  }
  return 0;
}

TEST_IMPL(contain_cancel_kills_tree) {
  mv_containment_t ts[2];
  int nt = tiers(ts);
  for (int i = 0; i < nt; i++) {
    mv_config_t cfg;
    th_config(&cfg);
    cfg.containment = ts[i];
    char pidfile[256], payload[512];
    snprintf(pidfile, sizeof(pidfile), "%s/tree-cancel-%d", th_tmpdir(), i);
    tree_payload(payload, sizeof(payload), pidfile, NULL);
    mv_loop_t *loop;
    ASSERT_OK(mv_loop_new(&loop));
    mv_task_t *t;
    ASSERT_OK(mv_task_spawn_worker(loop, &cfg, "tree", payload, strlen(payload), NULL, &t));
    pid_t pids[64];
    ASSERT_EQ(th_wait_pids(pidfile, pids, 4, 10), 4);
    ASSERT_EQ(mv_loop_wait(loop, t, 0.05), MV_ETIMEDOUT);
    ASSERT(mv_task_pid(t) == pids[0]);
    ASSERT_EQ(mv_task_cancel(t), 1);
    while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
    ASSERT_EQ(th_count_alive(pids, 4), 0);
    ASSERT_EQ(mv_task_report(t)->status, MV_ECANCELED);
    ASSERT_EQ(mv_task_cancel(t), 0);
    mv_task_free(t);
    mv_loop_free(loop);
    mv_config_dispose(&cfg);
  }
  return 0;
}

TEST_IMPL(contain_free_running_task_kills_tree) {
  mv_config_t cfg;
  th_config(&cfg);
  char pidfile[256], payload[512];
  snprintf(pidfile, sizeof(pidfile), "%s/tree-free", th_tmpdir());
  tree_payload(payload, sizeof(payload), pidfile, NULL);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_task_t *t;
  ASSERT_OK(mv_task_spawn_worker(loop, &cfg, "tree", payload, strlen(payload), NULL, &t));
  pid_t pids[64];
  ASSERT_EQ(th_wait_pids(pidfile, pids, 4, 10), 4);
  mv_loop_free(loop); /* frees the running task too */
  ASSERT_EQ(th_count_alive(pids, 4), 0);
  ASSERT(!th_has_children());
  mv_config_dispose(&cfg);
  return 0;
}

/* A host process that starts the tree worker and is then SIGKILLed. */
TEST_IMPL(contain_host_sigkill_kills_tree) {
  mv_containment_t ts[2];
  int nt = tiers(ts);
  for (int i = 0; i < nt; i++) {
    char pidfile[256], payload[512];
    snprintf(pidfile, sizeof(pidfile), "%s/tree-host-%d", th_tmpdir(), i);
    tree_payload(payload, sizeof(payload), pidfile, NULL);
    pid_t host = fork();
    if (host == 0) {
    th_die_with_parent();
      mv_config_t cfg;
      th_config(&cfg);
      cfg.containment = ts[i];
      mv_report_t r;
      th_run(&cfg, "tree", payload, 0, &r);
      _exit(0);
    }
    pid_t pids[64];
    ASSERT_EQ(th_wait_pids(pidfile, pids, 4, 10), 4);
    ASSERT_EQ(th_count_alive(pids, 4), 4);
    kill(host, SIGKILL);
    waitpid(host, NULL, 0);
    double t0 = th_now();
    while (th_count_alive(pids, 4) > 0 && th_now() - t0 < 3) usleep(10000);
    ASSERT_EQ(th_count_alive(pids, 4), 0);
    /* "within about one second" */
    ASSERT(th_now() - t0 < 1.2);
  }
  return 0;
}

TEST_IMPL(contain_memory_limit) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = 20;
  o.max_memory_kb = 100 * 1024;
  mv_task_t *t;
  ASSERT_OK(mv_task_spawn_worker(loop, &cfg, "hog", "{}", 2, &o, &t));
  while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
  const mv_report_t *r = mv_task_report(t);
  ASSERT_EQ(r->status, MV_ELIMIT);
  ASSERT_STR_EQ(r->limit, "memory");
  ASSERT_CONTAINS(r->message, "memory limit");
  mv_task_free(t);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(contain_cpu_limit) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = 20;
  o.max_cpu_secs = 1;
  mv_task_t *t;
  ASSERT_OK(mv_task_spawn_worker(loop, &cfg, "cpu", "{}", 2, &o, &t));
  while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
  const mv_report_t *r = mv_task_report(t);
  ASSERT_EQ(r->status, MV_ELIMIT);
  ASSERT_STR_EQ(r->limit, "cpu");
  ASSERT_EQ(r->signal, SIGXCPU);
  /* rusage is tick-sampled: allow for its error around the 1 s limit */
  if (r->utime + r->stime < 0.7) FAIL_AT("cpu %f %f sig %d", r->utime, r->stime, r->signal);
  mv_task_free(t);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}
