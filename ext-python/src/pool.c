/*
 * Event mode and the pre-forked pool, host side.
 *
 * The pool is the core's pool engine (mv_pool_new_forked): it queues the
 * requests, gives them to idle processes, arms each request's deadline,
 * replaces a process that died and asks for a new one (on_need) when it
 * wants one; the loop's limit (mv_loop_set_limit) and FIFO hold pooled
 * calls and forked tasks alike. In event mode the core's event thread
 * (mv_sched_start_thread, started by the first wait_events()) drives the
 * loop without the GIL, so the core hands a process its next request
 * while Python threads hold the GIL. What is left here is the binding's
 * part:
 *
 *   - The callbacks, on the event thread with the loop's lock held, hand
 *     what the Python side must act on to wait_events() (under `emu`):
 *     tasks that ended (on_done, loop.c), reserved tasks whose turn came
 *     (on_start: the dispatcher forks them) and processes a pool asked for
 *     (on_need: the dispatcher forks them with mv_pool_fork). While pooled
 *     calls wait for a process, ends are handed out in small batches (see
 *     MVPY_BATCH). Nothing here schedules.
 *   - Pooled calls are handed over by any thread (pool_call) without the
 *     loop's lock: the core's scheduler keeps them (mv_sched_request,
 *     mv_sched_submit) until whoever holds the lock next passes them to
 *     the current pool (mv_sched_set_pool), and wakes the loop only when
 *     a call could start at once; pool_on_taken lists the task in the
 *     loop when that happens.
 *   - A pool is made for one configuration and size (pool_setup); a new
 *     one retires the old, which takes no more calls and is freed by
 *     wait_events() once its calls have ended.
 */
#include "mvpy.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define ADD(x, v) __atomic_add_fetch(&(x), (v), __ATOMIC_SEQ_CST)

/* Wake wait_events() (emu not held). */
static void events_notify(mvpy_loop *l) {
  pthread_mutex_lock(&l->emu);
  pthread_cond_broadcast(&l->ecv);
  pthread_mutex_unlock(&l->emu);
}

/* A retired pool has no call left: wait_events() frees it. */
static void reap_soon(mvpy_loop *l) {
  pthread_mutex_lock(&l->emu);
  l->reap = 1;
  pthread_cond_broadcast(&l->ecv);
  pthread_mutex_unlock(&l->emu);
}

/* Pools (the loop's lock held) ------------------------------------------------ */

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
    if (fp->retired && mv_pool_requests(fp->pool) == 0) {
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
    /* Its requests end (canceled) meanwhile: it is unlinked only
     * afterwards. */
    if (l->loop) mv_pool_free(fp->pool);
    l->pools = fp->next;
    free(fp);
  }
}

void mvpy_pool_request_ended(mvpy_loop *l) {
  for (mvpy_fpool *fp = l->pools; fp; fp = fp->next)
    if (fp->retired && mv_pool_requests(fp->pool) == 0) reap_soon(l);
}

/* Pooled calls ---------------------------------------------------------------- */

/* The scheduler's round hook (mv_sched_on_round): the loop's lock held.
 * It also runs once more when the event thread stops because its loop
 * failed: wait_events() must then raise, not sleep for ever. */
void mvpy_pool_on_round(void *loop) {
  mvpy_loop *l = loop;
  mv_sched_t *s = LOAD(l->sched);
  if (s != NULL && mv_sched_failed(s)) {
    pthread_mutex_lock(&l->emu);
    l->sched_failed = 1;
    pthread_cond_broadcast(&l->ecv);
    pthread_mutex_unlock(&l->emu);
    return;
  }
  mvpy_pool_settle(l);
}

void mvpy_pool_settle(mvpy_loop *l) {
  mv_sched_t *s = LOAD(l->sched);
  if (l->loop == NULL || s == NULL || LOAD(l->closing)) return;
  /* Calls waiting: handed over, waiting for their turn or for a process. */
  int procs = 0;
  long waiting = (long)mv_sched_submitted(s);
  for (mvpy_fpool *fp = l->pools; fp; fp = fp->next) {
    int idle, busy;
    mv_pool_stats(fp->pool, &idle, &busy);
    procs += idle + busy;
    waiting += mv_pool_requests(fp->pool) - busy;
  }
  int had = LOAD(l->procs);
  STORE(l->procs, procs);
  if (had > 0 && procs == 0) {
    /* The last pool process ended (a call's end, clear(), a crash
     * between calls): the dispatcher may retire. Every end is a round
     * of the loop, so this hook sees it at once. */
    pthread_mutex_lock(&l->emu);
    l->procs_gone = 1;
    pthread_cond_broadcast(&l->ecv);
    pthread_mutex_unlock(&l->emu);
  }
  STORE(l->batching, waiting > 0);
}

