/*
 * The host side of the pre-forked pool: pool servers are persistent fork
 * tasks of a loop (Loop.fork_call(serve, persistent=True)), and pooled
 * calls are fed to them here, in C, by the loop's I/O thread, which never
 * takes the GIL.
 *
 * Why a thread of its own: the dispatcher thread needs the GIL for every
 * answer it hands to Python, and while the threads submitting calls hold
 * the GIL it can wait milliseconds for it. Servers fed from the dispatcher
 * would sit idle meanwhile; fed from here, a server that answered gets its
 * next call in the same round of events (mvpy_server_on_message).
 *
 * A pooled call goes into the loop's queue (pool_submit, any thread, under
 * `qmu` only; the I/O thread is woken only if it could start the call at
 * once). The I/O thread drives the core loop with `mu` held: it gives
 * queued calls to idle servers, arms each call's deadline in the server's
 * supervisor (mv_task_set_busy), and publishes answers, ended tasks and
 * the number of servers to fork to wait_events(), which sleeps on `ecv`.
 * While calls are waiting, answers are published in small batches (see
 * MVPY_BATCH). Servers busy and forked tasks running share one limit,
 * counted here under `mu` (busy_max(), take_slot()), so that neither side
 * can overshoot it while the other looks; the number of servers kept is
 * servers_max. The dispatcher sets both (pool_limits).
 *
 * The thread is started by wait_events() when the loop has tasks, and ends
 * by itself when it has none (wait_events() then works out the servers to
 * fork, and restarts it); closing the loop stops and joins it.
 */
#include "mvpy.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

/* Queue of pooled calls (qmu held) ---------------------------------------- */

static void req_push(mvpy_loop *l, mvpy_req *r, int front) {
  if (front) {
    r->next = l->q_head;
    l->q_head = r;
    if (l->q_tail == NULL) l->q_tail = r;
  } else {
    r->next = NULL;
    if (l->q_tail) l->q_tail->next = r;
    else l->q_head = r;
    l->q_tail = r;
  }
  STORE(l->q_len, l->q_len + 1);
}

static mvpy_req *req_pop(mvpy_loop *l) {
  mvpy_req *r = l->q_head;
  if (r == NULL) return NULL;
  l->q_head = r->next;
  if (l->q_head == NULL) l->q_tail = NULL;
  STORE(l->q_len, l->q_len - 1);
  return r;
}

static mvpy_req *req_remove(mvpy_loop *l, long long id) {
  mvpy_req *prev = NULL;
  for (mvpy_req *r = l->q_head; r; prev = r, r = r->next) {
    if (r->id != id) continue;
    if (prev) prev->next = r->next;
    else l->q_head = r->next;
    if (l->q_tail == r) l->q_tail = prev;
    STORE(l->q_len, l->q_len - 1);
    return r;
  }
  return NULL;
}

void mvpy_reqs_clear(mvpy_loop *l) {
  pthread_mutex_lock(&l->qmu);
  mvpy_req *r;
  while ((r = req_pop(l)) != NULL) free(r);
  pthread_mutex_unlock(&l->qmu);
}

void mvpy_msgs_clear(mvpy_loop *l) {
  pthread_mutex_lock(&l->emu);
  mvpy_msg *m = l->msgs;
  l->msgs = l->msgs_last = NULL;
  l->nmsgs = 0;
  pthread_mutex_unlock(&l->emu);
  while (m) {
    mvpy_msg *next = m->next;
    free(m);
    m = next;
  }
}

/* Feeding servers (mu held, no GIL) ------------------------------------- */

static int server_idle(const mvpy_task *t) {
  return t->server && !t->retiring && t->req == 0 && t->task && !mv_task_done(t->task);
}

/* How many servers may be busy now (mu held). */
static int busy_max(mvpy_loop *l) {
  int n = LOAD(l->limit) - l->forks - LOAD(l->hold);
  return n > 0 ? n : 0;
}

