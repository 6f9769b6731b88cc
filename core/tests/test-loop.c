/* The host loop: many tasks, no leaks, no interference with the host. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "multiverse.h"
#include "task.h"

static char *echo_argv[] = {"/bin/echo", "[1]", NULL};

static int run_argv(mv_loop_t *loop, mv_config_t *cfg, char **argv) {
  mv_task_t *t;
  int r = mv_task_spawn_argv(loop, cfg, argv, NULL, "", 0, NULL, &t);
  if (r < 0) return r;
  while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
  r = mv_task_report(t)->status;
  mv_task_free(t);
  return r;
}

TEST_IMPL(loop_1000_sequential_no_leaks) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  ASSERT_OK(run_argv(loop, &cfg, echo_argv)); /* warm-up: the image memfd */
  int fds = th_fd_count();
  for (int i = 0; i < 1000; i++) ASSERT_OK(run_argv(loop, &cfg, echo_argv));
  ASSERT_EQ(th_fd_count(), fds);
  ASSERT(!th_has_children());
  ASSERT_EQ(mv_loop_active(loop), 0);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

static int run_concurrent(int n, double *took) {
  mv_config_t cfg;
  th_config(&cfg);
  cfg.containment = MV_CONTAIN_SUBREAPER;
  mv_loop_t *loop;
  if (mv_loop_new(&loop) < 0) return -1;
  char *argv[] = {"/bin/sh", "-c", "sleep 1; echo '\"ok\"'", NULL};
  mv_task_t **t = calloc((size_t)n, sizeof(*t));
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = -1;
  o.flags = MV_TASK_NO_REGISTRY;
  double t0 = th_now();
  int started = 0, rc = 0;
  for (; started < n; started++) {
    rc = mv_task_spawn_argv(loop, &cfg, argv, NULL, "", 0, &o, &t[started]);
    if (rc < 0) break;
  }
  for (int i = 0; i < started; i++) {
    while (!mv_task_done(t[i])) mv_loop_wait(loop, t[i], -1);
    if (rc == 0 && mv_task_report(t[i])->status != MV_OK) rc = mv_task_report(t[i])->status;
    mv_task_free(t[i]);
  }
  *took = th_now() - t0;
  free(t);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return rc;
}

TEST_IMPL(loop_1000_concurrent) {
  /* Each running task holds 4 fds in the host: this test raises its own
   * soft limit, as an application running 1000 tasks would. */
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 5000) FAIL_AT("hard NOFILE limit too low");
  rl.rlim_cur = 8192 < rl.rlim_max ? 8192 : rl.rlim_max;
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
  double took;
  ASSERT_OK(run_concurrent(1, &took)); /* warm-up: the image memfd */
  int fds = th_fd_count();
  ASSERT_OK(run_concurrent(1000, &took));
  ASSERT(took < 60);
  ASSERT_EQ(th_fd_count(), fds);
  ASSERT(!th_has_children());
  return 0;
}

