/* Batches: a limit of their own for some of a loop's tasks, in the loop's
 * one FIFO. Reserved forks hold a slot without a process, so most of this
 * is checked without starting any: cancelling one frees its slot at a
 * moment the test chooses, and on_start says who got it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "multiverse.h"
#include "task.h"

/* The order in which reserved tasks got their slot after waiting. */
typedef struct {
  char order[16];
  int n;
} starts_t;

static starts_t starts;

static void on_start(mv_task_t *t, void *data) {
  (void)t;
  if (starts.n < (int)sizeof(starts.order) - 1) starts.order[starts.n++] = *(const char *)data;
}

/* Reserve a task named by one letter in `batch` (or none): 1 if it holds a
 * slot at once, 0 if it waits. */
static int reserve(mv_loop_t *loop, mv_batch_t *batch, const char *letter, mv_task_t **out) {
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.on_start = on_start;
  o.data = (void *)letter;
  o.batch = batch;
  return mv_task_reserve(loop, &o, out);
}

TEST_IMPL(batch_full_holds_back_only_its_own_tasks) {
  memset(&starts, 0, sizeof(starts));
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_batch_t *a, *b;
  ASSERT_OK(mv_batch_new(loop, 1, &a));
  ASSERT_OK(mv_batch_new(loop, 2, &b));
  ASSERT_EQ(mv_batch_limit(b), 2);
  mv_task_t *a0, *a1, *b0, *b1, *b2, *p0;
  ASSERT_EQ(reserve(loop, a, "a", &a0), 1);
  ASSERT_EQ(reserve(loop, a, "A", &a1), 0); /* a is full */
  /* Both not started; only a1 waits for its turn (a0 is being started). */
  ASSERT_EQ(mv_task_queued(a0), 1);
  ASSERT_EQ(mv_task_waiting(a0), 0);
  ASSERT_EQ(mv_task_waiting(a1), 1);
  /* Later tasks of another batch, or of none, are not held back by it. */
  ASSERT_EQ(reserve(loop, b, "b", &b0), 1);
  ASSERT_EQ(reserve(loop, b, "B", &b1), 1);
  ASSERT_EQ(reserve(loop, NULL, "p", &p0), 1);
  ASSERT_EQ(reserve(loop, b, "c", &b2), 0);  /* b is full */
  ASSERT_EQ(mv_loop_limit(loop), 0);        /* the loop's limit is untouched */
  ASSERT_EQ(mv_loop_queued(loop), 2);
  /* A slot of b frees: b's next starts, not a's. */
  ASSERT_EQ(mv_task_cancel(b0), 1);
  ASSERT_STR_EQ(starts.order, "c");
  ASSERT_EQ(mv_task_cancel(a0), 1);
  ASSERT_STR_EQ(starts.order, "cA");
  ASSERT_EQ(mv_loop_queued(loop), 0);
  mv_task_t *all[] = {a0, a1, b0, b1, b2, p0};
  for (int i = 0; i < 6; i++) mv_task_free(all[i]);
  mv_batch_free(a);
  mv_batch_free(b);
  mv_loop_free(loop);
  return 0;
}

TEST_IMPL(batch_waits_in_the_loops_fifo_too) {
  memset(&starts, 0, sizeof(starts));
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  ASSERT_OK(mv_loop_set_limit(loop, 2));
  mv_batch_t *a;
  ASSERT_OK(mv_batch_new(loop, 1, &a));
  mv_task_t *a0, *a1, *p0, *p1, *a2;
  ASSERT_EQ(reserve(loop, a, "x", &a0), 1);
  ASSERT_EQ(reserve(loop, a, "a", &a1), 0);  /* its batch is full */
  ASSERT_EQ(reserve(loop, NULL, "y", &p0), 1); /* the loop has room, a1 may not take it */
  ASSERT_EQ(reserve(loop, NULL, "p", &p1), 0); /* the loop is full */
  ASSERT_EQ(reserve(loop, a, "b", &a2), 0);
  /* p0's slot: a1 came first but its batch is full, so p1 gets it. */
  ASSERT_EQ(mv_task_cancel(p0), 1);
  ASSERT_STR_EQ(starts.order, "p");
  /* a0's slot: its batch has room again, and a1 is first in line. */
  ASSERT_EQ(mv_task_cancel(a0), 1);
  ASSERT_STR_EQ(starts.order, "pa");
  /* Let go of the batch while a2 still waits: a2 starts under its limit,
   * when a1 (not p1) frees a slot. */
  mv_batch_free(a);
  ASSERT_EQ(mv_task_cancel(p1), 1);
  ASSERT_STR_EQ(starts.order, "pa");
  ASSERT_EQ(mv_task_queued(a2), 1);
  ASSERT_EQ(mv_task_cancel(a1), 1);
  ASSERT_STR_EQ(starts.order, "pab");
  mv_task_t *all[] = {a0, a1, p0, p1, a2};
  for (int i = 0; i < 5; i++) mv_task_free(all[i]);
  mv_loop_free(loop);
  return 0;
}