/* The loop takes in a call handed over (the lock held): from now on it is
 * listed with the loop's running tasks. */
static void pool_on_taken(mv_task_t *core, void *data) {
  (void)core;
  mvpy_task *t = data;
  mvpy_loop *l = t->loop;
  mvpy_loop_link(l, t);
  ADD(l->handed, -1);
}

PyObject *mvpy_loop_pool_call(mvpy_loop *l, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"payload", "timeout", "name", "task_id", "batch", NULL};
  Py_buffer payload;
  double timeout;
  PyObject *name, *batch = Py_None;
  const char *task_id = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*dU|z$O:pool_call", kwlist, &payload, &timeout,
                                   &name, &task_id, &batch))
    return NULL;
  mvpy_state *st = mvpy_state_of_type(Py_TYPE(l));
  mvpy_task *t = NULL;
  mv_batch_t *core_batch = mvpy_batch_of(l, batch);
  if (core_batch == NULL && PyErr_Occurred()) {
    /* not a Batch of this loop: raised */
  } else if (mv_check_timeout(timeout, "timeout") < 0) {
    PyErr_SetString(PyExc_ValueError, mv_last_error());
  } else if (mvpy_loop_check(l) == 0) {
    t = mvpy_task_create(st, name, task_id);
  }
  mv_sched_t *s = t ? mvpy_loop_use(l) : NULL;
  if (t != NULL && s == NULL) {
    Py_CLEAR(t);
    PyErr_SetString(PyExc_RuntimeError, "the loop is closed");
  }
  mv_task_t *core = NULL;
  if (t != NULL) {
    mv_task_opts_t opts;
    mvpy_task_opts(&opts, timeout, task_id, t);
    opts.on_start = pool_on_taken;
    opts.batch = core_batch;
    /* Copies the payload: the call may wait after the caller's buffer is
     * gone. */
    int r = mv_sched_request(s, payload.buf, (size_t)payload.len, &opts, &core);
    if (r < 0) {
      mvpy_raise(st, r);
      Py_CLEAR(t);
      mvpy_loop_unuse(l);
    }
  }
  PyBuffer_Release(&payload);
  if (t == NULL) return NULL;
  /* Running from now on, for cancel() and pid (whoever takes the loop's
   * lock passes it to the pool first). */
  t->task = core;
  t->pooled = 1;
  snprintf(t->task_id, sizeof(t->task_id), "%s", mv_task_id(core));
  t->t_start = mvpy_monotonic();
  STORE(t->loop, l);
  STORE(t->state, MVPY_TASK_RUNNING);
  Py_INCREF(t); /* the loop's reference, handed out by wait() or wait_events() */
  ADD(l->handed, 1);
  mv_sched_submit(s, core);
  mvpy_loop_unuse(l);
  return (PyObject *)t;
}