TEST_IMPL(loop_emfile_is_clean_error) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  ASSERT_OK(run_argv(loop, &cfg, echo_argv));
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  struct rlimit low = {64, rl.rlim_max};
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &low));
  int fds = th_fd_count();
  char *argv[] = {"/bin/sh", "-c", "sleep 0.3; echo 1", NULL};
  mv_task_t *t[64];
  int n = 0, r = 0;
  while (n < 64 && (r = mv_task_spawn_argv(loop, &cfg, argv, NULL, "", 0, NULL, &t[n])) == 0) n++;
  if (r != MV_EMFILE) FAIL_AT("got %s: %s", mv_err_name(r), mv_last_error());
  ASSERT_CONTAINS(mv_last_error(), "Too many open files");
  ASSERT(n > 5);
  for (int i = 0; i < n; i++) {
    while (!mv_task_done(t[i])) mv_loop_wait(loop, t[i], -1);
    ASSERT_OK(mv_task_report(t[i])->status);
    mv_task_free(t[i]);
  }
  ASSERT_EQ(th_fd_count(), fds);
  ASSERT(!th_has_children());
  setrlimit(RLIMIT_NOFILE, &rl);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(loop_never_reaps_host_children) {
  struct sigaction before, after;
  sigaction(SIGCHLD, NULL, &before);
  /* The host's own children, started before and during tasks. */
  pid_t mine = fork();
  if (mine == 0) _exit(42);
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_task_t *t;
  char *argv[] = {"/bin/sh", "-c", "sleep 0.2; echo 1", NULL};
  ASSERT_OK(mv_task_spawn_argv(loop, &cfg, argv, NULL, "", 0, NULL, &t));
  pid_t other;
  char *cmd[] = {"/bin/sh", "-c", "exit 7", NULL};
  extern char **environ;
  ASSERT_OK(posix_spawn(&other, "/bin/sh", NULL, NULL, cmd, environ));
  while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
  ASSERT_OK(mv_task_report(t)->status);
  int st;
  ASSERT_EQ(waitpid(mine, &st, 0), mine);
  ASSERT_EQ(WEXITSTATUS(st), 42);
  ASSERT_EQ(waitpid(other, &st, 0), other);
  ASSERT_EQ(WEXITSTATUS(st), 7);
  sigaction(SIGCHLD, NULL, &after);
  ASSERT(before.sa_handler == after.sa_handler);
  mv_task_free(t);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

static void *wake_later(void *arg) {
  usleep(100000);
  mv_loop_wakeup(arg);
  return NULL;
}

static int done_calls;
static void on_done_free(mv_task_t *t, void *data) {
  (void)data;
  done_calls++;
  mv_task_free(t); /* freeing from the callback is allowed */
}

TEST_IMPL(loop_wait_timeout_wakeup_callbacks) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  char *argv[] = {"/bin/sh", "-c", "sleep 0.5; echo 1", NULL};
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = -1;
  o.on_done = on_done_free;
  mv_task_t *t;
  ASSERT_OK(mv_task_spawn_argv(loop, &cfg, argv, NULL, "", 0, &o, &t));
  double t0 = th_now();
  ASSERT_EQ(mv_loop_wait(loop, t, 0.05), MV_ETIMEDOUT);
  ASSERT(th_now() - t0 < 0.3);
  pthread_t th;
  pthread_create(&th, NULL, wake_later, loop);
  ASSERT_EQ(mv_loop_wait(loop, NULL, 5), MV_EINTR);
  pthread_join(th, NULL);
  ASSERT(mv_loop_fd(loop) >= 0);
  ASSERT_EQ(mv_loop_active(loop), 1);
  ASSERT_OK(mv_loop_wait(loop, NULL, -1));
  ASSERT_EQ(done_calls, 1);
  ASSERT_EQ(mv_loop_active(loop), 0);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

/* A host at its fd limit: the supervisor makes room for itself (and gives
 * the worker the limit back) or says precisely what failed. */
TEST_IMPL(loop_fork_task_near_fd_limit) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  ASSERT_OK(run_argv(loop, &cfg, echo_argv));
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  /* leave just enough for the host's own pipes and sockets */
  struct rlimit low = {(rlim_t)th_fd_count() + 8, rl.rlim_max};
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &low));
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = 10;
  mv_task_t *t;
  mv_child_t *ch;
  int r = mv_task_fork(loop, &cfg, &o, &t, &ch);
  if (r == MV_FORK_CHILD) {
    mv_child_send(ch, "ok", 2);
    mv_child_exit(ch, 0);
  }
  if (r == 0) {
    while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
    const mv_report_t *rep = mv_task_report(t);
    if (rep->status != MV_OK) FAIL_AT("%s: %s", mv_err_name(rep->status), rep->message);
    ASSERT_STR_EQ(rep->result.data, "ok");
    mv_task_free(t);
  } else {
    ASSERT_EQ(r, MV_EMFILE);
  }
  setrlimit(RLIMIT_NOFILE, &rl);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}
