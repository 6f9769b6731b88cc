/*
 * Containment under attack: a task that moves itself out of its cgroup
 * leaf, and a supervisor killed with SIGKILL mid-task. Whatever happens,
 * the call ends (at its deadline when it has one), every process of the
 * tree is dead when it does, and no cgroup leaf is left behind.
 */
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

static int tiers(mv_containment_t out[2]) {
  int n = 0;
  out[n++] = MV_CONTAIN_SUBREAPER;
  if (strcmp(mv_containment_probe(MV_CONTAIN_AUTO), "cgroup") == 0) out[n++] = MV_CONTAIN_CGROUP;
  return n;
}

static const mv_report_t *finish(mv_loop_t *loop, mv_task_t *t) {
  while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
  return mv_task_report(t);
}

/* The supervisor of the registered task `t` (0 if not found in time). */
static pid_t supervisor_of(const mv_config_t *cfg, mv_task_t *t) {
  char dir[512];
  mv_config_runtime_dir(cfg, dir, sizeof(dir));
  double end = th_now() + 5;
  while (th_now() < end) {
    mv_entry_t *e;
    size_t n;
    if (mv_registry_list(dir, NULL, NULL, &e, &n) == 0) {
      pid_t sup = 0;
      for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].task_id, mv_task_id(t)) == 0) sup = e[i].supervisor_pid;
      free(e);
      if (sup > 0) return sup;
    }
    usleep(10000);
  }
  return 0;
}

/* The cgroup leaf of a running task from its supervisor's argv: the
 * "cgroup=" option of a forked task's supervisor, else the leaf a
 * worker's supervisor makes below our cgroup, "multiverse-<its pid>".
 * Other tests run at the same time, so each test checks its own leaf. */
static void leaf_of(pid_t sup, char *out, size_t size) {
  char path[64], args[8192];
  snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)sup);
  FILE *f = fopen(path, "r");
  ASSERT(f != NULL);
  size_t n = fread(args, 1, sizeof(args) - 1, f);
  fclose(f);
  args[n] = '\0';
  for (size_t i = 0; i < n; i += strlen(args + i) + 1) {
    if (strncmp(args + i, "cgroup=", 7) == 0) {
      snprintf(out, size, "%s", args + i + 7);
      return;
    }
  }
  char dir[1024];
  th_cgroup_dir(dir, sizeof(dir));
  snprintf(out, size, "%.1000s/multiverse-%d", dir, (int)sup);
}

/* Run `worker` with payload in a fresh loop until it ends; *leaf names the
 * task's cgroup leaf while it ran ("" in the subreaper tier). */
static int run_tracking_leaf(const mv_config_t *cfg, const char *worker, const char *payload,
                             double timeout, mv_report_t *out, char *leaf, size_t size) {
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = timeout;
  mv_task_t *t;
  ASSERT_OK(mv_task_spawn_worker(loop, cfg, worker, payload, strlen(payload), &o, &t));
  pid_t sup = supervisor_of(cfg, t);
  ASSERT(sup > 0);
  leaf[0] = '\0';
  if (cfg->containment == MV_CONTAIN_CGROUP) leaf_of(sup, leaf, size);
  finish(loop, t);
  ASSERT_OK(mv_task_take_report(t, out));
  mv_task_free(t);
  mv_loop_free(loop);
  return out->status;
}

TEST_IMPL(breach_worker_leaving_its_leaf_dies_at_deadline) {
  mv_containment_t ts[2];
  int nt = tiers(ts);
  for (int i = 0; i < nt; i++) {
    mv_config_t cfg;
    th_config(&cfg);
    cfg.containment = ts[i];
    char pidfile[256], payload[512];
    snprintf(pidfile, sizeof(pidfile), "%s/escape-%d", th_tmpdir(), i);
    snprintf(payload, sizeof(payload), "{\"pidfile\": \"%s\", \"escape\": true}", pidfile);
    mv_report_t r;
    char leaf[2048];
    double t0 = th_now();
    ASSERT_EQ(run_tracking_leaf(&cfg, "tree", payload, 1.5, &r, leaf, sizeof(leaf)),
              MV_ETIMEDOUT);
    double took = th_now() - t0;
    if (leaf[0]) ASSERT(access(leaf, F_OK) != 0);
    pid_t pids[64];
    ASSERT_EQ(th_read_pids(pidfile, pids, 64), 4);
    ASSERT_EQ(th_count_alive(pids, 4), 0);
    ASSERT_EQ(r.end, MV_END_TIMEOUT);
    /* deadline, no grace for a breached tree, slack for a loaded machine */
    ASSERT(took >= 1.5 && took < 1.5 + 0.5 + 1.5);
    if (ts[i] == MV_CONTAIN_CGROUP) {
      ASSERT(r.breached >= 1);
      ASSERT_CONTAINS(r.message, "containment breached");
    } else {
      ASSERT_EQ(r.breached, 0); /* no leaf to leave */
    }
    ASSERT_CONTAINS(r.message, "timed out after 1.5 s");
    mv_report_dispose(&r);
    mv_config_dispose(&cfg);
    if (leaf[0]) ASSERT(access(leaf, F_OK) != 0);
  }
  ASSERT(!th_has_children());
  return 0;
}

