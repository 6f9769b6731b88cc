/*
 * Event mode and the pre-forked pool, host side.
 *
 * The pool is the core's pool engine (mv_pool_new_forked): it queues the
 * requests, gives them to idle processes, arms each request's deadline,
 * replaces a process that died and asks for a new one (on_need) when it
 * wants one; the loop's limit (mv_loop_set_limit) and FIFO hold pooled
 * calls and forked tasks alike. What is left here is the binding's part:
 *
 *   - Pooled calls are handed over by any thread (pool_call) through the
 *     loop's inbox, under `qmu` only, so that a caller never waits for the
 *     loop; whoever holds `mu` next passes them to mv_pool_call() in order
 *     (mvpy_pool_drain: the I/O thread, or mvpy_loop_lock()). The loop is
 *     woken for one only when it could start at once (want_calls); else
 *     the next end, which makes room, wakes it anyway.
 *   - The I/O thread drives the core loop without the GIL, so that the
 *     core hands a process its next request while Python threads hold the
 *     GIL, and collects what the Python side must act on for
 *     wait_events(): tasks that ended, reserved tasks whose turn came
 *     (on_start: the dispatcher forks them) and processes a pool asked for
 *     (on_need: the dispatcher forks them with mv_pool_fork). While pooled
 *     calls wait for a process, ends are handed out in small batches (see
 *     MVPY_BATCH). It schedules nothing itself.
 *   - A pool is made for one configuration and size (pool_setup); a new
 *     one retires the old, which takes no more calls and is freed once
 *     its calls have ended.
 *
 * The thread is started by wait_events() when the loop has tasks, and ends
 * by itself when it has none (wait_events() restarts it); closing the loop
 * stops and joins it.
 */
#include "mvpy.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

/* Pools (mu held) ---------------------------------------------------------- */

static void pool_on_need(mv_pool_t *pool, void *data) {
  (void)pool;
  mvpy_fpool *fp = data;
  mvpy_loop *l = fp->owner;
  fp->need++;
  pthread_mutex_lock(&l->emu);
  l->need++;
  pthread_cond_broadcast(&l->ecv);
  pthread_mutex_unlock(&l->emu);
}

mvpy_fpool *mvpy_pool_needing(mvpy_loop *l) {
  for (mvpy_fpool *fp = l->pools; fp; fp = fp->next) {
    if (fp->need > 0) {
      fp->need--;
      return fp;
    }
  }
  return NULL;
}

/* Free the retired pools whose calls have all ended (never from a core
 * callback: mv_pool_free() waits in the loop for the processes to exit). */
static void pools_reap(mvpy_loop *l) {
  mvpy_fpool **pp = &l->pools;
  while (*pp) {
    mvpy_fpool *fp = *pp;
    if (fp->retired && fp->out == 0) {
      *pp = fp->next;
      mv_pool_free(fp->pool);
      free(fp);
    } else {
      pp = &fp->next;
    }
  }
}

void mvpy_pools_free(mvpy_loop *l) {
  while (l->pools) {
    mvpy_fpool *fp = l->pools;
    /* Its requests end (canceled) meanwhile and count down fp->out: it is
     * unlinked only afterwards. */
    if (l->loop) mv_pool_free(fp->pool);
    l->pools = fp->next;
    free(fp);
  }
}

void mvpy_pool_request_ended(mvpy_task *t) {
  if (t->fpool == NULL) return;
  t->fpool->out--;
  t->fpool = NULL;
}

/* The inbox ------------------------------------------------------------------ */

void mvpy_pool_drain(mvpy_loop *l) {
  if (LOAD(l->inbox) == NULL) return;
  pthread_mutex_lock(&l->qmu);
  mvpy_task *chain = l->inbox;
  STORE(l->inbox, NULL);
  l->inbox_last = NULL;
  STORE(l->inbox_len, 0);
  pthread_mutex_unlock(&l->qmu);
  while (chain) {
    mvpy_task *t = chain;
    chain = t->qnext;
    t->qnext = NULL;
    mvpy_fpool *fp = l->pools && !l->pools->retired ? l->pools : NULL;
    /* Linked first: a request may end inside mv_pool_call(), and its end
     * must find it in the running list. */
    mvpy_loop_link(l, t);
    int r = MV_EINVAL;
    char detail[256] = "the loop has no pool (pool_setup)";
    if (fp && l->loop) {
      mv_task_opts_t opts;
      mvpy_task_opts(&opts, t->timeout, t->task_id[0] ? t->task_id : NULL, t);
      t->fpool = fp;
      fp->out++;
      mv_task_t *core = NULL;
      r = mv_pool_call(fp->pool, t->payload, t->payload_len, &opts, &core);
      if (r == 0) {
        t->task = core;
        snprintf(t->task_id, sizeof(t->task_id), "%s", mv_task_id(core));
      } else {
        mvpy_pool_request_ended(t);
        snprintf(detail, sizeof(detail), "%s", mv_last_error());
      }
    }
    free(t->payload);
    t->payload = NULL;
    if (r < 0) mvpy_loop_fail(l, t, r, detail);
  }
}

