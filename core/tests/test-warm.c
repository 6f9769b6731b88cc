/* Warm workers: one process, many calls, the same guarantees. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "multiverse.h"
#include "task.h"

typedef struct {
  mv_loop_t *loop;
  mv_pool_t *pool;
  mv_config_t cfg;
} warm_t;

static void warm_open(warm_t *w, int processes, int max_requests, double idle) {
  th_config(&w->cfg);
  if (mv_loop_new(&w->loop) < 0) abort();
  mv_warm_t o = {processes, max_requests, idle, 0};
  if (mv_pool_new(w->loop, &w->cfg, "warm_echo", &o, &w->pool) < 0) abort();
}

static void warm_close(warm_t *w) {
  mv_pool_free(w->pool);
  mv_loop_free(w->loop);
  mv_config_dispose(&w->cfg);
}

/* One call; returns status, copies the result (or message) into buf. */
static int call(warm_t *w, const char *payload, double timeout, char *buf, size_t size,
                pid_t *pid) {
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = timeout;
  mv_task_t *t;
  int r = mv_pool_call(w->pool, payload, strlen(payload), &o, &t);
  if (r < 0) return r;
  while (!mv_task_done(t)) mv_loop_wait(w->loop, t, -1);
  const mv_report_t *rep = mv_task_report(t);
  snprintf(buf, size, "%s", rep->status == MV_OK ? rep->result.data : rep->message);
  if (pid) *pid = rep->pid;
  r = rep->status;
  mv_task_free(t);
  return r;
}

TEST_IMPL(warm_parse_config) {
  mv_warm_t w;
  ASSERT_EQ(mv_warm_parse(NULL, &w), 0);
  ASSERT_EQ(mv_warm_parse("{}", &w), 0);
  ASSERT_EQ(mv_warm_parse("{\"warm\": true}", &w), 1);
  ASSERT_EQ(w.processes, 1);
  ASSERT_EQ(mv_warm_parse("{\"warm\": {\"processes\": 4, \"max_requests\": 100, "
                          "\"idle_timeout\": 2.5}}", &w), 1);
  ASSERT_EQ(w.processes, 4);
  ASSERT_EQ(w.max_requests, 100);
  ASSERT(w.idle_timeout == 2.5);
  ASSERT_EQ(mv_warm_parse("{\"warm\": {\"processes\": 0}}", &w), MV_EINVAL);
  ASSERT_CONTAINS(mv_last_error(), "processes");
  ASSERT_EQ(mv_warm_parse("{\"warm\": 3}", &w), MV_EINVAL);
  ASSERT_EQ(mv_warm_parse("not json", &w), MV_EINVAL);
  return 0;
}

TEST_IMPL(warm_reuse_and_max_requests) {
  warm_t w;
  warm_open(&w, 1, 3, 0);
  char buf[512];
  pid_t pids[5];
  for (int i = 0; i < 5; i++) {
    char payload[64];
    snprintf(payload, sizeof(payload), "{\"i\": %d,\n \"multi\": \"line\"}", i);
    ASSERT_OK(call(&w, payload, 10, buf, sizeof(buf), &pids[i]));
    char want[64];
    snprintf(want, sizeof(want), "\"echo\": {\"i\": %d, \"multi\": \"line\"}", i);
    ASSERT_CONTAINS(buf, want);
    ASSERT_CONTAINS(buf, "\"warm\": \"1\"");
  }
  /* one process for three calls, then a fresh one */
  ASSERT(pids[0] == pids[1] && pids[1] == pids[2]);
  ASSERT(pids[3] != pids[2] && pids[3] == pids[4]);
  usleep(300000);
  ASSERT(!th_alive(pids[0])); /* the retired process is gone */
  warm_close(&w);
  ASSERT(!th_alive(pids[3]));
  ASSERT(!th_has_children());
  return 0;
}

TEST_IMPL(warm_output_belongs_to_its_request) {
  warm_t w;
  warm_open(&w, 1, 0, 0);
  mv_task_t *t;
  ASSERT_OK(mv_pool_call(w.pool, "{\"n\": 1}", 8, NULL, &t));
  while (!mv_task_done(t)) mv_loop_wait(w.loop, t, -1);
  ASSERT_STR_EQ(mv_task_report(t)->out.data, "log for {\"n\": 1}\n");
  mv_task_free(t);
  ASSERT_OK(mv_pool_call(w.pool, "{\"n\": 2}", 8, NULL, &t));
  while (!mv_task_done(t)) mv_loop_wait(w.loop, t, -1);
  ASSERT_STR_EQ(mv_task_report(t)->out.data, "log for {\"n\": 2}\n");
  mv_task_free(t);
  warm_close(&w);
  return 0;
}