/* A forked task that leaves its leaf, then starts a setsid child and a
 * double-forked daemon, both ignoring SIGTERM. */
static void leave_and_spawn(mv_child_t *ch, void *arg) {
  (void)ch;
  const char *pidfile = arg;
  int left = th_leave_cgroup();
  for (int i = 0; i < 2; i++) {
    if (fork() == 0) {
      setsid();
      if (i == 1 && fork() != 0) _exit(0);
      signal(SIGTERM, SIG_IGN);
      FILE *f = fopen(pidfile, "a");
      fprintf(f, "%d\n", (int)getpid());
      fclose(f);
      for (;;) pause();
    }
  }
  FILE *f = fopen(pidfile, "a");
  fprintf(f, "%d\n", (int)getpid());
  fclose(f);
  char mark[300];
  snprintf(mark, sizeof(mark), "%s.left", pidfile);
  if (left == 0) fclose(fopen(mark, "w"));
  for (;;) pause();
}

static mv_task_t *fork_registered(mv_loop_t *loop, const mv_config_t *cfg, double timeout,
                                  void (*fn)(mv_child_t *, void *), void *arg) {
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = timeout;
  o.name = "hostile";
  mv_task_t *t = NULL;
  mv_child_t *ch = NULL;
  int r = mv_task_fork(loop, cfg, &o, &t, &ch);
  if (r == MV_FORK_CHILD) {
    fn(ch, arg);
    mv_child_exit(ch, 0);
  }
  if (r < 0) FAIL_AT("mv_task_fork: %s", mv_last_error());
  return t;
}

TEST_IMPL(breach_fork_task_leaving_its_leaf_dies_at_deadline) {
  mv_containment_t ts[2];
  int nt = tiers(ts);
  for (int i = 0; i < nt; i++) {
    mv_config_t cfg;
    th_config(&cfg);
    cfg.containment = ts[i];
    mv_loop_t *loop;
    ASSERT_OK(mv_loop_new(&loop));
    char pidfile[256];
    snprintf(pidfile, sizeof(pidfile), "%s/fork-escape-%d", th_tmpdir(), i);
    double t0 = th_now();
    mv_task_t *t = fork_registered(loop, &cfg, 1.0, leave_and_spawn, pidfile);
    char leaf[2048] = "";
    if (ts[i] == MV_CONTAIN_CGROUP) leaf_of(supervisor_of(&cfg, t), leaf, sizeof(leaf));
    const mv_report_t *r = finish(loop, t);
    if (leaf[0]) ASSERT(access(leaf, F_OK) != 0);
    double took = th_now() - t0;
    ASSERT_EQ(r->status, MV_ETIMEDOUT);
    pid_t pids[8];
    ASSERT_EQ(th_read_pids(pidfile, pids, 8), 3);
    char mark[300];
    snprintf(mark, sizeof(mark), "%s.left", pidfile);
    /* As root the task can leave its cgroup (the attack); an unprivileged
     * one cannot, and the test checks the plain kill. */
    if (geteuid() == 0) ASSERT(access(mark, F_OK) == 0);
    ASSERT_EQ(th_count_alive(pids, 3), 0);
    ASSERT(took >= 1.0 && took < 1.0 + 0.5 + 1.5);
    if (ts[i] == MV_CONTAIN_CGROUP) ASSERT_CONTAINS(r->message, "containment breached");
    mv_task_free(t);
    mv_loop_free(loop);
    mv_config_dispose(&cfg);
    if (leaf[0]) ASSERT(access(leaf, F_OK) != 0);
  }
  ASSERT(!th_has_children());
  return 0;
}