/* Give queued calls to idle servers, within the limit. */
static void pool_feed(mvpy_loop *l) {
  for (mvpy_task *t = l->running; t && LOAD(l->q_len) > 0; t = t->next) {
    if (l->servers_busy >= busy_max(l)) return;
    if (!server_idle(t)) continue;
    pthread_mutex_lock(&l->qmu);
    mvpy_req *r = req_pop(l);
    pthread_mutex_unlock(&l->qmu);
    if (r == NULL) return;
    /* The deadline first, so that it covers the whole call. */
    if (r->timeout > 0) {
      mv_task_set_busy(t->task, 1, r->timeout);
      t->timed = 1;
    }
    if (mv_task_send(t->task, r->data, r->len) < 0) {
      /* It no longer takes requests: never use it again; the call goes
       * back to the head of the queue. */
      if (t->timed) mv_task_set_busy(t->task, 0, 0);
      t->timed = 0;
      t->retiring = 1;
      pthread_mutex_lock(&l->qmu);
      req_push(l, r, 1);
      pthread_mutex_unlock(&l->qmu);
      continue;
    }
    t->req = r->id;
    t->sent_at = mvpy_monotonic();
    l->servers_busy++;
    free(r);
  }
}

/* How many servers Python should fork for the calls waiting now. Also
 * notes whether a call queued from now on could start at once: if not,
 * pool_submit() need not wake the loop (an answer will, or it feeds the
 * call itself). */
static int pool_need(mvpy_loop *l) {
  int live = 0, idle = 0;
  for (mvpy_task *t = l->running; t; t = t->next) {
    if (!t->server || t->retiring || t->task == NULL || mv_task_done(t->task)) continue;
    live++;
    if (t->req == 0) idle++;
  }
  long startable = busy_max(l) - l->servers_busy;
  long room = LOAD(l->servers_max) - live;
  STORE(l->want_calls, startable > 0 && (idle > 0 || room > 0));
  long queued = (long)LOAD(l->q_len);
  long want = (queued < startable ? queued : startable) - idle;
  if (want > room) want = room;
  return want > 0 ? (int)want : 0;
}

void mvpy_server_on_message(mv_task_t *core, const char *msg, size_t len, void *data) {
  mvpy_task *t = data;
  mvpy_loop *l = t->loop;
  if (l == NULL) return;
  mvpy_msg *m = malloc(sizeof(*m) + (len ? len : 1));
  if (m != NULL) {
    m->next = NULL;
    m->task = t;
    m->req = t->req;
    m->elapsed = t->req ? mvpy_monotonic() - t->sent_at : 0.0;
    m->len = len;
    if (len) memcpy(m->data, msg, len);
    /* Published to wait_events() at the end of this round (io_publish). */
    pthread_mutex_lock(&l->emu);
    if (l->msgs_last) {
      l->msgs_last->next = m;
    } else {
      l->msgs = m;
      l->msgs_since = mvpy_monotonic();
    }
    l->msgs_last = m;
    l->nmsgs++;
    pthread_mutex_unlock(&l->emu);
  }
  /* Lost (no memory): the call stays in flight until its deadline, a
   * cancel, or the server's end fails it. */
  if (m == NULL) return;
  if (t->req) {
    t->req = 0;
    l->servers_busy--;
  }
  if (t->timed) {
    mv_task_set_busy(core, 0, 0);
    t->timed = 0;
  }
  if (t->retiring) mv_task_close_input(core);
  else pool_feed(l); /* its next call, in this same round */
}

void mvpy_server_ended(mvpy_loop *l, mvpy_task *t) {
  if (t->req == 0) return;
  t->ended_req = t->req;
  t->ended_elapsed = mvpy_monotonic() - t->sent_at;
  t->req = 0;
  l->servers_busy--;
}

/* Loop methods ------------------------------------------------------------- */

