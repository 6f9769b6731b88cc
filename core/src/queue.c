/*
 * The loop's concurrency limit: how many tasks run at once, and the FIFO
 * in which the others wait, whatever their kind.
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
 * Batches: a task may belong to a batch (opts.batch), whose limit holds
 * its own tasks on top of the loop's. Each batch keeps its waiting tasks
 * in a queue of its own, and the loop keeps the others in its own; every
 * queued task carries its arrival number, so together they are one FIFO:
 * the next to start is the earliest whose batch (if any) has room. A full
 * batch holds back only its own tasks: two batches run side by side (a
 * batch started while another waits, from a signal handler or a progress
 * callback, gets its own limit and the other keeps its own). Only batches
 * with tasks waiting are listed in the loop (`waiting`), so choosing the
 * next task costs one look per such batch, not one per queued task.
 *
 * Admission runs in whatever call freed a slot; `admitting` keeps it from
 * nesting when a start fails at once and frees its slot again.
 */
#include "task_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int mv__loop_free_slot(const mv_loop_t *loop) {
  return loop->limit <= 0 || loop->slots < (size_t)loop->limit;
}

static int mv__batch_room(const mv_batch_t *b) {
  return b == NULL || b->slots < (size_t)b->limit;
}

/* The queued task that starts next when the loop has a slot: the
 * earliest whose batch has room; NULL if none may start. */
static mv_task_t *mv__queue_next(const mv_loop_t *loop) {
  mv_task_t *best = loop->fifo.head;
  for (mv_batch_t *b = loop->waiting; b; b = b->next_waiting)
    if (mv__batch_room(b) && (best == NULL || b->fifo.head->qseq < best->qseq))
      best = b->fifo.head;
  return best;
}

int mv__loop_room(const mv_loop_t *loop, const mv_task_t *t) {
  return mv__loop_free_slot(loop) && mv__batch_room(t->batch) && mv__queue_next(loop) == NULL;
}

int mv__loop_room_now(const mv_loop_t *loop) {
  return mv__loop_free_slot(loop) && mv__queue_next(loop) == NULL;
}

mv_task_t *mv__loop_first_queued(const mv_loop_t *loop) {
  mv_task_t *first = loop->fifo.head;
  for (mv_batch_t *b = loop->waiting; b; b = b->next_waiting)
    if (first == NULL || b->fifo.head->qseq < first->qseq) first = b->fifo.head;
  return first;
}

void mv__slot_take(mv_task_t *t) {
  if (t->has_slot) return;
  t->has_slot = 1;
  t->loop->slots++;
  if (t->batch) t->batch->slots++;
}

void mv__loop_enqueue(mv_loop_t *loop, mv_task_t *t, int (*begin)(mv_task_t *)) {
  mv__fifo_t *q = t->batch ? &t->batch->fifo : &loop->fifo;
  if (t->batch && q->head == NULL) {
    /* Its first waiting task: the loop looks at it from now on. */
    t->batch->next_waiting = loop->waiting;
    loop->waiting = t->batch;
  }
  t->begin = begin;
  t->queued = 1;
  t->qnext = NULL;
  t->qseq = ++loop->qseq;
  if (q->tail) q->tail->qnext = t;
  else q->head = t;
  q->tail = t;
  loop->queued++;
  mv__loop_link(loop, t);
}

void mv__loop_dequeue(mv_task_t *t) {
  if (!t->queued) return;
  mv_loop_t *loop = t->loop;
  mv__fifo_t *q = t->batch ? &t->batch->fifo : &loop->fifo;
  mv_task_t *prev = NULL;
  for (mv_task_t *c = q->head; c; prev = c, c = c->qnext) {
    if (c != t) continue;
    if (prev) prev->qnext = c->qnext;
    else q->head = c->qnext;
    if (q->tail == c) q->tail = prev;
    break;
  }
  if (t->batch && q->head == NULL) {
    for (mv_batch_t **bp = &loop->waiting; *bp; bp = &(*bp)->next_waiting) {
      if (*bp == t->batch) {
        *bp = t->batch->next_waiting;
        break;
      }
    }
    t->batch->next_waiting = NULL;
  }
  t->queued = 0;
  t->qnext = NULL;
  loop->queued--;
}

void mv__slot_give(mv_task_t *t) {
  if (!t->has_slot) return;
  t->has_slot = 0;
  t->loop->slots--;
  if (t->batch) t->batch->slots--;
  mv__loop_admit(t->loop);
}

void mv__loop_admit(mv_loop_t *loop) {
  if (loop->admitting) return;
  loop->admitting = 1;
  mv_task_t *t;
  while (mv__loop_free_slot(loop) && (t = mv__queue_next(loop)) != NULL) {
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
int mv_task_waiting(const mv_task_t *t) { return t->queued; }

/* Batches ------------------------------------------------------------------ */

int mv_batch_new(mv_loop_t *loop, int limit, mv_batch_t **out) {
  *out = NULL;
  if (limit < 1) return mv__error(MV_EINVAL, "a batch's limit must be >= 1, got %d", limit);
  if (loop->owner != getpid())
    return mv__error(MV_EINVAL, "this loop belongs to process %d (use a new loop after fork)",
                     (int)loop->owner);
  mv_batch_t *b = calloc(1, sizeof(*b));
  if (b == NULL) return mv__error(MV_ENOMEM, "out of memory");
  b->loop = loop;
  b->limit = limit;
  *out = b;
  return 0;
}

int mv_batch_limit(const mv_batch_t *b) { return b->limit; }

void mv_batch_free(mv_batch_t *b) {
  if (b == NULL) return;
  /* Its tasks keep it until the last is freed (mv__batch_drop): one that
   * waits still starts under the batch's limit. Never touches the loop,
   * which may be gone already. */
  b->released = 1;
  if (b->tasks == 0) free(b);
}

int mv_batch_add(mv_batch_t *b, mv_task_t *t) {
  if (t->loop != b->loop) return mv__error(MV_EINVAL, "the task belongs to another loop");
  if (t->done || !t->has_slot || t->batch == b) return 0;
  mv_batch_t *old = t->batch;
  if (old) old->slots--;
  mv__batch_drop(t);
  t->batch = b;
  b->tasks++;
  b->slots++;
  /* Its old batch has room now: one of its tasks may start. */
  if (old) mv__loop_admit(t->loop);
  return 1;
}

int mv__batch_check(const mv_loop_t *loop, const mv_task_opts_t *opts) {
  if (opts && opts->batch && opts->batch->loop != loop)
    return mv__error(MV_EINVAL, "the task's batch belongs to another loop");
  return 0;
}

/* Frees the batch when it was its last task: read t->batch first. */
void mv__batch_drop(mv_task_t *t) {
  mv_batch_t *b = t->batch;
  t->batch = NULL;
  if (b && --b->tasks == 0 && b->released) free(b);
}
