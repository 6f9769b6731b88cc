/* The loop's concurrency limit: one FIFO for every kind of task. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "multiverse.h"
#include "task.h"

/* Prints when it started (ns since the epoch), then sleeps. */
static char *stamp_argv[] = {"/bin/sh", "-c", "date +%s%N; sleep 0.2", NULL};

static mv_task_t *spawn_stamp(mv_loop_t *loop, const mv_config_t *cfg) {
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = -1;
  o.flags = MV_TASK_NO_REGISTRY;
  mv_task_t *t = NULL;
  if (mv_task_spawn_argv(loop, cfg, stamp_argv, NULL, "", 0, &o, &t) < 0) abort();
  return t;
}

static void wait_all(mv_loop_t *loop, mv_task_t **t, int n) {
  for (int i = 0; i < n; i++)
    while (!mv_task_done(t[i])) mv_loop_wait(loop, t[i], -1);
}


TEST_IMPL(queue_limit_one_runs_tasks_in_order) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  ASSERT_OK(mv_loop_set_limit(loop, 1));
  ASSERT_EQ(mv_loop_set_limit(loop, -1), MV_EINVAL);
  mv_task_t *t[4];
  for (int i = 0; i < 4; i++) t[i] = spawn_stamp(loop, &cfg);
  ASSERT_EQ(mv_task_queued(t[0]), 0);
  for (int i = 1; i < 4; i++) ASSERT_EQ(mv_task_queued(t[i]), 1);
  ASSERT_EQ(mv_loop_queued(loop), 3);
  ASSERT_EQ(mv_loop_active(loop), 4); /* waiting tasks are the loop's too */
  wait_all(loop, t, 4);
  ASSERT_EQ(mv_loop_queued(loop), 0);
  /* One at a time, first come first served: each started after the one
   * before it had slept its 0.2 s. */
  for (int i = 1; i < 4; i++) {
    ASSERT(th_started_at(t[i]) > 0);
    ASSERT(th_started_at(t[i]) >= th_started_at(t[i - 1]) + 0.19);
    /* Its elapsed time counts from its start, not from the call. */
    ASSERT(mv_task_report(t[i])->elapsed < 0.5);
  }
  for (int i = 0; i < 4; i++) mv_task_free(t[i]);
  ASSERT(!th_has_children());
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(queue_raising_the_limit_starts_waiting_tasks) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  ASSERT_OK(mv_loop_set_limit(loop, 1));
  mv_task_t *t[3];
  for (int i = 0; i < 3; i++) t[i] = spawn_stamp(loop, &cfg);
  ASSERT_EQ(mv_loop_queued(loop), 2);
  ASSERT_OK(mv_loop_set_limit(loop, 0));
  ASSERT_EQ(mv_loop_queued(loop), 0);
  for (int i = 0; i < 3; i++) ASSERT_EQ(mv_task_queued(t[i]), 0);
  wait_all(loop, t, 3);
  /* All three ran side by side. */
  ASSERT(th_started_at(t[2]) - th_started_at(t[0]) < 0.15);
  for (int i = 0; i < 3; i++) mv_task_free(t[i]);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(queue_cancel_before_start_runs_nothing) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  ASSERT_OK(mv_loop_set_limit(loop, 1));
  mv_task_t *first = spawn_stamp(loop, &cfg);
  mv_task_t *second = spawn_stamp(loop, &cfg);
  mv_task_t *third = spawn_stamp(loop, &cfg);
  ASSERT_EQ(mv_task_cancel(second), 1);
  ASSERT(mv_task_done(second));
  const mv_report_t *r = mv_task_report(second);
  ASSERT_EQ(r->status, MV_ECANCELED);
  ASSERT_EQ(r->end, MV_END_CANCELED);
  ASSERT_EQ(r->pid, -1);
  ASSERT_CONTAINS(r->message, "canceled before it started");
  ASSERT_EQ(mv_loop_queued(loop), 1);
  mv_task_free(second);
  /* Freeing a waiting task cancels it too. */
  mv_task_free(third);
  ASSERT_EQ(mv_loop_queued(loop), 0);
  wait_all(loop, &first, 1);
  ASSERT_EQ(mv_task_report(first)->status, MV_OK);
  mv_task_free(first);
  /* A loop freed with tasks waiting: none of them starts. */
  for (int i = 0; i < 3; i++) spawn_stamp(loop, &cfg);
  mv_loop_free(loop);
  ASSERT(!th_has_children());
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(queue_task_that_cannot_start_on_its_turn_fails_alone) {
  mv_config_t cfg;
  th_config(&cfg);
  char script[512];
  snprintf(script, sizeof(script), "%s/gone.sh", th_tmpdir());
  FILE *f = fopen(script, "w");
  ASSERT(f != NULL);
  fputs("#!/bin/sh\necho 1\n", f);
  fclose(f);
  chmod(script, 0755);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  ASSERT_OK(mv_loop_set_limit(loop, 1));
  mv_task_t *t[3];
  t[0] = spawn_stamp(loop, &cfg);
  char *argv[] = {script, NULL};
  ASSERT_OK(mv_task_spawn_argv(loop, &cfg, argv, NULL, "", 0, NULL, &t[1]));
  t[2] = spawn_stamp(loop, &cfg);
  unlink(script); /* gone before its turn */
  wait_all(loop, t, 3);
  const mv_report_t *r = mv_task_report(t[1]);
  ASSERT_EQ(r->end, MV_END_SPAWN_FAILED);
  ASSERT(r->status != MV_OK);
  ASSERT_CONTAINS(r->message, "gone.sh");
  ASSERT_EQ(mv_task_report(t[2])->status, MV_OK);
  for (int i = 0; i < 3; i++) mv_task_free(t[i]);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

/* Reserved forks ------------------------------------------------------------ */

typedef struct {
  int started;
  mv_task_t *task;
} reserve_t;

static void on_start(mv_task_t *t, void *data) {
  reserve_t *r = data;
  r->started++;
  r->task = t;
}

static int fork_now(mv_task_t *t, const mv_config_t *cfg, const char *result) {
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = 5;
  mv_child_t *child;
  int r = mv_task_fork_reserved(t, cfg, &o, &child);
  if (r == MV_FORK_CHILD) {
    mv_child_send(child, result, strlen(result));
    mv_child_exit(child, 0);
  }
  return r;
}

TEST_IMPL(queue_reserved_fork_waits_for_its_slot) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  ASSERT_OK(mv_loop_set_limit(loop, 1));
  reserve_t now = {0, NULL}, later = {0, NULL};
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.on_start = on_start;
  o.name = "reserved";
  o.data = &now;
  mv_task_t *a, *b;
  ASSERT_EQ(mv_task_reserve(loop, &o, &a), 1); /* a slot at once */
  ASSERT_EQ(now.started, 0);                     /* the caller forks it itself */
  ASSERT_EQ(mv_task_queued(a), 1);
  o.data = &later;
  ASSERT_EQ(mv_task_reserve(loop, &o, &b), 0);  /* waits */
  mv_task_t *c = spawn_stamp(loop, &cfg);       /* after it, whatever its kind */
  ASSERT_EQ(mv_loop_queued(loop), 2);
  /* Not its turn yet: it cannot be forked. */
  mv_child_t *child;
  ASSERT_EQ(mv_task_fork_reserved(b, &cfg, &o, &child), MV_EINVAL);
  ASSERT_OK(fork_now(a, &cfg, "A"));
  ASSERT_EQ(mv_task_queued(a), 0);
  while (!mv_task_done(a)) mv_loop_wait(loop, a, -1);
  ASSERT_STR_EQ(mv_task_report(a)->result.data, "A");
  /* a's end gave its slot to b: on_start told us to fork it. */
  ASSERT_EQ(later.started, 1);
  ASSERT(later.task == b);
  ASSERT_EQ(mv_task_queued(c), 1);
  ASSERT_OK(fork_now(b, &cfg, "B"));
  wait_all(loop, &b, 1);
  ASSERT_STR_EQ(mv_task_report(b)->result.data, "B");
  ASSERT_STR_EQ(mv_task_report(b)->worker, "reserved");
  wait_all(loop, &c, 1);
  ASSERT_EQ(mv_task_report(c)->status, MV_OK);
  mv_task_free(a);
  mv_task_free(b);
  mv_task_free(c);
  /* A reserved task canceled before it was forked ends without a process
   * and gives its slot back. */
  ASSERT_EQ(mv_task_reserve(loop, &o, &a), 1);
  ASSERT_EQ(mv_task_cancel(a), 1);
  ASSERT_EQ(mv_task_report(a)->status, MV_ECANCELED);
  ASSERT_EQ(mv_task_fork_reserved(a, &cfg, &o, &child), MV_ECANCELED);
  mv_task_free(a);
  ASSERT_EQ(mv_task_reserve(loop, &o, &a), 1);
  mv_task_free(a);
  ASSERT(!th_has_children());
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

/* Pool requests share the limit -------------------------------------------------- */

TEST_IMPL(queue_pool_requests_wait_in_the_same_fifo) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_warm_t w = {2, 0, 0, 0};
  mv_pool_t *pool;
  ASSERT_OK(mv_pool_new(loop, &cfg, "warm_echo", &w, &pool));
  ASSERT_OK(mv_loop_set_limit(loop, 1));
  mv_task_t *first = spawn_stamp(loop, &cfg);
  mv_task_t *req;
  ASSERT_OK(mv_pool_call(pool, "{\"x\": 1}", 8, NULL, &req));
  ASSERT_EQ(mv_task_queued(req), 1);
  int idle, busy;
  mv_pool_stats(pool, &idle, &busy);
  ASSERT_EQ(idle + busy, 0); /* no warm process started for it yet */
  while (!mv_task_done(req)) mv_loop_wait(loop, req, -1);
  ASSERT(mv_task_done(first)); /* it ran only once the first had ended */
  ASSERT_EQ(mv_task_report(req)->status, MV_OK);
  ASSERT_CONTAINS(mv_task_report(req)->result.data, "\"x\"");
  /* A waiting request canceled, and a pool freed with one waiting. */
  mv_task_t *again = spawn_stamp(loop, &cfg), *r2, *r3;
  ASSERT_OK(mv_pool_call(pool, "{}", 2, NULL, &r2));
  ASSERT_OK(mv_pool_call(pool, "{}", 2, NULL, &r3));
  ASSERT_EQ(mv_task_cancel(r2), 1);
  ASSERT_EQ(mv_task_report(r2)->status, MV_ECANCELED);
  mv_pool_free(pool);
  ASSERT(mv_task_done(r3));
  ASSERT_EQ(mv_task_report(r3)->status, MV_ECANCELED);
  mv_task_free(r2);
  mv_task_free(r3);
  mv_task_free(req);
  mv_task_free(first);
  mv_task_free(again);
  mv_loop_free(loop);
  ASSERT(!th_has_children());
  mv_config_dispose(&cfg);
  return 0;
}