TEST_IMPL(warm_timeout_kills_tree_and_replaces) {
  warm_t w;
  warm_open(&w, 1, 0, 0);
  char buf[512], payload[300], pidfile[256];
  pid_t first = 0, second = 0, third = 0;
  ASSERT_OK(call(&w, "{}", 10, buf, sizeof(buf), &first));
  snprintf(pidfile, sizeof(pidfile), "%s/warm-tree", th_tmpdir());
  snprintf(payload, sizeof(payload), "{\"pidfile\": \"%s\"}", pidfile);
  double t0 = th_now();
  ASSERT_EQ(call(&w, payload, 0.5, buf, sizeof(buf), &second), MV_ETIMEDOUT);
  ASSERT(th_now() - t0 < 0.5 + 0.5 + 1.0);
  ASSERT_CONTAINS(buf, "timed out");
  ASSERT_EQ(second, first);
  pid_t grand[4];
  ASSERT_EQ(th_read_pids(pidfile, grand, 4), 1);
  ASSERT(!th_alive(first));
  ASSERT(!th_alive(grand[0]));
  ASSERT_OK(call(&w, "{\"again\": 1}", 10, buf, sizeof(buf), &third));
  ASSERT(third != first);
  warm_close(&w);
  return 0;
}

TEST_IMPL(warm_crash_and_structured_error) {
  warm_t w;
  warm_open(&w, 1, 0, 0);
  char buf[512];
  pid_t a, b;
  ASSERT_EQ(call(&w, "{\"crash\": true}", 10, buf, sizeof(buf), &a), MV_EEXIT);
  ASSERT_CONTAINS(buf, "exited with code 3");
  ASSERT_CONTAINS(buf, "replaced");
  ASSERT_EQ(call(&w, "{\"fail\": true}", 10, buf, sizeof(buf), &b), MV_EREMOTE);
  ASSERT_CONTAINS(buf, "BadThing: nope");
  ASSERT(a != b);
  /* the process that answered with an error keeps serving */
  pid_t c;
  ASSERT_OK(call(&w, "{}", 10, buf, sizeof(buf), &c));
  ASSERT_EQ(c, b);
  warm_close(&w);
  return 0;
}

TEST_IMPL(warm_registry_state_and_clear) {
  warm_t w;
  warm_open(&w, 1, 0, 0);
  char buf[512], rt[256];
  pid_t a, b;
  ASSERT_OK(call(&w, "{}", 10, buf, sizeof(buf), &a));
  mv_config_runtime_dir(&w.cfg, rt, sizeof(rt));
  mv_entry_t *e;
  size_t n;
  /* The entry and its state change travel through the supervisor. */
  double until = th_now() + 5;
  for (;;) {
    ASSERT_OK(mv_registry_list(rt, NULL, "warm_echo", &e, &n));
    if ((n == 1 && strcmp(e[0].state, "idle") == 0) || th_now() > until) break;
    free(e);
    usleep(10000);
  }
  ASSERT_EQ(n, 1);
  ASSERT_STR_EQ(e[0].kind, "warm");
  ASSERT_STR_EQ(e[0].state, "idle");
  ASSERT_EQ(e[0].pid, a);
  free(e);
  int killed;
  ASSERT_OK(mv_registry_clear(rt, NULL, "warm_echo", 10, &killed));
  ASSERT_EQ(killed, 1);
  ASSERT(!th_alive(a));
  ASSERT_OK(call(&w, "{}", 10, buf, sizeof(buf), &b));
  ASSERT(b != a);
  warm_close(&w);
  return 0;
}

TEST_IMPL(warm_idle_timeout) {
  warm_t w;
  warm_open(&w, 1, 0, 0.3);
  char buf[512];
  pid_t a, b;
  ASSERT_OK(call(&w, "{}", 10, buf, sizeof(buf), &a));
  /* nobody drives the loop meanwhile: the supervisor ends it alone */
  usleep(900000);
  ASSERT(!th_alive(a));
  ASSERT_OK(call(&w, "{}", 10, buf, sizeof(buf), &b));
  ASSERT(b != a);
  warm_close(&w);
  return 0;
}

