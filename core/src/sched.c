/*
 * A loop shared by threads (mv_sched_t), with an optional event thread.
 *
 * The core loop is single-threaded: whoever drives it (mv_loop_wait)
 * holds `mu` while it sleeps in epoll, and so does every other use of the
 * loop. A thread that wants the loop (mv_sched_lock) counts itself in
 * `lockers` and wakes the loop through its wakeup fd; the driver, back
 * from epoll, sees lockers waiting and steps aside on `hcv` until none is
 * left, then drives on. So a submission costs one wakeup and one mutex
 * hand-over, and the driver never needs a timer to look at the queue.
 *
 * With the event thread the loop is always driven (a binding whose own
 * threads cannot sleep in the loop: Python's, which must not hold the
 * GIL there); the callbacks of tasks and pools (on_done, on_start,
 * on_need, on_message) then run on that thread, with `mu` held: they may
 * use the loop directly and must not block. Threads that wait for a task
 * sleep on `done_cv` under `wmu`, not `mu` (which the event thread holds
 * while it sleeps in epoll), and the event thread signals it after each
 * round.
 * Without it, mv_sched_wait() drives the loop in the caller's thread, and
 * mv_sched_wait_until() lets many threads wait at once: one drives (the
 * `driving` flag), the others sleep on done_cv like waiters of the event
 * thread, and one of them takes over when the driver leaves.
 *
 * Requests to the scheduler's pool (mv_sched_set_pool) may be handed over
 * by threads that do not take the lock (mv_sched_request, then
 * mv_sched_submit): they wait in the inbox (in_head, under `imu` only) until whoever
 * holds the lock next passes them to the pool, in order: every holder
 * does so first thing (mv_sched_lock), the driver after each round, and
 * whoever lets go of the lock. So a thread holding the lock never finds
 * one there (cancel and pid work on it as on any task), and a burst of
 * calls costs no lock hand-over each: the caller wakes the loop only when
 * its request could start at once (`want`, updated whenever they are
 * passed on); otherwise whatever makes room passes it on: a task's end
 * or a pool process becoming ready ends the driver's round (the latter
 * by mv__loop_nudge), and a lock holder's changes end with its unlock.
 *
 * A binding may hook the end of every round (mv_sched_on_round): work
 * handed over by threads that did not take the lock (a queue of their
 * own) is picked up there by whoever drives the loop, so such a thread
 * only wakes the loop (mv_sched_poke) instead of taking the lock.
 *
 * After fork() the child must mv_sched_forget() its copy: the thread does
 * not exist there, and the tasks are the parent's.
 */
#include "task_internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct mv_sched_s {
  mv_loop_t *loop;
  pthread_mutex_t mu;
  pthread_cond_t hcv;       /* with mu: no locker left (the driver may go on) */
  pthread_mutex_t wmu;      /* guards only done_cv and `ends`: a waiter sleeps
                               without mu, which the driver holds in epoll */
  pthread_cond_t done_cv;   /* with wmu: a round of the loop ended */
  unsigned long ends;       /* under wmu: rounds so far */
  int kicks;                /* under wmu: mv_sched_wakeup() calls not seen yet */
  int driving;              /* under wmu: a thread in mv_sched_wait_until() drives */
  int lockers;              /* threads waiting for mu (atomic) */
  pthread_t thread;
  int has_thread;
  int stop;                 /* under mu */
  int failed;               /* the event thread's loop failed (set under mu, read atomically) */
  mv_sched_round_fn on_round; /* under mu: called after each round */
  void *round_data;
  /* Requests handed over without the lock (see the top of this file). */
  pthread_mutex_t imu;
  mv_task_t *in_head, *in_tail; /* under imu, linked through qnext */
  size_t in_len;            /* atomic: how many */
  mv_pool_t *pool;          /* under mu: where they go */
  int want;                 /* atomic: one handed over now would start at once */
  int taking;               /* under mu: they are being passed on */
};

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define ADD(x, v) __atomic_add_fetch(&(x), (v), __ATOMIC_SEQ_CST)