static void kick(mvpy_loop *l) {
  pthread_mutex_lock(&l->emu);
  l->kicked = 1;
  pthread_cond_broadcast(&l->ecv);
  pthread_mutex_unlock(&l->emu);
}

PyObject *mvpy_loop_pool_call(mvpy_loop *l, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"payload", "timeout", "name", "task_id", NULL};
  Py_buffer payload;
  double timeout;
  PyObject *name;
  const char *task_id = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*dU|z:pool_call", kwlist, &payload, &timeout,
                                   &name, &task_id))
    return NULL;
  mvpy_task *t = NULL;
  if (mv_check_timeout(timeout, "timeout") < 0) {
    PyErr_SetString(PyExc_ValueError, mv_last_error());
  } else if (mvpy_loop_check(l) == 0) {
    t = mvpy_task_create(mvpy_state_of_type(Py_TYPE(l)), name, task_id);
  }
  if (t != NULL) {
    /* A copy: the call may wait in the inbox after the caller's buffer is
     * gone. */
    t->payload_len = (size_t)payload.len;
    t->payload = malloc(t->payload_len ? t->payload_len : 1);
    if (t->payload == NULL) {
      Py_CLEAR(t);
      PyErr_NoMemory();
    } else {
      memcpy(t->payload, payload.buf, (size_t)payload.len);
    }
  }
  PyBuffer_Release(&payload);
  if (t == NULL) return NULL;
  t->timeout = timeout;
  t->t_start = mvpy_monotonic();
  /* Running from now on, for cancel() and pid (mvpy_loop_lock() passes it
   * to the core first). */
  STORE(t->loop, l);
  STORE(t->state, MVPY_TASK_RUNNING);
  Py_INCREF(t); /* the loop's reference, handed out by wait_events() */
  pthread_mutex_lock(&l->qmu);
  int was_empty = l->inbox == NULL;
  if (l->inbox_last) l->inbox_last->qnext = t;
  else STORE(l->inbox, t);
  l->inbox_last = t;
  STORE(l->inbox_len, l->inbox_len + 1);
  pthread_mutex_unlock(&l->qmu);
  /* The loop is woken only if the call could start now: else whatever
   * ends first (and makes room) wakes it, and the call is passed on then,
   * in order. So a burst of calls costs no wake-up each. */
  if (!LOAD(l->io_started)) kick(l); /* no thread drives the loop: wait_events() passes it on */
  else if (was_empty && LOAD(l->in_epoll) && LOAD(l->want_calls)) mvpy_loop_wakeup_core(l);
  return (PyObject *)t;
}

mvpy_task *mvpy_pool_forget(mvpy_loop *l) {
  mvpy_task *chain = NULL;
  mvpy_task *t = l->inbox;
  l->inbox = l->inbox_last = NULL;
  l->inbox_len = 0;
  while (t) {
    mvpy_task *next = t->qnext;
    t->qnext = NULL;
    free(t->payload);
    t->payload = NULL;
    STORE(t->loop, NULL);
    STORE(t->state, MVPY_TASK_DONE);
    t->next = chain;
    chain = t;
    t = next;
  }
  l->starts = l->starts_last = NULL;
  l->need = 0;
  l->procs = 0;
  mvpy_pools_free(l); /* forgotten: the processes are the parent's */
  return chain;
}