TEST_IMPL(warm_concurrent_calls_use_the_pool) {
  warm_t w;
  warm_open(&w, 2, 0, 0);
  mv_task_t *t[4];
  double t0 = th_now();
  for (int i = 0; i < 4; i++)
    ASSERT_OK(mv_pool_call(w.pool, "{\"sleep\": 0.4}", 14, NULL, &t[i]));
  int idle, busy;
  mv_pool_stats(w.pool, &idle, &busy);
  ASSERT_EQ(idle + busy, 2); /* two processes, starting: the requests wait for them */
  while (mv_task_pid(t[0]) <= 0 || mv_task_pid(t[1]) <= 0) mv_loop_wait(w.loop, NULL, 0.05);
  mv_pool_stats(w.pool, &idle, &busy);
  ASSERT_EQ(busy, 2);
  pid_t pids[4];
  for (int i = 0; i < 4; i++) {
    while (!mv_task_done(t[i])) mv_loop_wait(w.loop, t[i], -1);
    ASSERT_OK(mv_task_report(t[i])->status);
    pids[i] = mv_task_report(t[i])->pid;
  }
  double took = th_now() - t0;
  ASSERT(took >= 0.8 && took < 3.0);
  ASSERT(pids[0] != pids[1]);
  ASSERT((pids[2] == pids[0] || pids[2] == pids[1]) && (pids[3] == pids[0] || pids[3] == pids[1]));
  /* cancel a queued and an in-flight request */
  ASSERT_OK(mv_pool_call(w.pool, "{\"sleep\": 5}", 12, NULL, &t[0]));
  ASSERT_OK(mv_pool_call(w.pool, "{\"sleep\": 5}", 12, NULL, &t[1]));
  ASSERT_OK(mv_pool_call(w.pool, "{\"sleep\": 5}", 12, NULL, &t[2]));
  while (mv_task_pid(t[0]) <= 0) mv_loop_wait(w.loop, NULL, 0.05);
  ASSERT_EQ(mv_task_cancel(t[2]), 1); /* queued */
  ASSERT(mv_task_done(t[2]));
  ASSERT_EQ(mv_task_report(t[2])->status, MV_ECANCELED);
  ASSERT_EQ(mv_task_cancel(t[0]), 1); /* in flight: its process dies */
  while (!mv_task_done(t[0])) mv_loop_wait(w.loop, t[0], -1);
  ASSERT_EQ(mv_task_report(t[0])->status, MV_ECANCELED);
  for (int i = 0; i < 3; i++) mv_task_free(t[i]);
  warm_close(&w);
  ASSERT(!th_has_children());
  return 0;
}

TEST_IMPL(warm_worker_without_protocol_fails_clearly) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_warm_t o = {1, 0, 0, 0};
  mv_pool_t *pool;
  ASSERT_OK(mv_pool_new(loop, &cfg, "stdout_json", &o, &pool));
  mv_task_opts_t opts;
  memset(&opts, 0, sizeof(opts));
  opts.timeout = 1;
  mv_task_t *t;
  ASSERT_OK(mv_pool_call(pool, "{}", 2, &opts, &t));
  while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
  /* it waits for end-of-file that never comes, and never greets: the
   * call's deadline, shorter than greet_timeout, ends it */
  ASSERT_EQ(mv_task_report(t)->status, MV_ETIMEDOUT);
  ASSERT_CONTAINS(mv_task_report(t)->message, "timed out after 1 s waiting for its warm process");
  mv_task_free(t);
  mv_pool_free(pool);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

/* A call of warm_mute in `mode` with greet_timeout `greet` and a long
 * timeout: its status, message in buf, and how long it took. */
static int mute_call(const char *mode, double greet, const char *pidfile, char *buf,
                     size_t size, double *took) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_config_set_env(&cfg, "MV_TEST_MODE", mode);
  if (pidfile) mv_config_set_env(&cfg, "MV_TEST_PIDFILE", pidfile);
  mv_loop_t *loop;
  if (mv_loop_new(&loop) < 0) abort();
  mv_warm_t o = {1, 0, 0, greet};
  mv_pool_t *pool;
  if (mv_pool_new(loop, &cfg, "warm_mute", &o, &pool) < 0) abort();
  mv_task_opts_t opts;
  memset(&opts, 0, sizeof(opts));
  opts.timeout = 60;
  double t0 = th_now();
  mv_task_t *t[2];
  /* Two calls wait for the process: both fail with it. */
  for (int i = 0; i < 2; i++)
    if (mv_pool_call(pool, "{}", 2, &opts, &t[i]) < 0) abort();
  for (int i = 0; i < 2; i++)
    while (!mv_task_done(t[i])) mv_loop_wait(loop, t[i], -1);
  *took = th_now() - t0;
  int r = mv_task_report(t[0])->status;
  snprintf(buf, size, "%s", mv_task_report(t[0])->message);
  if (mv_task_report(t[1])->status != r) r = -999;
  mv_task_free(t[0]);
  mv_task_free(t[1]);
  mv_pool_free(pool);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return r;
}