int mv_sched_new(mv_sched_t **out) {
  *out = NULL;
  mv_sched_t *s = calloc(1, sizeof(*s));
  if (s == NULL) return mv__error(MV_ENOMEM, "out of memory");
  int r = mv_loop_new(&s->loop);
  if (r < 0) {
    free(s);
    return r;
  }
  pthread_mutex_init(&s->mu, NULL);
  pthread_mutex_init(&s->wmu, NULL);
  pthread_mutex_init(&s->imu, NULL);
  pthread_cond_init(&s->hcv, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->done_cv, &ca);
  pthread_condattr_destroy(&ca);
  *out = s;
  return 0;
}

mv_loop_t *mv_sched_loop(mv_sched_t *s) { return s->loop; }

/* Requests handed over without the lock ---------------------------------- */

/* One handed over: the loop takes it in (on_start), then its pool does;
 * or it ends at once with why not (`why` < 0: it never reaches a pool). */
static void mv__sched_pass(mv_sched_t *s, mv_task_t *req, int why) {
  if (req->on_start) req->on_start(req, req->data);
  mv_clear_error();
  int r = why;
  if (r == 0)
    r = s->pool ? mv__pool_take(s->pool, req)
                : mv__error(MV_EINVAL, "no pool takes requests here (mv_sched_set_pool)");
  if (r < 0) {
    mv__loop_link(s->loop, req);
    if (why == MV_ECANCELED)
      mv__task_fail(req, why, MV_END_CANCELED, "the loop was freed before the request started");
    else
      mv__task_fail(req, r, MV_END_SPAWN_FAILED, mv_last_error());
  }
}

/* Whether one handed over now would start at once (mu held): without a
 * pool it would end at once, which must not wait either. */
static void mv__sched_want(mv_sched_t *s) {
  STORE(s->want, s->pool == NULL || mv__pool_startable(s->pool));
}

/* Pass on what was handed over (mu held), and say whether the next one
 * would start at once. */
static void mv__sched_take(mv_sched_t *s) {
  /* Not from inside itself (a callback of one being passed on that pokes
   * the scheduler): the others would go ahead of their turn. */
  if (s->taking) return;
  s->taking = 1;
  for (;;) {
    if (LOAD(s->in_len) > 0) {
      pthread_mutex_lock(&s->imu);
      mv_task_t *req = s->in_head;
      s->in_head = s->in_tail = NULL;
      STORE(s->in_len, 0);
      pthread_mutex_unlock(&s->imu);
      while (req) {
        mv_task_t *next = req->qnext;
        req->qnext = NULL;
        mv__sched_pass(s, req, 0);
        req = next;
      }
    }
    mv__sched_want(s);
    /* One handed over meanwhile was told by the old `want` that it would
     * not start, and woke nobody; if one would now, it is passed on here.
     * (mv_sched_submit reads `want` after it added its request; this reads
     * the inbox after it set `want`: one of the two sees the other.) */
    if (!LOAD(s->want) || LOAD(s->in_len) == 0) break;
  }
  s->taking = 0;
}

int mv_sched_request(mv_sched_t *s, const char *payload, size_t len, const mv_task_opts_t *opts,
                     mv_task_t **out) {
  *out = NULL;
  mv_loop_t *loop = s->loop;
  if (loop->owner != getpid())
    return mv__error(MV_EINVAL, "this scheduler belongs to process %d (use a new one after fork)",
                     (int)loop->owner);
  int r = mv__batch_check(loop, opts);
  if (r < 0) return r;
  double timeout = -1; /* the pool's configuration's */
  if (opts && opts->timeout >= 0) {
    if ((r = mv_check_timeout(opts->timeout, "timeout")) < 0) return r;
    timeout = opts->timeout;
  }
  mv_task_t *req = mv__request_alloc(loop, payload, len, opts, timeout);
  if (req == NULL) return mv__error(MV_ENOMEM, "out of memory");
  req->on_start = opts ? opts->on_start : NULL;
  *out = req;
  return 0;
}

void mv_sched_submit(mv_sched_t *s, mv_task_t *req) {
  pthread_mutex_lock(&s->imu);
  int was_empty = s->in_head == NULL;
  req->qnext = NULL;
  if (s->in_tail) s->in_tail->qnext = req;
  else s->in_head = req;
  s->in_tail = req;
  ADD(s->in_len, 1);
  pthread_mutex_unlock(&s->imu);
  if (!LOAD(s->has_thread)) {
    /* Nobody drives the loop for us: pass it on now (a short wait). */
    mv_sched_lock(s);
    mv_sched_unlock(s);
  } else if (was_empty && LOAD(s->want)) {
    /* It can start now: the loop passes it on after its round, or we do
     * at once if nobody holds it. Otherwise whatever makes room does. */
    mv_sched_poke(s);
  }
}