void mvpy_pool_forget(mvpy_loop *l) {
  l->starts = l->starts_last = NULL;
  l->need = 0;
  l->reap = 0;
  l->procs = 0;
  mvpy_pools_free(l); /* a forked child: forgotten (the processes are the parent's) */
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
  mv_sched_t *s = mvpy_loop_lock(l);
  closed = s == NULL;
  r = closed ? MV_EINVAL : mv_pool_new_forked(l->loop, &cfg, &po, &fp->pool);
  if (r == 0) {
    /* The old pool takes no more calls; it is freed when they are done
     * (by wait_events(): freeing waits for its processes to exit). */
    for (mvpy_fpool *old = l->pools; old; old = old->next) {
      old->retired = 1;
      if (mv_pool_requests(old->pool) == 0) reap_soon(l);
    }
    fp->next = l->pools;
    l->pools = fp;
    mv_sched_set_pool(s, fp->pool); /* calls handed over from now on go there */
  } else if (!closed) {
    snprintf(detail, sizeof(detail), "%s", mv_last_error());
  }
  mvpy_loop_unlock(l, s);
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

/* Ends ---------------------------------------------------------------------- */

/* While pooled calls wait for a process, ends are handed to wait_events()
 * in batches (this many, or this old): each wake-up of the dispatcher
 * costs context switches and a GIL hand-over, which would otherwise be
 * paid for every call. Without calls waiting, ends go out at once. */
#define MVPY_BATCH 32
#define MVPY_BATCH_AGE 0.001

void mvpy_hand_off(mvpy_loop *l, mvpy_task *t) {
  pthread_mutex_lock(&l->emu);
  t->next = NULL;
  if (l->ready_last) {
    l->ready_last->next = t;
  } else {
    l->ready = t;
    l->ready_since = mvpy_monotonic();
  }
  l->ready_last = t;
  l->nready++;
  /* The first of a batch too: wait_events() then sleeps until it is due. */
  if (!LOAD(l->batching) || l->nready == 1 || l->nready >= MVPY_BATCH)
    pthread_cond_broadcast(&l->ecv);
  pthread_mutex_unlock(&l->emu);
}

mvpy_task *mvpy_take_ready(mvpy_loop *l) {
  pthread_mutex_lock(&l->emu);
  mvpy_task *chain = l->ready;
  l->ready = l->ready_last = NULL;
  l->nready = 0;
  pthread_mutex_unlock(&l->emu);
  return chain;
}

int mvpy_take_ready_one(mvpy_loop *l, mvpy_task *t) {
  pthread_mutex_lock(&l->emu);
  mvpy_task *prev = NULL;
  for (mvpy_task *c = l->ready; c; prev = c, c = c->next) {
    if (c != t) continue;
    if (prev) prev->next = c->next;
    else l->ready = c->next;
    if (l->ready_last == c) l->ready_last = prev;
    l->nready--;
    c->next = NULL;
    pthread_mutex_unlock(&l->emu);
    return 1;
  }
  pthread_mutex_unlock(&l->emu);
  return 0;
}

void mvpy_events_close(mvpy_loop *l) {
  STORE(l->closing, 1);
  events_notify(l);
}

/* wait_events() ----------------------------------------------------------------- */

/* Sleep on ecv (emu held) until woken or until `until` (monotonic; < 0:
 * forever). Returns non-zero if the time passed. */
static int events_sleep(mvpy_loop *l, double until) {
  if (until < 0) {
    pthread_cond_wait(&l->ecv, &l->emu);
    return 0;
  }
  struct timespec ts;
  ts.tv_sec = (time_t)until;
  ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
  return pthread_cond_timedwait(&l->ecv, &l->emu, &ts) != 0;
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
  mv_sched_t *s = mvpy_loop_use(l);
  if (s == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "the loop is closed");
    return NULL;
  }
  int r = 0;
  if (!LOAD(l->threaded)) {
    /* From now on the event thread drives the loop, until close(). (It
     * takes the lock: not with the GIL, as a wait() may hold it.) */
    Py_BEGIN_ALLOW_THREADS
    r = mv_sched_start_thread(s);
    Py_END_ALLOW_THREADS
    if (r == 0) STORE(l->threaded, 1);
  }
  if (r < 0) {
    mvpy_loop_unuse(l);
    return mvpy_raise(mvpy_state_of_type(Py_TYPE(l)), r);
  }
  int need, failed;
  mvpy_task *chain = NULL, *starts = NULL;
  Py_BEGIN_ALLOW_THREADS
  double deadline = timeout >= 0 ? mvpy_monotonic() + timeout : -1;
  pthread_mutex_lock(&l->emu);
  for (;;) {
    if (l->reap) {
      /* A retired pool to free (off the callbacks: freeing waits for its
       * processes). */
      l->reap = 0;
      pthread_mutex_unlock(&l->emu);
      mv_sched_lock(s);
      if (l->loop) pools_reap(l);
      mvpy_pool_settle(l);
      mv_sched_unlock(s);
      pthread_mutex_lock(&l->emu);
      continue;
    }
    if (l->procs_gone) {
      l->procs_gone = 0;
      break; /* the dispatcher may retire */
    }
    if (l->starts || l->need || l->py_wakes != l->py_seen || LOAD(l->closing) || l->sched_failed)
      break;
    double now = mvpy_monotonic(), until = deadline;
    if (deadline >= 0 && now >= deadline) break;
    if (l->ready) {
      double due = l->ready_since + MVPY_BATCH_AGE;
      if (!LOAD(l->batching) || l->nready >= MVPY_BATCH || now >= due) break;
      if (until < 0 || due < until) until = due;
    }
    events_sleep(l, until);
  }
  chain = l->ready;
  starts = l->starts;
  need = l->need;
  l->ready = l->ready_last = NULL;
  l->nready = 0;
  l->starts = l->starts_last = NULL;
  l->need = 0;
  l->py_seen = l->py_wakes;
  failed = l->sched_failed;
  pthread_mutex_unlock(&l->emu);
  Py_END_ALLOW_THREADS
  mvpy_loop_unuse(l);
  /* What had ended goes out first; the next call raises. */
  if (failed && chain == NULL && starts == NULL)
    return mvpy_raise_msg(mvpy_state_of_type(Py_TYPE(l)), MV_ESYS,
                          "the event thread stopped: its loop failed");
  /* The reserved tasks first: the chain keeps alive those that ended. */
  PyObject *sl = starts_to_list(starts);
  PyObject *tl = mvpy_chain_to_list(chain);
  if (sl == NULL || tl == NULL) {
    Py_XDECREF(sl);
    Py_XDECREF(tl);
    return NULL;
  }
  return Py_BuildValue("(NNi)", tl, sl, need);
}