TEST_IMPL(warm_worker_that_never_greets_fails_fast) {
  char buf[2048], pidfile[256];
  double took;
  snprintf(pidfile, sizeof(pidfile), "%s/mute-tree", th_tmpdir());
  /* A per-call worker marked warm: it reads stdin to end of file. The
   * call fails after greet_timeout, long before its own 60 s. */
  ASSERT_EQ(mute_call("plain", 1, pidfile, buf, sizeof(buf), &took), MV_ENORESULT);
  ASSERT(took >= 0.9 && took < 5);
  ASSERT_CONTAINS(buf, "warm worker 'warm_mute' did not greet within 1 s");
  ASSERT_CONTAINS(buf, "does not speak the warm protocol");
  ASSERT_CONTAINS(buf, "{\"multiverse\":\"ready\"}");
  ASSERT_CONTAINS(buf, "multiverse.worker.serve(handler)");
  /* Its tree is gone, the setsid grandchild included. */
  pid_t grand[4];
  ASSERT_EQ(th_wait_pids(pidfile, grand, 1, 5), 1);
  ASSERT(!th_alive(grand[0]));
  ASSERT(!th_has_children());
  /* Another first line than the greeting: killed at once. */
  ASSERT_EQ(mute_call("other", 30, NULL, buf, sizeof(buf), &took), MV_ENORESULT);
  ASSERT(took < 5);
  ASSERT_CONTAINS(buf, "does not speak the warm protocol: its first line on fd 3 was not the "
                       "greeting but '{\"hello\": \"world\"}'");
  /* Ended before greeting: at once, with why. */
  ASSERT_EQ(mute_call("exit0", 30, NULL, buf, sizeof(buf), &took), MV_ENORESULT);
  ASSERT(took < 5);
  ASSERT_CONTAINS(buf, "exited before greeting: it does not speak the warm protocol");
  ASSERT_EQ(mute_call("crash", 30, NULL, buf, sizeof(buf), &took), MV_EEXIT);
  ASSERT(took < 5);
  ASSERT_CONTAINS(buf, "No module named 'multiverse'");
  ASSERT_CONTAINS(buf, "(warm process ended before greeting)");
  ASSERT(!th_has_children());
  return 0;
}