TEST_IMPL(breach_supervisor_killed_exec_tree_dies) {
  mv_containment_t ts[2];
  int nt = tiers(ts);
  for (int i = 0; i < nt; i++) {
    mv_config_t cfg;
    th_config(&cfg);
    cfg.containment = ts[i];
    mv_loop_t *loop;
    ASSERT_OK(mv_loop_new(&loop));
    char pidfile[256], payload[512];
    snprintf(pidfile, sizeof(pidfile), "%s/supkill-%d", th_tmpdir(), i);
    snprintf(payload, sizeof(payload), "{\"pidfile\": \"%s\"}", pidfile);
    mv_task_t *t;
    ASSERT_OK(mv_task_spawn_worker(loop, &cfg, "tree", payload, strlen(payload), NULL, &t));
    pid_t pids[64];
    ASSERT_EQ(th_wait_pids(pidfile, pids, 4, 10), 4);
    pid_t sup = supervisor_of(&cfg, t);
    ASSERT(sup > 0);
    char leaf[2048] = "";
    if (ts[i] == MV_CONTAIN_CGROUP) leaf_of(sup, leaf, sizeof(leaf));
    if (leaf[0]) ASSERT(access(leaf, F_OK) == 0);
    ASSERT_OK(kill(sup, SIGKILL));
    const mv_report_t *r = finish(loop, t);
    ASSERT_EQ(r->status, MV_ESUPERVISOR);
    ASSERT_CONTAINS(r->message, "exited without reporting");
    ASSERT_EQ(th_count_alive(pids, 4), 0);
    mv_task_free(t);
    mv_loop_free(loop);
    mv_config_dispose(&cfg);
    if (leaf[0]) ASSERT(access(leaf, F_OK) != 0);
  }
  ASSERT(!th_has_children());
  return 0;
}

/* A forked task with a setsid child and a double-forked daemon. */
static void spawn_and_wait(mv_child_t *ch, void *arg) {
  (void)ch;
  const char *pidfile = arg;
  for (int i = 0; i < 2; i++) {
    if (fork() == 0) {
      setsid();
      if (i == 1 && fork() != 0) _exit(0);
      signal(SIGTERM, SIG_IGN);
      FILE *f = fopen(pidfile, "a");
      fprintf(f, "%d\n", (int)getpid());
      fclose(f);
      for (;;) pause();
    }
  }
  FILE *f = fopen(pidfile, "a");
  fprintf(f, "%d\n", (int)getpid());
  fclose(f);
  for (;;) pause();
}

TEST_IMPL(breach_supervisor_killed_fork_tree_dies) {
  mv_containment_t ts[2];
  int nt = tiers(ts);
  for (int i = 0; i < nt; i++) {
    mv_config_t cfg;
    th_config(&cfg);
    cfg.containment = ts[i];
    mv_loop_t *loop;
    ASSERT_OK(mv_loop_new(&loop));
    char pidfile[256];
    snprintf(pidfile, sizeof(pidfile), "%s/fork-supkill-%d", th_tmpdir(), i);
    mv_task_t *t = fork_registered(loop, &cfg, 60, spawn_and_wait, pidfile);
    pid_t pids[8];
    ASSERT_EQ(th_wait_pids(pidfile, pids, 3, 10), 3);
    pid_t sup = supervisor_of(&cfg, t);
    ASSERT(sup > 0);
    char leaf[2048] = "";
    if (ts[i] == MV_CONTAIN_CGROUP) leaf_of(sup, leaf, sizeof(leaf));
    if (leaf[0]) ASSERT(access(leaf, F_OK) == 0);
    ASSERT_OK(kill(sup, SIGKILL));
    const mv_report_t *r = finish(loop, t);
    ASSERT_EQ(r->status, MV_ESUPERVISOR);
    ASSERT_EQ(th_count_alive(pids, 3), 0);
    mv_task_free(t);
    mv_loop_free(loop);
    mv_config_dispose(&cfg);
    if (leaf[0]) ASSERT(access(leaf, F_OK) != 0);
  }
  ASSERT(!th_has_children());
  return 0;
}