/* [(task, request id, seconds, bytes), ...], freeing the messages. */
static PyObject *msgs_to_list(mvpy_msg *m) {
  PyObject *list = PyList_New(0);
  while (m) {
    mvpy_msg *next = m->next;
    if (list) {
      PyObject *item = Py_BuildValue("(OLdy#)", (PyObject *)m->task, m->req, m->elapsed,
                                     m->data, (Py_ssize_t)m->len);
      if (item == NULL || PyList_Append(list, item) < 0) Py_CLEAR(list);
      Py_XDECREF(item);
    }
    free(m);
    m = next;
  }
  return list;
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
  pthread_mutex_unlock(&l->emu);
  return chain;
}

/* While calls wait for servers, answers are handed to wait_events() in
 * batches (this many, or this old): each wake-up of the dispatcher costs
 * context switches and a GIL hand-over, which would otherwise be paid
 * for every call. Without waiting calls, answers go out at once. */
#define MVPY_BATCH 32
#define MVPY_BATCH_AGE 0.001

/* Hand what the last round produced to wait_events() (mu held). Returns
 * how long the I/O thread may sleep before a batch of answers is due, or
 * -1 for as long as it likes. */
static double io_publish(mvpy_loop *l, int need) {
  /* Pids arrive in the supervisors' first message: publish them. */
  mvpy_loop_publish_pids(l);
  mvpy_task *chain = mvpy_loop_collect(l); /* in the order they ended */
  pthread_mutex_lock(&l->emu);
  if (chain) {
    mvpy_task **end = &l->ready;
    while (*end) end = &(*end)->next;
    *end = chain;
  }
  if (need > l->need) l->need = need;
  double sleep = -1.0;
  int now = l->ready || l->need;
  if (!now && l->msgs) {
    double age = mvpy_monotonic() - l->msgs_since;
    now = LOAD(l->q_len) == 0 || l->nmsgs >= MVPY_BATCH || age >= MVPY_BATCH_AGE;
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
    pool_feed(l);
    if (mv_loop_active(l->loop) == 0) break; /* nothing to drive: wait_events() restarts it */
    double sleep = io_publish(l, pool_need(l));
    STORE(l->in_epoll, 1); /* from here, pool_submit() wakes the loop */
    pool_feed(l);          /* calls queued just before that */
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
  /* Cleared before the last look at the queue: a call queued from now on
   * kicks wait_events() instead (pool_submit). */
  STORE(l->io_started, 0);
  io_publish(l, l->loop ? pool_need(l) : 0);
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
  l->lockers = 0;
}

/* Start the I/O thread when the loop has tasks to drive; without any, work
 * out here what the thread would have (the servers to fork). No GIL. */
static int io_ensure(mvpy_loop *l) {
  if (LOAD(l->io_started)) return 0;
  if (LOAD(l->io_joinable)) { /* it ended on its own */
    pthread_join(l->io, NULL);
    STORE(l->io_joinable, 0);
  }
  int e = 0;
  pthread_mutex_lock(&l->mu);
  if (l->loop && mv_loop_active(l->loop) > 0) {
    STORE(l->io_started, 1);
    e = pthread_create(&l->io, NULL, io_main, l);
    if (e == 0) STORE(l->io_joinable, 1);
    else STORE(l->io_started, 0);
  } else if (l->loop) {
    io_publish(l, pool_need(l));
  }
  pthread_mutex_unlock(&l->mu);
  return e;
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
  mvpy_task *chain = NULL;
  mvpy_msg *msgs = NULL;
  Py_BEGIN_ALLOW_THREADS
  struct timespec until = {0, 0};
  if (timeout >= 0) {
    double end = mvpy_monotonic() + timeout;
    until.tv_sec = (time_t)end;
    until.tv_nsec = (long)((end - (double)until.tv_sec) * 1e9);
  }
  e = io_ensure(l);
  pthread_mutex_lock(&l->emu);
  while (e == 0 && !l->ready && !l->msgs && l->need == 0 && !l->kicked &&
         l->py_wakes == l->py_seen && !l->io_failed) {
    if (!LOAD(l->io_started)) {
      /* The thread ended (no tasks left) while we slept: look again. */
      pthread_mutex_unlock(&l->emu);
      e = io_ensure(l);
      pthread_mutex_lock(&l->emu);
      if (!LOAD(l->io_started) && !l->ready && l->need == 0 && !l->kicked &&
          events_sleep(l, timeout, &until))
        break;
      continue;
    }
    if (events_sleep(l, timeout, &until)) break;
  }
  chain = l->ready;
  msgs = l->msgs;
  need = l->need;
  failed = l->io_failed;
  if (failed) snprintf(detail, sizeof(detail), "%s", l->io_error);
  l->ready = NULL;
  l->msgs = l->msgs_last = NULL;
  l->nmsgs = 0;
  l->need = 0;
  l->kicked = 0;
  l->py_seen = l->py_wakes;
  pthread_mutex_unlock(&l->emu);
  Py_END_ALLOW_THREADS
  /* Answers first: the tasks they name are kept alive by the chain. */
  PyObject *ml = msgs_to_list(msgs);
  PyObject *tl = mvpy_chain_to_list(chain);
  if (ml == NULL || tl == NULL) {
    Py_XDECREF(ml);
    Py_XDECREF(tl);
    return NULL;
  }
  if (e != 0) {
    Py_DECREF(ml);
    Py_DECREF(tl);
    errno = e;
    return PyErr_SetFromErrno(PyExc_OSError);
  }
  if (failed && PyList_GET_SIZE(ml) == 0 && PyList_GET_SIZE(tl) == 0) {
    Py_DECREF(ml);
    Py_DECREF(tl);
    return mvpy_raise_msg(mvpy_state_of_type(Py_TYPE(l)), MV_ESYS, detail);
  }
  return Py_BuildValue("(NNi)", tl, ml, need);
}

PyObject *mvpy_loop_pool_submit(mvpy_loop *l, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"request_id", "payload", "timeout", NULL};
  long long id;
  Py_buffer payload;
  double timeout = 0.0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "Ly*|d:pool_submit", kwlist, &id, &payload,
                                   &timeout))
    return NULL;
  if (id <= 0 || !(timeout >= 0)) {
    PyBuffer_Release(&payload);
    PyErr_SetString(PyExc_ValueError, "request_id must be > 0 and timeout >= 0");
    return NULL;
  }
  if (mvpy_loop_check(l) < 0) {
    PyBuffer_Release(&payload);
    return NULL;
  }
  mvpy_req *r = malloc(sizeof(*r) + (size_t)payload.len + 1);
  if (r == NULL) {
    PyBuffer_Release(&payload);
    return PyErr_NoMemory();
  }
  r->id = id;
  r->timeout = timeout;
  r->len = (size_t)payload.len;
  memcpy(r->data, payload.buf, r->len);
  PyBuffer_Release(&payload);
  pthread_mutex_lock(&l->qmu);
  req_push(l, r, 0);
  pthread_mutex_unlock(&l->qmu);
  if (!LOAD(l->io_started)) {
    /* No thread drives the loop (no task yet): wait_events() forks
     * servers for it. */
    pthread_mutex_lock(&l->emu);
    l->kicked = 1;
    pthread_cond_broadcast(&l->ecv);
    pthread_mutex_unlock(&l->emu);
  } else if (LOAD(l->in_epoll) && LOAD(l->want_calls)) {
    mvpy_loop_wakeup_core(l);
  }
  Py_RETURN_NONE;
}