PyObject *mvpy_loop_pool_setup(mvpy_loop *l, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"config", "processes", "name", NULL};
  PyObject *config;
  int processes = 0;
  const char *name = "pool";
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|is:pool_setup", kwlist, &config, &processes,
                                   &name))
    return NULL;
  if (processes < 0) {
    PyErr_SetString(PyExc_ValueError, "processes must be >= 0");
    return NULL;
  }
  /* 0: as many as the loop's limit lets run at once (the pool asks for a
   * process only for a call that holds a slot and finds none idle). */
  if (processes == 0) processes = INT_MAX;
  if (mvpy_loop_check(l) < 0) return NULL;
  mv_config_t cfg;
  mv_config_init(&cfg);
  if (mvpy_config_from(config, &cfg) < 0) {
    mv_config_dispose(&cfg);
    return NULL;
  }
  mvpy_fpool *fp = calloc(1, sizeof(*fp));
  if (fp == NULL) {
    mv_config_dispose(&cfg);
    return PyErr_NoMemory();
  }
  fp->owner = l;
  fp->size = processes;
  mv_fork_pool_opts_t po;
  memset(&po, 0, sizeof(po));
  po.name = name;
  po.size.processes = processes;
  /* Forked from the dispatcher thread at moments the caller does not
   * choose: no other thread's subprocess pipes (see fork_call). */
  po.fork_flags = MV_FORK_CLOSE_PIPES;
  po.on_need = pool_on_need;
  po.data = fp;
  int r, closed;
  char detail[512] = "";
  Py_BEGIN_ALLOW_THREADS
  mvpy_loop_lock(l);
  closed = l->loop == NULL;
  r = closed ? MV_EINVAL : mv_pool_new_forked(l->loop, &cfg, &po, &fp->pool);
  if (r == 0) {
    /* The old pool takes no more calls; it is freed when they are done. */
    for (mvpy_fpool *old = l->pools; old; old = old->next) old->retired = 1;
    fp->next = l->pools;
    l->pools = fp;
  } else if (!closed) {
    snprintf(detail, sizeof(detail), "%s", mv_last_error());
  }
  mvpy_loop_unlock(l);
  Py_END_ALLOW_THREADS
  mv_config_dispose(&cfg);
  if (r < 0) {
    free(fp);
    if (closed) PyErr_SetString(PyExc_RuntimeError, "the loop is closed");
    else mvpy_raise_msg(mvpy_state_of_type(Py_TYPE(l)), r, detail);
    return NULL;
  }
  Py_RETURN_NONE;
}

PyObject *mvpy_loop_get_processes(mvpy_loop *l, void *closure) {
  (void)closure;
  return PyLong_FromLong(LOAD(l->procs));
}

/* Reserved tasks ------------------------------------------------------------- */

void mvpy_on_start(mv_task_t *core, void *data) {
  (void)core;
  mvpy_task *t = data;
  mvpy_loop *l = t->loop;
  if (l == NULL) return;
  pthread_mutex_lock(&l->emu);
  t->qnext = NULL;
  if (l->starts_last) l->starts_last->qnext = t;
  else l->starts = t;
  l->starts_last = t;
  pthread_cond_broadcast(&l->ecv);
  pthread_mutex_unlock(&l->emu);
}

/* The I/O thread --------------------------------------------------------- */

/* Sleep on ecv (emu held) until woken, or until `until` when timeout >= 0.
 * Returns non-zero once the deadline has passed. */
static int events_sleep(mvpy_loop *l, double timeout, const struct timespec *until) {
  if (timeout >= 0) return pthread_cond_timedwait(&l->ecv, &l->emu, until) != 0;
  pthread_cond_wait(&l->ecv, &l->emu);
  return 0;
}

mvpy_task *mvpy_take_ready(mvpy_loop *l) {
  pthread_mutex_lock(&l->emu);
  mvpy_task *chain = l->ready;
  l->ready = NULL;
  l->nready = 0;
  pthread_mutex_unlock(&l->emu);
  return chain;
}

/* While pooled calls wait for a process, ends are handed to wait_events()
 * in batches (this many, or this old): each wake-up of the dispatcher
 * costs context switches and a GIL hand-over, which would otherwise be
 * paid for every call. Without calls waiting, ends go out at once. */
#define MVPY_BATCH 32
#define MVPY_BATCH_AGE 0.001

/* Hand what the last round produced to wait_events() (mu held). Returns
 * how long the I/O thread may sleep before a batch is due, or -1 for as
 * long as it likes. */