void mv_sched_set_pool(mv_sched_t *s, mv_pool_t *pool) {
  s->pool = pool;
  mv__sched_want(s);
}

size_t mv_sched_submitted(const mv_sched_t *s) { return LOAD(s->in_len); }

/* The lock ------------------------------------------------------------------ */

void mv_sched_lock(mv_sched_t *s) {
  ADD(s->lockers, 1);
  mv_loop_wakeup(s->loop); /* the driver steps aside */
  pthread_mutex_lock(&s->mu);
  ADD(s->lockers, -1);
  /* What was handed over goes first: the holder may ask about it. */
  mv__sched_take(s);
}

void mv_sched_unlock(mv_sched_t *s) {
  /* What the holder did may let a request start (a process forked, a slot
   * given back): pass on what waits, and update `want`. */
  mv__sched_take(s);
  /* The driver, stepped aside for lockers, may go on when none is left. */
  pthread_cond_broadcast(&s->hcv);
  pthread_mutex_unlock(&s->mu);
}

/* One round of the loop by the thread holding mu; then let lockers in. */
static int mv__sched_round(mv_sched_t *s, mv_task_t *task, double timeout) {
  int r = mv_loop_wait(s->loop, task, timeout);
  mv__sched_take(s);
  if (s->on_round) s->on_round(s->round_data);
  pthread_mutex_lock(&s->wmu);
  s->ends++;
  pthread_cond_broadcast(&s->done_cv);
  pthread_mutex_unlock(&s->wmu);
  while (LOAD(s->lockers) > 0) pthread_cond_wait(&s->hcv, &s->mu);
  return r;
}

static void *mv__sched_main(void *arg) {
  mv_sched_t *s = arg;
  /* Signals are for the binding's threads. */
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, NULL);
  pthread_mutex_lock(&s->mu);
  while (!s->stop) {
    while (LOAD(s->lockers) > 0) pthread_cond_wait(&s->hcv, &s->mu);
    if (s->stop) break;
    int r = 0;
    if (mv_loop_active(s->loop) == 0) {
      /* Nothing to drive, unless work was handed over; else sleep until
       * the loop is woken: by a locker (which we then let in, above) or
       * by a poke that found us holding the lock. Not on hcv: a poke
       * does not take the lock, so its signal could come between our
       * look at the inbox and the wait, and be lost. */
      mv__sched_take(s);
      if (s->on_round) s->on_round(s->round_data);
      if (mv_loop_active(s->loop) == 0) r = mv__loop_doze(s->loop);
    } else {
      r = mv__sched_round(s, NULL, -1);
    }
    if (r < 0 && r != MV_EINTR && r != MV_ETIMEDOUT) {
      STORE(s->failed, 1);
      /* The binding hears of it through its hook (mv_sched_failed()): a
       * thread of its own sleeping until the next round would wait for
       * ever. Threads in mv_sched_wait() are woken below. */
      if (s->on_round) s->on_round(s->round_data);
      pthread_mutex_lock(&s->wmu);
      s->ends++;
      pthread_cond_broadcast(&s->done_cv);
      pthread_mutex_unlock(&s->wmu);
      break;
    }
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

int mv_sched_failed(const mv_sched_t *s) { return LOAD(s->failed); }

void mv_sched_on_round(mv_sched_t *s, mv_sched_round_fn fn, void *data) {
  mv_sched_lock(s);
  s->on_round = fn;
  s->round_data = data;
  mv_sched_unlock(s);
}

int mv_sched_start_thread(mv_sched_t *s) {
  pthread_mutex_lock(&s->mu);
  int e = 0;
  if (!s->has_thread) {
    s->stop = 0;
    e = pthread_create(&s->thread, NULL, mv__sched_main, s);
    if (e == 0) STORE(s->has_thread, 1);
  }
  pthread_mutex_unlock(&s->mu);
  if (e != 0) {
    errno = e;
    return mv__syserror(MV_ESYS, "cannot start the event thread");
  }
  return 0;
}

static void mv__sched_stop_thread(mv_sched_t *s) {
  if (!s->has_thread) return;
  mv_sched_lock(s);
  s->stop = 1;
  mv_sched_unlock(s);
  pthread_join(s->thread, NULL);
  STORE(s->has_thread, 0);
}

static void mv__deadline(struct timespec *ts, double seconds) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  double end = (double)ts->tv_sec + (double)ts->tv_nsec / 1e9 + seconds;
  ts->tv_sec = (time_t)end;
  ts->tv_nsec = (long)((end - (double)ts->tv_sec) * 1e9);
}