TEST_IMPL(warm_greet_timeout_setting) {
  mv_warm_t w;
  ASSERT_EQ(mv_warm_parse("{\"warm\": {\"greet_timeout\": 30}}", &w), 1);
  ASSERT(w.greet_timeout == 30);
  ASSERT_EQ(mv_warm_parse("{\"warm\": true}", &w), 1);
  ASSERT(w.greet_timeout == 0); /* the default, MV_DEFAULT_GREET_TIMEOUT */
  ASSERT_EQ(mv_warm_parse("{\"warm\": {\"greet_timeout\": -1}}", &w), MV_EINVAL);
  ASSERT_CONTAINS(mv_last_error(), "greet_timeout");
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_pool_t *pool;
  ASSERT_EQ(mv_pool_new(loop, &cfg, "warm_echo", &(mv_warm_t){1, 0, 0, INFINITY}, &pool),
            MV_EINVAL);
  ASSERT_CONTAINS(mv_last_error(), "warm 'warm_echo': greet_timeout must be finite");
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

/* The pid of the process a call of `pool` ran in. */
static pid_t pool_pid(mv_loop_t *loop, mv_pool_t *pool) {
  mv_task_t *t;
  ASSERT_OK(mv_pool_call(pool, "{}", 2, NULL, &t));
  while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
  ASSERT_OK(mv_task_report(t)->status);
  pid_t pid = mv_task_report(t)->pid;
  mv_task_free(t);
  return pid;
}

TEST_IMPL(warm_free_ends_a_worker_ignoring_eof) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_warm_t o = {1, 0, 0, 0};
  mv_pool_t *pool;
  ASSERT_OK(mv_pool_new(loop, &cfg, "warm_deaf", &o, &pool));
  pid_t pid = pool_pid(loop, pool);
  /* It sleeps after end of file: kill_grace (0.5 s), then its tree dies. */
  double t0 = th_now();
  mv_pool_free(pool);
  ASSERT(th_now() - t0 < 0.5 + 3.0);
  ASSERT(!th_alive(pid));
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

/* The loop's own pools: one per worker and workers_path, kept while the
 * configuration that starts the worker stays the same, replaced (the old
 * processes retired) when it changes; the configuration can make a
 * worker warm or cold whatever its multiverse.json says. */
TEST_IMPL(warm_loop_pools_follow_the_configuration) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_pool_t *a, *b;
  ASSERT_EQ(mv_loop_warm_pool(loop, &cfg, "warm_echo", &a), 1); /* its multiverse.json */
  pid_t first = pool_pid(loop, a);
  /* The timeout is per call; an equal copy of the configuration is the
   * same configuration. */
  mv_config_t same;
  ASSERT_OK(mv_config_copy(&same, &cfg));
  same.timeout = 99;
  ASSERT_EQ(mv_loop_warm_pool(loop, &same, "warm_echo", &b), 1);
  ASSERT(b == a);
  ASSERT_EQ(pool_pid(loop, b), first);
  /* env in another order is the same env. */
  ASSERT_OK(mv_config_set_env(&cfg, "A", "1"));
  ASSERT_OK(mv_config_set_env(&cfg, "B", "2"));
  ASSERT_EQ(mv_loop_warm_pool(loop, &cfg, "warm_echo", &a), 1);
  pid_t second = pool_pid(loop, a);
  ASSERT(second != first);
  ASSERT(!th_alive(first)); /* retired before its replacement started */
  ASSERT_OK(mv_config_set_env(&same, "B", "2"));
  ASSERT_OK(mv_config_set_env(&same, "A", "1"));
  ASSERT_EQ(mv_loop_warm_pool(loop, &same, "warm_echo", &b), 1);
  ASSERT(b == a);
  /* Other warm settings from the configuration: a new pool. */
  mv_warm_t two = {2, 0, 0, 0};
  ASSERT_OK(mv_config_set_warm(&cfg, "warm_echo", &two));
  ASSERT_EQ(mv_loop_warm_pool(loop, &cfg, "warm_echo", &b), 1);
  ASSERT(b != a);
  int idle, busy;
  pool_pid(loop, b);
  mv_pool_stats(b, &idle, &busy);
  ASSERT_EQ(idle + busy, 1); /* processes start on demand */
  /* Cold by configuration, and a worker without multiverse.json. */
  ASSERT_OK(mv_config_set_warm(&cfg, "warm_echo", NULL));
  ASSERT_EQ(mv_loop_warm_pool(loop, &cfg, "warm_echo", &b), 0);
  ASSERT_EQ(mv_loop_warm_pool(loop, &cfg, "echo", &b), 0);
  /* Warm by configuration. */
  mv_warm_t one = {1, 0, 0, 0};
  ASSERT_OK(mv_config_set_warm(&cfg, "echo_warmable", &one));
  ASSERT_EQ(mv_config_set_warm(&cfg, "x", &(mv_warm_t){0, 0, 0, 0}), MV_EINVAL);
  ASSERT_CONTAINS(mv_last_error(), "warm 'x': processes must be >= 1, got 0");
  ASSERT_EQ(mv_config_set_warm(&cfg, "x", &(mv_warm_t){1, -1, 0, 0}), MV_EINVAL);
  ASSERT_CONTAINS(mv_last_error(), "max_requests must be >= 0");
  ASSERT_EQ(mv_config_set_warm(&cfg, "x", &(mv_warm_t){1, 0, -1, 0}), MV_EINVAL);
  ASSERT_CONTAINS(mv_last_error(), "idle_timeout must be >= 0");
  ASSERT_EQ(mv_config_set_warm(&cfg, "x", &(mv_warm_t){1, 0, 0, NAN}), MV_EINVAL);
  ASSERT_CONTAINS(mv_last_error(), "warm 'x': greet_timeout must be a number");
  ASSERT_EQ(mv_config_set_warm(&cfg, "../x", &one), MV_EINVAL);
  /* A relative workers_path is made absolute: a later chdir keeps the pool. */
  char here[4096];
  ASSERT(getcwd(here, sizeof(here)) != NULL);
  ASSERT_OK(chdir(MV_TEST_FIXTURES));
  mv_config_set_string(&cfg.workers_path, "workers");
  mv_config_set_warm(&cfg, "warm_echo", &one);
  ASSERT_EQ(mv_loop_warm_pool(loop, &cfg, "warm_echo", &a), 1);
  ASSERT_OK(chdir("/"));
  mv_config_set_string(&cfg.workers_path, MV_TEST_FIXTURES "/workers");
  ASSERT_EQ(mv_loop_warm_pool(loop, &cfg, "warm_echo", &b), 1);
  ASSERT(b == a);
  ASSERT_OK(chdir(here));
  pid_t last = pool_pid(loop, b);
  /* The loop retires its pools when it is freed. */
  mv_loop_free(loop);
  ASSERT(!th_alive(last));
  mv_config_dispose(&same);
  mv_config_dispose(&cfg);
  ASSERT(!th_has_children());
  return 0;
}