PyObject *mvpy_loop_pool_cancel(mvpy_loop *l, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"request_id", "kill", NULL};
  long long id;
  int kill = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "L|p:pool_cancel", kwlist, &id, &kill))
    return NULL;
  pthread_mutex_lock(&l->qmu);
  mvpy_req *r = req_remove(l, id);
  pthread_mutex_unlock(&l->qmu);
  if (r) {
    free(r);
    return PyLong_FromLong(1);
  }
  int result = 0;
  if (kill) {
    /* Taken by a server meanwhile, maybe: it is running now. */
    mvpy_loop_lock(l);
    if (mvpy_loop_ours(l)) {
      for (mvpy_task *t = l->running; t; t = t->next) {
        if (t->server && t->req == id && t->task) {
          mv_task_cancel(t->task);
          result = 2;
          break;
        }
      }
    }
    mvpy_loop_unlock(l);
  }
  return PyLong_FromLong(result);
}

/* Calls held back by a lower limit may start now: wake the I/O thread. */
static void wake_io(mvpy_loop *l) {
  if (LOAD(l->in_epoll)) mvpy_loop_wakeup_core(l);
}

PyObject *mvpy_loop_pool_limits(mvpy_loop *l, PyObject *args) {
  int limit, servers_max, hold;
  if (!PyArg_ParseTuple(args, "iip:pool_limits", &limit, &servers_max, &hold)) return NULL;
  limit = limit < 0 ? 0 : limit;
  servers_max = servers_max < 0 ? 0 : servers_max;
  int changed = LOAD(l->limit) != limit || LOAD(l->servers_max) != servers_max ||
                LOAD(l->hold) != hold;
  STORE(l->limit, limit);
  STORE(l->servers_max, servers_max);
  STORE(l->hold, hold);
  if (changed) wake_io(l);
  Py_RETURN_NONE;
}

