/*
 * The loop's concurrency limit: how many tasks run at once, and the one
 * FIFO in which the others wait, whatever their kind.
 *
 * A task that starts takes a slot (mv__slot_take) and gives it back when
 * it ends (mv__task_complete -> mv__slot_give), which starts the next one
 * waiting. A waiting task is already a task of the loop: linked, counted
 * as running (so mv_loop_wait() waits for it), with `begin` to start it:
 * an exec'd worker's deferred start (task_start.c), a pool request handed
 * to its pool (pool.c), or a reserved fork, whose on_start tells the
 * binding to fork it now. Persistent tasks (the processes of pools) take
 * no slot: a pool's requests do.
 *
 * Admission runs in whatever call freed the slot; `admitting` keeps it
 * from nesting when a start fails at once and frees its slot again.
 */
#include "task_internal.h"

#include <stdio.h>

int mv__loop_room(const mv_loop_t *loop) {
  return loop->q_head == NULL && (loop->limit <= 0 || loop->slots < (size_t)loop->limit);
}

void mv__slot_take(mv_task_t *t) {
  if (t->has_slot) return;
  t->has_slot = 1;
  t->loop->slots++;
}

void mv__loop_enqueue(mv_loop_t *loop, mv_task_t *t, int (*begin)(mv_task_t *)) {
  t->begin = begin;
  t->queued = 1;
  t->qnext = NULL;
  if (loop->q_tail) loop->q_tail->qnext = t;
  else loop->q_head = t;
  loop->q_tail = t;
  loop->queued++;
  mv__loop_link(loop, t);
}

void mv__loop_dequeue(mv_task_t *t) {
  if (!t->queued) return;
  mv_loop_t *loop = t->loop;
  mv_task_t *prev = NULL;
  for (mv_task_t *q = loop->q_head; q; prev = q, q = q->qnext) {
    if (q != t) continue;
    if (prev) prev->qnext = q->qnext;
    else loop->q_head = q->qnext;
    if (loop->q_tail == q) loop->q_tail = prev;
    break;
  }
  t->queued = 0;
  t->qnext = NULL;
  loop->queued--;
}

void mv__slot_give(mv_task_t *t) {
  if (!t->has_slot) return;
  t->has_slot = 0;
  t->loop->slots--;
  mv__loop_admit(t->loop);
}

void mv__loop_admit(mv_loop_t *loop) {
  if (loop->admitting) return;
  loop->admitting = 1;
  while (loop->q_head && (loop->limit <= 0 || loop->slots < (size_t)loop->limit)) {
    mv_task_t *t = loop->q_head;
    mv__loop_dequeue(t);
    mv__slot_take(t);
    t->t_start = mv__now(); /* its timeout and elapsed time count from here */
    mv_clear_error();
    int r = t->begin(t);
    /* A start that failed ended the task with the error (its slot is
     * free again: the loop goes on with the next one). */
    if (r < 0 && !t->done) mv__task_fail(t, r, MV_END_SPAWN_FAILED, mv_last_error());
  }
  loop->admitting = 0;
}

int mv_loop_set_limit(mv_loop_t *loop, int limit) {
  if (limit < 0) return mv__error(MV_EINVAL, "the concurrency limit must be >= 0, got %d", limit);
  loop->limit = limit;
  mv__loop_admit(loop);
  return 0;
}

int mv_loop_limit(const mv_loop_t *loop) { return loop->limit; }
size_t mv_loop_queued(const mv_loop_t *loop) { return loop->queued; }

int mv_task_queued(const mv_task_t *t) { return t->queued || t->reserved; }