static double io_publish(mvpy_loop *l) {
  /* Pids arrive in the supervisors' first message: publish them. */
  mvpy_loop_publish_pids(l);
  mvpy_task *chain = mvpy_loop_collect(l); /* in the order they ended */
  size_t n = 0;
  for (mvpy_task *t = chain; t; t = t->next) n++;
  /* Calls waiting: handed over, waiting for their turn or for a process. */
  int procs = 0, startable = 1;
  long waiting = (long)LOAD(l->inbox_len);
  for (mvpy_fpool *fp = l->pools; fp; fp = fp->next) {
    int idle, busy;
    mv_pool_stats(fp->pool, &idle, &busy);
    procs += idle + busy;
    waiting += fp->out - busy;
    /* A call handed over now could get a process of the current pool at
     * once: an idle one, or a new one if the limit has room (each busy
     * process holds a slot), unless calls wait for a slot already. */
    if (fp == l->pools && !fp->retired) {
      int limit = mv_loop_limit(l->loop);
      startable = mv_loop_queued(l->loop) == 0 &&
                  (idle > 0 || (idle + busy < fp->size && (limit == 0 || idle + busy < limit)));
    }
  }
  STORE(l->want_calls, startable);
  int gone = procs == 0 && LOAD(l->procs) > 0;
  STORE(l->procs, procs);
  pthread_mutex_lock(&l->emu);
  if (chain) {
    if (l->ready == NULL) l->ready_since = mvpy_monotonic();
    mvpy_task **end = &l->ready;
    while (*end) end = &(*end)->next;
    *end = chain;
    l->nready += n;
  }
  double sleep = -1.0;
  int now = l->starts || l->need || gone;
  if (!now && l->ready) {
    double age = mvpy_monotonic() - l->ready_since;
    now = waiting <= 0 || l->nready >= MVPY_BATCH || age >= MVPY_BATCH_AGE;
    if (!now) sleep = MVPY_BATCH_AGE - age;
  }
  if (now) pthread_cond_broadcast(&l->ecv);
  pthread_mutex_unlock(&l->emu);
  return sleep;
}

static void *io_main(void *arg) {
  mvpy_loop *l = arg;
  /* Signals are for the Python threads. */
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, NULL);
  pthread_mutex_lock(&l->mu);
  while (!LOAD(l->io_stop) && l->loop) {
    if (LOAD(l->lockers) > 0) {
      /* Another thread needs the loop (fork, cancel, pid): let it in. */
      pthread_cond_wait(&l->hcv, &l->mu);
      continue;
    }
    mvpy_pool_drain(l);
    pools_reap(l);
    if (mv_loop_active(l->loop) == 0) break; /* nothing to drive: wait_events() restarts it */
    double sleep = io_publish(l);
    /* From here a call handed over wakes the loop (pool_call); one handed
     * over just before is passed on first. So is a thread that wants the
     * loop: the wake-up it sent may have been taken by a wait inside the
     * core (mv_pool_free() in pools_reap()). */
    STORE(l->in_epoll, 1);
    if (LOAD(l->inbox) != NULL || LOAD(l->lockers) > 0) {
      STORE(l->in_epoll, 0);
      continue;
    }
    int r = mv_loop_wait(l->loop, NULL, sleep);
    STORE(l->in_epoll, 0);
    if (r < 0 && r != MV_EINTR && r != MV_ETIMEDOUT) {
      pthread_mutex_lock(&l->emu);
      snprintf(l->io_error, sizeof(l->io_error), "%s", mv_last_error());
      l->io_failed = 1;
      pthread_mutex_unlock(&l->emu);
      break;
    }
  }
  /* Cleared before the last look: a call handed over from now on kicks
   * wait_events() instead (pool_call), which restarts the thread. */
  STORE(l->io_started, 0);
  if (l->loop) {
    mvpy_pool_drain(l);
    io_publish(l);
  }
  pthread_mutex_lock(&l->emu);
  pthread_cond_broadcast(&l->ecv);
  pthread_mutex_unlock(&l->emu);
  pthread_mutex_unlock(&l->mu);
  return NULL;
}

void mvpy_io_stop(mvpy_loop *l) {
  if (!LOAD(l->io_joinable)) return;
  STORE(l->io_stop, 1);
  mvpy_loop_wakeup_core(l);
  pthread_cond_broadcast(&l->hcv);
  pthread_join(l->io, NULL);
  STORE(l->io_joinable, 0);
  STORE(l->io_stop, 0);
}