/* With the event thread: sleep on done_cv until the task is done. */
static int mv__sched_wait_thread(mv_sched_t *s, mv_task_t *task, double timeout) {
  double until = timeout >= 0 ? mv__now() + timeout : 0;
  for (;;) {
    mv_sched_lock(s);
    int done = task ? mv_task_done(task) : mv_loop_active(s->loop) == 0;
    int failed = s->failed;
    /* `ends` while we hold the loop: no round runs now, so any later end
     * bumps it (read before the lock, the round our own wake-up causes
     * would bump it and this would spin). */
    pthread_mutex_lock(&s->wmu);
    unsigned long seen = s->ends;
    int kicked = s->kicks > 0;
    if (kicked) s->kicks--;
    pthread_mutex_unlock(&s->wmu);
    mv_sched_unlock(s);
    if (done) return 0;
    if (kicked) return MV_EINTR;
    if (failed) return mv__error(MV_ESYS, "the event thread stopped: its loop failed");
    double left = timeout >= 0 ? until - mv__now() : -1;
    if (timeout >= 0 && left <= 0) return MV_ETIMEDOUT;
    pthread_mutex_lock(&s->wmu);
    int expired = 0;
    while (s->ends == seen && s->kicks == 0 && !expired) {
      if (timeout >= 0) {
        struct timespec ts;
        mv__deadline(&ts, left);
        if (pthread_cond_timedwait(&s->done_cv, &s->wmu, &ts) != 0) expired = 1;
      } else {
        pthread_cond_wait(&s->done_cv, &s->wmu);
      }
    }
    pthread_mutex_unlock(&s->wmu);
    if (!task && !expired) return 0; /* a round happened (or a kick: seen above) */
  }
}

int mv_sched_wait(mv_sched_t *s, mv_task_t *task, double timeout) {
  if (s->has_thread) return mv__sched_wait_thread(s, task, timeout);
  double until = timeout >= 0 ? mv__now() + timeout : 0;
  mv_sched_lock(s);
  int r = 0;
  for (;;) {
    if (task ? mv_task_done(task) : mv_loop_active(s->loop) == 0) break;
    double left = timeout >= 0 ? until - mv__now() : -1;
    if (timeout >= 0 && left <= 0) {
      r = MV_ETIMEDOUT;
      break;
    }
    r = mv__sched_round(s, task, left);
    if (r == MV_ETIMEDOUT) r = 0;
    /* MV_EINTR: a signal or mv_sched_wakeup(), the binding's turn; or a
     * locker's wakeup, which it may report spuriously: harmless. */
    if (r < 0 || !task) break;
  }
  mv_sched_unlock(s);
  return r;
}

/* Sleep on done_cv (wmu held) until a round ends after `seen`, a kick,
 * the driver leaves (when `lead_gone`), or `until` (0: forever). Returns
 * non-zero if the time passed. */
static int mv__sched_sleep(mv_sched_t *s, unsigned long seen, int lead_gone, double until) {
  while (s->ends == seen && s->kicks == 0 && !(lead_gone && !s->driving)) {
    if (until <= 0) {
      pthread_cond_wait(&s->done_cv, &s->wmu);
      continue;
    }
    double left = until - mv__now();
    if (left <= 0) return 1;
    struct timespec ts;
    mv__deadline(&ts, left);
    if (pthread_cond_timedwait(&s->done_cv, &s->wmu, &ts) != 0) return 1;
  }
  return 0;
}

/* The driver of mv_sched_wait_until() leaves: a waiting thread takes over. */
static void mv__sched_step_down(mv_sched_t *s) {
  pthread_mutex_lock(&s->wmu);
  s->driving = 0;
  pthread_cond_broadcast(&s->done_cv);
  pthread_mutex_unlock(&s->wmu);
}