PyObject *mvpy_loop_take_slot(mvpy_loop *l, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"force", NULL};
  int force = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|p:take_slot", kwlist, &force)) return NULL;
  if (mvpy_loop_check(l) < 0) return NULL;
  mvpy_loop_lock(l);
  int ok = force || l->servers_busy + l->forks < LOAD(l->limit);
  if (ok) l->forks++;
  mvpy_loop_unlock(l);
  return PyBool_FromLong(ok);
}

PyObject *mvpy_loop_give_slot(mvpy_loop *l, PyObject *unused) {
  (void)unused;
  if (!mvpy_loop_ours(l)) Py_RETURN_NONE;
  mvpy_loop_lock(l);
  if (l->forks > 0) l->forks--;
  mvpy_loop_unlock(l);
  wake_io(l);
  Py_RETURN_NONE;
}

PyObject *mvpy_loop_pool_pid(mvpy_loop *l, PyObject *arg) {
  long long id = PyLong_AsLongLong(arg);
  if (id == -1 && PyErr_Occurred()) return NULL;
  pid_t pid = -1;
  mvpy_loop_lock(l);
  if (mvpy_loop_ours(l)) {
    for (mvpy_task *t = l->running; t; t = t->next)
      if (t->server && t->req == id && t->task) pid = mv_task_pid(t->task);
  }
  mvpy_loop_unlock(l);
  if (pid <= 0) Py_RETURN_NONE;
  return PyLong_FromLong((long)pid);
}

PyObject *mvpy_loop_pool_stats(mvpy_loop *l, PyObject *unused) {
  (void)unused;
  int idle = 0, busy = 0, servers = 0, slots;
  mvpy_loop_lock(l);
  for (mvpy_task *t = l->running; t; t = t->next) {
    if (!t->server || t->task == NULL || mv_task_done(t->task)) continue;
    servers++;
    if (t->req) busy++;
    else if (!t->retiring) idle++;
  }
  slots = LOAD(l->limit) - l->forks - l->servers_busy;
  mvpy_loop_unlock(l);
  return Py_BuildValue("(niiii)", (Py_ssize_t)LOAD(l->q_len), idle, busy, servers,
                       slots > 0 ? slots : 0);
}