TEST_IMPL(batch_bad_input_and_lifetimes) {
  memset(&starts, 0, sizeof(starts));
  mv_loop_t *loop, *other;
  ASSERT_OK(mv_loop_new(&loop));
  ASSERT_OK(mv_loop_new(&other));
  mv_batch_t *b = NULL;
  ASSERT_EQ(mv_batch_new(loop, 0, &b), MV_EINVAL);
  ASSERT(b == NULL);
  ASSERT_CONTAINS(mv_last_error(), ">= 1");
  ASSERT_OK(mv_batch_new(loop, 1, &b));
  /* A batch of another loop is refused before anything starts. */
  mv_task_t *t = NULL;
  ASSERT_EQ(reserve(other, b, "o", &t), MV_EINVAL);
  ASSERT(t == NULL);
  ASSERT_CONTAINS(mv_last_error(), "another loop");
  mv_config_t cfg;
  th_config(&cfg);
  char *argv[] = {"/bin/true", NULL};
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = -1;
  o.batch = b;
  ASSERT_EQ(mv_task_spawn_argv(other, &cfg, argv, NULL, "", 0, &o, &t), MV_EINVAL);
  ASSERT(t == NULL);
  /* The loop freed with the batch's tasks waiting: they never start, and
   * the batch may be let go of afterwards. */
  mv_task_t *a0, *a1;
  ASSERT_EQ(reserve(loop, b, "a", &a0), 1);
  ASSERT_EQ(reserve(loop, b, "b", &a1), 0);
  mv_loop_free(loop);
  ASSERT_EQ(starts.n, 0);
  mv_batch_free(b);
  mv_batch_free(NULL);
  ASSERT(!th_has_children());
  mv_loop_free(other);
  mv_config_dispose(&cfg);
  return 0;
}

/* Prints when it started (ns since the epoch), then sleeps. */
static char *stamp_argv[] = {"/bin/sh", "-c", "date +%s%N; sleep 0.3", NULL};


TEST_IMPL(batch_exec_workers_run_side_by_side_with_another_batch) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_batch_t *one, *two;
  ASSERT_OK(mv_batch_new(loop, 1, &one));
  ASSERT_OK(mv_batch_new(loop, 2, &two));
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = -1;
  o.flags = MV_TASK_NO_REGISTRY;
  mv_task_t *s[2], *d[2];
  o.batch = one;
  for (int i = 0; i < 2; i++) ASSERT_OK(mv_task_spawn_argv(loop, &cfg, stamp_argv, NULL, "", 0, &o, &s[i]));
  o.batch = two;
  for (int i = 0; i < 2; i++) ASSERT_OK(mv_task_spawn_argv(loop, &cfg, stamp_argv, NULL, "", 0, &o, &d[i]));
  ASSERT_EQ(mv_task_queued(s[1]), 1);
  ASSERT_EQ(mv_task_queued(d[0]), 0);
  ASSERT_EQ(mv_task_queued(d[1]), 0);
  mv_task_t *all[] = {s[0], s[1], d[0], d[1]};
  for (int i = 0; i < 4; i++)
    while (!mv_task_done(all[i])) mv_loop_wait(loop, all[i], -1);
  for (int i = 0; i < 4; i++) ASSERT_EQ(mv_task_report(all[i])->status, MV_OK);
  /* The batch of one ran its tasks one after the other ... */
  ASSERT(th_started_at(s[1]) >= th_started_at(s[0]) + 0.29);
  /* ... while the other batch's two ran beside its first. */
  ASSERT(th_started_at(d[1]) < th_started_at(s[0]) + 0.25);
  ASSERT(th_started_at(d[1]) < th_started_at(s[1]));
  for (int i = 0; i < 4; i++) mv_task_free(all[i]);
  mv_batch_free(one);
  mv_batch_free(two);
  ASSERT(!th_has_children());
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(batch_add_counts_a_started_task) {
  memset(&starts, 0, sizeof(starts));
  mv_loop_t *loop, *other;
  ASSERT_OK(mv_loop_new(&loop));
  ASSERT_OK(mv_loop_new(&other));
  mv_batch_t *a, *b, *o;
  ASSERT_OK(mv_batch_new(loop, 1, &a));
  ASSERT_OK(mv_batch_new(loop, 1, &b));
  ASSERT_OK(mv_batch_new(other, 1, &o));
  mv_task_t *early, *a0, *a1;
  ASSERT_EQ(reserve(loop, NULL, "e", &early), 1); /* started by hand, in no batch */
  ASSERT_EQ(mv_batch_add(a, early), 1);
  ASSERT_EQ(mv_batch_add(a, early), 0);           /* already in it */
  ASSERT_EQ(reserve(loop, a, "a", &a0), 0);       /* early holds a's one slot */
  ASSERT_EQ(mv_batch_add(b, a0), 0);              /* waiting: left as it is */
  ASSERT_EQ(mv_batch_add(o, early), MV_EINVAL);
  /* early moves to b: a has room, and a0 starts. */
  ASSERT_EQ(mv_batch_add(b, early), 1);
  ASSERT_STR_EQ(starts.order, "a");
  ASSERT_EQ(reserve(loop, b, "b", &a1), 0);       /* b is full with early */
  mv_batch_free(b);                                /* early and a1 keep it */
  ASSERT_EQ(mv_task_cancel(early), 1);
  ASSERT_STR_EQ(starts.order, "ab");
  mv_task_t *all[] = {early, a0, a1};
  for (int i = 0; i < 3; i++) mv_task_free(all[i]);
  mv_batch_free(a);
  mv_batch_free(o);
  mv_loop_free(loop);
  mv_loop_free(other);
  return 0;
}