void mvpy_io_forget(mvpy_loop *l) {
  STORE(l->io_started, 0);
  STORE(l->io_joinable, 0);
  STORE(l->io_stop, 0);
  STORE(l->in_epoll, 0);
  STORE(l->want_calls, 0);
  l->lockers = 0;
}

/* Start the I/O thread when the loop has tasks to drive; without any, do
 * here what the thread would have done. No GIL. */
static int io_ensure(mvpy_loop *l) {
  if (LOAD(l->io_started)) return 0;
  if (LOAD(l->io_joinable)) { /* it ended on its own */
    pthread_join(l->io, NULL);
    STORE(l->io_joinable, 0);
  }
  int e = 0;
  pthread_mutex_lock(&l->mu);
  if (l->loop) {
    mvpy_pool_drain(l);
    pools_reap(l);
  }
  if (l->loop && mv_loop_active(l->loop) > 0) {
    STORE(l->io_started, 1);
    e = pthread_create(&l->io, NULL, io_main, l);
    if (e == 0) STORE(l->io_joinable, 1);
    else STORE(l->io_started, 0);
  } else if (l->loop) {
    io_publish(l);
  }
  pthread_mutex_unlock(&l->mu);
  return e;
}

/* The loop's references to a chain of borrowed tasks (linked through
 * qnext), as a list; the GIL is held. */
static PyObject *starts_to_list(mvpy_task *t) {
  PyObject *list = PyList_New(0);
  for (; t && list; t = t->qnext)
    if (PyList_Append(list, (PyObject *)t) < 0) Py_CLEAR(list);
  return list;
}

PyObject *mvpy_loop_wait_events(mvpy_loop *l, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"timeout", NULL};
  PyObject *timeout_obj = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:wait_events", kwlist, &timeout_obj))
    return NULL;
  double timeout;
  if (mvpy_wait_timeout(timeout_obj, &timeout) < 0 || mvpy_loop_check(l) < 0) return NULL;
  int failed = 0, need, e;
  char detail[256] = "";
  mvpy_task *chain = NULL, *starts = NULL;
  Py_BEGIN_ALLOW_THREADS
  struct timespec until = {0, 0};
  if (timeout >= 0) {
    double end = mvpy_monotonic() + timeout;
    until.tv_sec = (time_t)end;
    until.tv_nsec = (long)((end - (double)until.tv_sec) * 1e9);
  }
  e = io_ensure(l);
  pthread_mutex_lock(&l->emu);
  while (e == 0 && !l->ready && !l->starts && l->need == 0 && !l->kicked &&
         l->py_wakes == l->py_seen && !l->io_failed) {
    if (!LOAD(l->io_started)) {
      /* The thread ended (no tasks left) while we slept: look again. */
      pthread_mutex_unlock(&l->emu);
      e = io_ensure(l);
      pthread_mutex_lock(&l->emu);
      if (!LOAD(l->io_started) && !l->ready && !l->starts && l->need == 0 && !l->kicked &&
          events_sleep(l, timeout, &until))
        break;
      continue;
    }
    if (events_sleep(l, timeout, &until)) break;
  }
  chain = l->ready;
  starts = l->starts;
  need = l->need;
  failed = l->io_failed;
  if (failed) snprintf(detail, sizeof(detail), "%s", l->io_error);
  l->ready = NULL;
  l->nready = 0;
  l->starts = l->starts_last = NULL;
  l->need = 0;
  l->kicked = 0;
  l->py_seen = l->py_wakes;
  pthread_mutex_unlock(&l->emu);
  Py_END_ALLOW_THREADS
  /* The reserved tasks first: the chain keeps alive those that ended. */
  PyObject *sl = starts_to_list(starts);
  PyObject *tl = mvpy_chain_to_list(chain);
  if (sl == NULL || tl == NULL) {
    Py_XDECREF(sl);
    Py_XDECREF(tl);
    return NULL;
  }
  if (e != 0) {
    Py_DECREF(sl);
    Py_DECREF(tl);
    errno = e;
    return PyErr_SetFromErrno(PyExc_OSError);
  }
  if (failed && PyList_GET_SIZE(sl) == 0 && PyList_GET_SIZE(tl) == 0) {
    Py_DECREF(sl);
    Py_DECREF(tl);
    return mvpy_raise_msg(mvpy_state_of_type(Py_TYPE(l)), MV_ESYS, detail);
  }
  return Py_BuildValue("(NNi)", tl, sl, need);
}