int mv_sched_wait_until(mv_sched_t *s, mv_sched_done_fn done, void *arg, double timeout) {
  double until = timeout >= 0 ? mv__now() + timeout : 0;
  for (;;) {
    if (done(arg)) return 0;
    pthread_mutex_lock(&s->wmu);
    int kicked = s->kicks > 0;
    if (kicked) s->kicks--;
    int lead = !kicked && !s->has_thread && !s->driving;
    if (lead) s->driving = 1;
    unsigned long seen = s->ends;
    pthread_mutex_unlock(&s->wmu);
    /* Again: a round that ended us before `seen` was read wakes nobody. */
    if (done(arg) || kicked) {
      if (lead) mv__sched_step_down(s);
      return done(arg) ? 0 : MV_EINTR;
    }
    double left = timeout >= 0 ? until - mv__now() : -1;
    if (lead) {
      int r = 0;
      mv_sched_lock(s);
      if (!done(arg) && !(timeout >= 0 && left <= 0)) r = mv__sched_round(s, NULL, left);
      mv_sched_unlock(s);
      mv__sched_step_down(s);
      if (done(arg)) return 0;
      /* MV_EINTR from a round is a locker's wakeup (our own lock leaves
       * one) or a signal: look again. The binding notices signals at
       * the end of its timeout, which it keeps short for that. */
      if (r < 0 && r != MV_ETIMEDOUT && r != MV_EINTR) return r;
    } else {
      if (s->has_thread) {
        mv_sched_lock(s);
        int failed = s->failed;
        mv_sched_unlock(s);
        if (failed) return mv__error(MV_ESYS, "the event thread stopped: its loop failed");
      }
      pthread_mutex_lock(&s->wmu);
      mv__sched_sleep(s, seen, 1, timeout >= 0 ? until : 0);
      pthread_mutex_unlock(&s->wmu);
    }
    if (timeout >= 0 && mv__now() >= until) return done(arg) ? 0 : MV_ETIMEDOUT;
  }
}

int mv_sched_poke(mv_sched_t *s) {
  /* Nobody holds the loop (the event thread idles or steps aside): run
   * the hook here, which costs no hand-over. Else whoever holds it runs
   * the hook after its round: the driver, woken for one more round (the
   * wakeup stays pending until a round reads it), or, after a locker
   * lets go, the event thread, which runs it when idle too. */
  if (pthread_mutex_trylock(&s->mu) == 0) {
    mv__sched_take(s);
    if (s->on_round) s->on_round(s->round_data);
    mv_sched_unlock(s);
    return 0;
  }
  return mv_loop_wakeup(s->loop);
}

int mv_sched_wakeup(mv_sched_t *s) {
  pthread_mutex_lock(&s->wmu);
  s->kicks++;
  pthread_cond_broadcast(&s->done_cv);
  pthread_mutex_unlock(&s->wmu);
  return mv_loop_wakeup(s->loop);
}

void mv_sched_free(mv_sched_t *s) {
  if (s == NULL) return;
  if (mv_loop_owner(s->loop) != getpid()) {
    mv_sched_forget(s);
    return;
  }
  mv__sched_stop_thread(s);
  /* Handed over and never passed on: they end canceled, as the loop's
   * other tasks that had not started. */
  mv_task_t *req = s->in_head;
  s->in_head = s->in_tail = NULL;
  while (req) {
    mv_task_t *next = req->qnext;
    req->qnext = NULL;
    mv__sched_pass(s, req, MV_ECANCELED);
    req = next;
  }
  mv_loop_free(s->loop); /* cancels every task and waits for the trees */
  pthread_cond_destroy(&s->done_cv);
  pthread_cond_destroy(&s->hcv);
  pthread_mutex_destroy(&s->wmu);
  pthread_mutex_destroy(&s->mu);
  pthread_mutex_destroy(&s->imu);
  free(s);
}

void mv_sched_forget(mv_sched_t *s) {
  if (s == NULL) return;
  /* The thread and the locks' holders exist in the parent only: their
   * state here is a copy, so nothing here is joined or unlocked. */
  mv_loop_forget(s->loop);
  free(s);
}
