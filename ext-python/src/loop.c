/*
 * multiverse._core.Loop: one core event loop and the tasks started in it.
 *
 * fork_call() forks the host into a supervised task the way os.fork()
 * does (PyOS_BeforeFork / PyOS_AfterFork_Parent / PyOS_AfterFork_Child).
 * In the child it drops the parent's loop, calls the runner, sends the
 * bytes it returns as the task's result and _exit()s: no atexit handlers,
 * no finalizers, nothing of the parent's shutdown runs there.
 *
 * reserve() and fork_reserved() do the same for a task that waits for
 * its turn in the loop's limit, and pool_fork() forks a process of the
 * pre-forked pool, which serves requests (channel.c, pool.c).
 *
 * The core loop is shared by the Python threads through the core's
 * scheduler (mv_sched_t): see mvpy.h for the locking rules. wait() drives
 * it in the calling thread with the GIL released (mv_sched_wait). A loop
 * that wait_events() drives is in event mode instead (pool.c): the core's
 * event thread drives it, and wait() refuses it.
 */
#include "mvpy.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define ADD(x, v) __atomic_add_fetch(&(x), (v), __ATOMIC_SEQ_CST)

/* The scheduler and its users ------------------------------------------------ */

mv_sched_t *mvpy_loop_use(mvpy_loop *l) {
  ADD(l->users, 1);
  /* Read after counting ourselves: close() clears it, then waits for the
   * count to drop to 0 before it frees the scheduler. */
  mv_sched_t *s = LOAD(l->sched);
  if (s == NULL) mvpy_loop_unuse(l);
  return s;
}

void mvpy_loop_unuse(mvpy_loop *l) {
  if (ADD(l->users, -1) == 0 && LOAD(l->closing)) {
    pthread_mutex_lock(&l->emu);
    pthread_cond_broadcast(&l->ecv);
    pthread_mutex_unlock(&l->emu);
  }
}

mv_sched_t *mvpy_loop_lock(mvpy_loop *l) {
  mv_sched_t *s = mvpy_loop_use(l);
  if (s == NULL) return NULL;
  mv_sched_lock(s);
  if (l->loop == NULL) { /* closed while we waited */
    mv_sched_unlock(s);
    mvpy_loop_unuse(l);
    return NULL;
  }
  return s;
}

void mvpy_loop_unlock(mvpy_loop *l, mv_sched_t *s) {
  if (s == NULL) return;
  /* What the holder did may have changed the pools (a process forked, a
   * call ended). */
  mvpy_pool_settle(l);
  mv_sched_unlock(s);
  mvpy_loop_unuse(l);
}

/* Intrusive lists ------------------------------------------------------- */

static void list_push(mvpy_task **head, mvpy_task *t) {
  t->prev = NULL;
  t->next = *head;
  if (*head) (*head)->prev = t;
  *head = t;
}

static void list_remove(mvpy_task **head, mvpy_task *t) {
  if (t->prev) t->prev->next = t->next;
  else *head = t->next;
  if (t->next) t->next->prev = t->prev;
  t->prev = t->next = NULL;
}

void mvpy_loop_adopt_core(mvpy_task *t, mv_task_t *core) {
  /* Not if it ended inside the call that made it: its end collected it
   * (and freed `core`). */
  if (t->state != MVPY_TASK_RUNNING || t->task != NULL || t->have_report) return;
  t->task = core;
  snprintf(t->task_id, sizeof(t->task_id), "%s", mv_task_id(core));
}

/* Called by the core with the loop's lock held, on the event thread or
 * in whichever thread holds the lock: no GIL, no Python calls, no
 * blocking. The task's report moves into its object (the core task is
 * freed) and the object goes to the hand-off list for wait() or
 * wait_events(). */
void mvpy_loop_on_done(mv_task_t *core, void *data) {
  mvpy_task *t = data;
  mvpy_loop *l = t->loop;
  if (l == NULL) return; /* let go of by a loop whose epoll broke (close) */
  if (t->task == NULL && core != NULL) {
    /* It ended inside the call that made it (a pooled call whose process
     * could not start): that call has not returned its task yet. */
    t->task = core;
    snprintf(t->task_id, sizeof(t->task_id), "%s", mv_task_id(core));
  }
  mvpy_pool_request_ended(l);
  list_remove(&l->running, t);
  STORE(l->nrunning, l->nrunning - 1);
  mvpy_task_collect(t);
  /* Whether ends are batched (calls wait for a process). */
  mvpy_pool_settle(l);
  mvpy_hand_off(l, t);
}

/* Forget every running task (forked child, or a loop that could not be
 * drained): the objects stop pointing at core tasks. Returns them as a
 * chain. */
static mvpy_task *loop_detach_all(mvpy_loop *l) {
  mvpy_task *chain = NULL;
  while (l->running) {
    mvpy_task *t = l->running;
    list_remove(&l->running, t);
    t->task = NULL;
    STORE(t->loop, NULL);
    STORE(t->state, MVPY_TASK_DONE);
    t->next = chain;
    chain = t;
  }
  STORE(l->nrunning, 0);
  return chain;
}

/* The loop's references to a chain of tasks, as a list (stealing them). */
PyObject *mvpy_chain_to_list(mvpy_task *chain) {
  PyObject *list = PyList_New(0);
  while (chain) {
    mvpy_task *next = chain->next;
    chain->next = NULL;
    if (list && PyList_Append(list, (PyObject *)chain) < 0) Py_CLEAR(list);
    Py_DECREF(chain);
    chain = next;
  }
  return list;
}

/* Append `more` to `chain`; returns the new chain. */
static mvpy_task *chain_append(mvpy_task *chain, mvpy_task *more) {
  if (chain == NULL) return more;
  mvpy_task *t = chain;
  while (t->next) t = t->next;
  t->next = more;
  return chain;
}

static void chain_release(mvpy_task *chain) {
  while (chain) {
    mvpy_task *next = chain->next;
    chain->next = NULL;
    Py_DECREF(chain);
    chain = next;
  }
}

static void loop_init_sync(mvpy_loop *l) {
  pthread_mutex_init(&l->emu, NULL);
  /* Timed waits for events count in monotonic time. */
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&l->ecv, &attr);
  pthread_condattr_destroy(&attr);
}

/* Drop the parent's loop in a forked child without signalling anything.
 * The mutexes are re-created first: a thread of the parent may have held
 * one at the moment of the fork, and that thread does not exist here
 * (nor does the event thread, nor the scheduler's lock holder).
 *
 * The running tasks are left as they are, listed and referenced by the
 * loop, which keeps itself alive for them (they point at it): detaching
 * each would write to every object, and the kernel would copy each page
 * from the parent, for every task forked while many others run. They
 * count as done from now on (mvpy_task_state). Only a loop being
 * deallocated (`dying`) lets go of them one by one. */
static mvpy_task *loop_forget(mvpy_loop *l, int dying) {
  loop_init_sync(l);
  l->users = 0;
  l->closing = 0;
  l->threaded = 0;
  l->batching = 0;
  l->procs_gone = 0;
  l->sched_failed = 0;
  mvpy_task *chain = mvpy_take_ready(l);
  /* Calls handed over and not taken in yet point at it too. */
  if (dying || (l->running == NULL && LOAD(l->handed) == 0)) {
    chain = chain_append(chain, loop_detach_all(l));
  } else if (!LOAD(l->forgotten)) {
    Py_INCREF(l);
    STORE(l->forgotten, 1);
    STORE(l->nrunning, 0);
  }
  mvpy_pool_forget(l);
  mv_sched_t *s = l->sched;
  l->sched = NULL;
  l->loop = NULL;
  /* Its pools go with it, as copies: the processes are the parent's. */
  if (s) mv_sched_forget(s);
  return chain;
}

/* Cancel every running task (the lock held), those waiting for their turn
 * first, so that no slot given back starts one. */
static void loop_cancel_all(mvpy_loop *l) {
  for (int pass = 0; pass < 2; pass++) {
    mvpy_task *t = l->running;
    while (t) {
      mv_task_t *core = t->task;
      if (core && (pass == 1 || mv_task_queued(core))) {
        mv_task_cancel(core);
        /* One that never started has ended (collected: its core task is
         * freed), and left the list. */
        if (t->task == NULL) {
          t = l->running;
          continue;
        }
      }
      t = t->next;
    }
  }
}

/* Cancel everything, wait for every tree to die, free the scheduler and
 * its loop. Called without the GIL, by the owner. */
static mvpy_task *loop_shutdown(mvpy_loop *l) {
  mv_sched_t *s = l->sched;
  /* `closing` is set (under the GIL): from here no call is passed on by
   * an end, and a wait_events() of another thread returns. */
  mvpy_events_close(l);
  mv_sched_lock(s); /* pooled calls handed over so far are taken in */
  /* The pools first: their calls are canceled (processes killed), their
   * idle processes retired, and the loop's free would not free them.
   * Calls handed over from now on find no pool and end at once. */
  mv_sched_set_pool(s, NULL);
  mvpy_pools_free(l);
  /* Warm calls in flight are canceled with the rest (their processes
   * killed); freeing the loop then retires the idle warm processes. This
   * thread drives the loop meanwhile (the event thread steps aside while
   * the lock is held). */
  loop_cancel_all(l);
  while (l->running) {
    int r = mv_loop_wait(l->loop, NULL, -1);
    if (r < 0 && r != MV_EINTR) break;
  }
  mvpy_task *chain = mvpy_take_ready(l);
  /* Only on a broken epoll can tasks remain; freeing the loop kills and
   * frees them, so the objects must let go of them first. */
  chain = chain_append(chain, loop_detach_all(l));
  l->loop = NULL;
  STORE(l->sched, NULL);
  mv_sched_unlock(s);
  /* Threads that read the scheduler before it was cleared let go of it
   * (a locker finds the loop closed). */
  pthread_mutex_lock(&l->emu);
  while (LOAD(l->users) > 0) pthread_cond_wait(&l->ecv, &l->emu);
  pthread_mutex_unlock(&l->emu);
  mv_sched_free(s); /* joins the event thread */
  mvpy_batches_orphaned_free(l); /* every task that was in one is freed */
  /* Calls handed over as the loop closed: they ended without running. */
  mvpy_pool_forget(l);
  chain = chain_append(chain, mvpy_take_ready(l));
  return chain;
}

/* Type ---------------------------------------------------------------- */

static PyObject *loop_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
  if (!PyArg_ParseTuple(args, ":Loop") || (kwds && PyDict_Size(kwds) > 0)) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "Loop() takes no arguments");
    return NULL;
  }
  mvpy_loop *self = (mvpy_loop *)type->tp_alloc(type, 0);
  if (self == NULL) return NULL;
  loop_init_sync(self);
  self->owner = mvpy_getpid();
  int r = mv_sched_new(&self->sched);
  if (r < 0) {
    Py_DECREF(self);
    return mvpy_raise(mvpy_state_of_type(type), r);
  }
  self->loop = mv_sched_loop(self->sched);
  /* Pooled calls handed over without the lock go to the core after each
   * round, by whoever drives the loop (pool.c). */
  mv_sched_on_round(self->sched, mvpy_pool_on_round, self);
  return (PyObject *)self;
}

static void loop_dealloc(mvpy_loop *self) {
  PyTypeObject *tp = Py_TYPE(self);
  if (self->loop) {
    mvpy_task *chain;
    if (self->owner == mvpy_getpid()) {
      STORE(self->closing, 1);
      Py_BEGIN_ALLOW_THREADS
      chain = loop_shutdown(self);
      Py_END_ALLOW_THREADS
    } else {
      chain = loop_forget(self, 1);
    }
    chain_release(chain);
  }
  tp->tp_free((PyObject *)self);
  Py_DECREF(tp);
}

static PyObject *loop_closed_error(void) {
  PyErr_SetString(PyExc_RuntimeError, "the loop is closed");
  return NULL;
}

int mvpy_loop_check(mvpy_loop *self) {
  if (self->loop == NULL) {
    loop_closed_error();
    return -1;
  }
  if (self->owner != mvpy_getpid()) {
    PyErr_Format(PyExc_RuntimeError,
                 "this loop belongs to process %d; a forked child must use a new loop",
                 (int)self->owner);
    return -1;
  }
  return 0;
}

/* First steps of a forked task: only this thread exists now. The
 * parent's loop goes first: its fds (other tasks' pipes and control
 * sockets) must not stay open here. */
static void loop_child_begin(mvpy_loop *self) {
  mvpy_task *chain = loop_forget(self, 0);
  PyOS_AfterFork_Child();
  /* The forking thread's mask is not the task's business. */
  sigset_t empty;
  sigemptyset(&empty);
  pthread_sigmask(SIG_SETMASK, &empty, NULL);
  chain_release(chain);
}

/* The child side of fork_call(). Never returns. */
static void loop_child(mvpy_loop *self, PyObject *runner, mv_child_t *child) {
  loop_child_begin(self);
  int code = 0;
  PyObject *res = PyObject_CallNoArgs(runner);
  if (res == NULL) {
    PyErr_Print();
    code = 1;
  } else {
    Py_buffer view;
    if (PyObject_GetBuffer(res, &view, PyBUF_SIMPLE) == 0) {
      if (mv_child_send(child, view.buf, (size_t)view.len) < 0) code = 1;
      PyBuffer_Release(&view);
    } else {
      PyErr_Print();
      code = 1;
    }
    Py_DECREF(res);
  }
  mvpy_flush_std();
  mv_child_exit(child, code);
}

int mvpy_loop_timeout(PyObject *timeout_obj, double *timeout) {
  *timeout = -1.0; /* the config's timeout */
  if (timeout_obj == NULL || timeout_obj == Py_None) return 0;
  *timeout = PyFloat_AsDouble(timeout_obj);
  if (*timeout == -1.0 && PyErr_Occurred()) return -1;
  if (mv_check_timeout(*timeout, "timeout") < 0) {
    PyErr_SetString(PyExc_ValueError, mv_last_error());
    return -1;
  }
  return 0;
}

int mvpy_wait_timeout(PyObject *timeout_obj, double *timeout) {
  *timeout = -1.0; /* forever */
  if (timeout_obj == Py_None) return 0;
  *timeout = PyFloat_AsDouble(timeout_obj);
  if (*timeout == -1.0 && PyErr_Occurred()) return -1;
  if (!(*timeout >= 0)) {
    PyErr_SetString(PyExc_ValueError, "timeout must be None or >= 0");
    return -1;
  }
  return 0;
}

void mvpy_task_opts(mv_task_opts_t *opts, double timeout, const char *task_id, mvpy_task *obj) {
  memset(opts, 0, sizeof(*opts));
  opts->timeout = timeout;
  opts->task_id = task_id;
  opts->on_done = mvpy_loop_on_done;
  opts->data = obj;
}

void mvpy_loop_link(mvpy_loop *l, mvpy_task *obj) {
  obj->t_start = mvpy_monotonic();
  STORE(obj->loop, l);
  STORE(obj->state, MVPY_TASK_RUNNING);
  list_push(&l->running, obj);
  STORE(l->nrunning, l->nrunning + 1);
}

/* Link a started task into the loop (the lock held). */
static void loop_adopt(mvpy_loop *self, mvpy_task *obj, mv_task_t *core) {
  obj->task = core;
  snprintf(obj->task_id, sizeof(obj->task_id), "%s", mv_task_id(core));
  Py_INCREF(obj); /* the loop's reference, handed out by wait() */
  mvpy_loop_link(self, obj);
}

void mvpy_loop_unlink(mvpy_loop *l, mvpy_task *obj) {
  list_remove(&l->running, obj);
  STORE(l->nrunning, l->nrunning - 1);
  STORE(obj->loop, NULL);
  STORE(obj->state, MVPY_TASK_NEW);
}

void mvpy_loop_fail(mvpy_loop *l, mvpy_task *t, int status, const char *message) {
  mv_report_t *r = &t->report;
  if (t->have_report) mv_report_dispose(r);
  memset(r, 0, sizeof(*r));
  r->status = status;
  r->end = MV_END_SPAWN_FAILED;
  r->exit_code = -1;
  r->pid = -1;
  r->driver = MV_DRIVER_FORK;
  r->tier = "";
  r->message = strdup(message && *message ? message : mv_strerror(status));
  r->worker = strdup("");
  snprintf(r->task_id, sizeof(r->task_id), "%s", t->task_id);
  t->have_report = 1;
  (void)l;
  mvpy_loop_on_done(NULL, t); /* ended: wait() or wait_events() hands it out */
}

/* Forks --------------------------------------------------------------------- */

enum { FORK_CALL, FORK_RESERVED, FORK_POOL };
#define FORK_NONE 2 /* nothing to fork (the reserved task ended, no pool asked) */

typedef struct {
  int kind;
  mvpy_task *obj;             /* the task: new (FORK_CALL) or reserved */
  const mv_config_t *cfg;
  const mv_task_opts_t *opts;
  int closed;                 /* out: the loop was closed meanwhile */
  char detail[1024];          /* out: the core's message on failure */
} loop_fork_t;

/* Fork with the hooks os.fork() runs, the loop locked. In the host,
 * returns 0 (forked), FORK_NONE, or a negative error (f->detail says
 * why); in the child runs the task (runner() -> its result) or the pool
 * process (runner(channel)) and _exit()s. */
static int loop_fork(mvpy_loop *self, loop_fork_t *f, PyObject *runner) {
  mvpy_state *st = mvpy_state_of_type(Py_TYPE(self));
  mv_task_t *core = NULL;
  mv_child_t *child = NULL;
  int r = MV_EINVAL;
  PyOS_BeforeFork();
  mv_sched_t *s = mvpy_loop_lock(self);
  /* Checked again under the lock: close() may have run meanwhile. */
  f->closed = s == NULL;
  if (!f->closed) {
    if (f->kind == FORK_CALL) {
      r = mv_task_fork(self->loop, f->cfg, f->opts, &core, &child);
    } else if (f->kind == FORK_RESERVED) {
      mvpy_task *t = f->obj;
      /* Canceled before its fork: it has ended, or is about to be handed
       * out. */
      r = t->loop != self || t->task == NULL || mv_task_done(t->task)
              ? FORK_NONE
              : mv_task_fork_reserved(t->task, f->cfg, f->opts, &child);
    } else {
      mvpy_fpool *fp = mvpy_pool_needing(self);
      r = fp ? mv_pool_fork(fp->pool, &child) : FORK_NONE;
    }
  }
  if (r == MV_FORK_CHILD && f->kind == FORK_POOL) {
    loop_child_begin(self);
    mvpy_server_child(runner, child, st);
  }
  if (r == MV_FORK_CHILD) loop_child(self, runner, child);
  if (r == 0 && f->kind == FORK_CALL) loop_adopt(self, f->obj, core);
  if (r < 0 && !f->closed) snprintf(f->detail, sizeof(f->detail), "%s", mv_last_error());
  mvpy_loop_unlock(self, s);
  PyOS_AfterFork_Parent();
  return r;
}

/* Raise what loop_fork() failed with. */
static PyObject *loop_fork_error(mvpy_loop *self, const loop_fork_t *f, int r) {
  if (f->closed) return loop_closed_error();
  return mvpy_raise_msg(mvpy_state_of_type(Py_TYPE(self)), r, f->detail);
}

/* The options of a forked task: its timeout (None: the config's), limits,
 * and flags. Tasks are forked from the dispatcher thread at moments the
 * caller does not choose: they must not keep another thread's subprocess
 * pipes (close-on-exec in Python, PEP 446) open. */
static int fork_opts(mv_task_opts_t *opts, mvpy_task *obj, const char *task_id,
                     PyObject *timeout_obj, long mem_kb, long cpu_s, int capture, int reg) {
  double timeout;
  if (mvpy_loop_timeout(timeout_obj, &timeout) < 0) return -1;
  mvpy_task_opts(opts, timeout, task_id, obj);
  opts->max_memory_kb = mem_kb;
  opts->max_cpu_secs = cpu_s;
  opts->flags = reg ? 0 : MV_TASK_NO_REGISTRY;
  opts->fork_flags = (capture ? MV_FORK_CAPTURE : 0) | MV_FORK_CLOSE_PIPES;
  if (obj && (opts->name = PyUnicode_AsUTF8(obj->name)) == NULL) return -1;
  return 0;
}

static int check_runner(PyObject *runner) {
  if (PyCallable_Check(runner)) return 0;
  PyErr_SetString(PyExc_TypeError, "runner must be callable");
  return -1;
}

/* A task's name argument: a str, or None for "fork". */
static PyObject *task_name_arg(PyObject *name) {
  if (name == NULL || name == Py_None) return PyUnicode_FromString("fork");
  if (!PyUnicode_Check(name)) {
    PyErr_SetString(PyExc_TypeError, "name must be a str or None");
    return NULL;
  }
  Py_INCREF(name);
  return name;
}

static PyObject *loop_fork_call(mvpy_loop *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"runner", "name", "timeout", "max_memory_kb", "max_cpu_secs",
                           "config", "task_id", "capture", "register", "batch", NULL};
  PyObject *runner, *name = NULL, *timeout_obj = NULL, *config = Py_None, *batch = Py_None;
  long mem_kb = 0, cpu_s = 0;
  const char *task_id = NULL;
  int capture = 0, reg = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$OOllOzppO:fork_call", kwlist, &runner, &name,
                                   &timeout_obj, &mem_kb, &cpu_s, &config, &task_id, &capture,
                                   &reg, &batch))
    return NULL;
  mv_batch_t *core_batch = mvpy_batch_of(self, batch);
  if (core_batch == NULL && PyErr_Occurred()) return NULL;
  if (check_runner(runner) < 0 || (name = task_name_arg(name)) == NULL) return NULL;
  PyObject *result = NULL;
  mvpy_task *obj = NULL;
  mv_config_t cfg;
  mv_config_init(&cfg);
  mv_task_opts_t opts;
  if (mvpy_loop_check(self) < 0 || mvpy_config_from(config, &cfg) < 0) goto done;
  obj = mvpy_task_create(mvpy_state_of_type(Py_TYPE(self)), name, task_id);
  if (obj == NULL ||
      fork_opts(&opts, obj, task_id, timeout_obj, mem_kb, cpu_s, capture, reg) < 0)
    goto done;
  opts.batch = core_batch; /* counted in it, even beyond its limit */
  loop_fork_t f = {FORK_CALL, obj, &cfg, &opts, 0, ""};
  int r = loop_fork(self, &f, runner);
  if (r < 0) {
    loop_fork_error(self, &f, r);
    goto done;
  }
  Py_INCREF(obj);
  result = (PyObject *)obj;
done:
  Py_XDECREF(obj);
  Py_DECREF(name);
  mv_config_dispose(&cfg);
  return result;
}

static PyObject *loop_reserve(mvpy_loop *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"name", "task_id", "batch", "notify", NULL};
  PyObject *name = NULL, *batch = Py_None;
  const char *task_id = NULL;
  int notify = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$OzOp:reserve", kwlist, &name, &task_id, &batch,
                                   &notify))
    return NULL;
  mv_batch_t *core_batch = mvpy_batch_of(self, batch);
  if (core_batch == NULL && PyErr_Occurred()) return NULL;
  if ((name = task_name_arg(name)) == NULL) return NULL;
  PyObject *result = NULL;
  mvpy_task *obj = NULL;
  mv_task_opts_t opts;
  if (mvpy_loop_check(self) < 0 ||
      (obj = mvpy_task_create(mvpy_state_of_type(Py_TYPE(self)), name, task_id)) == NULL ||
      fork_opts(&opts, obj, task_id, NULL, 0, 0, 0, 1) < 0)
    goto done;
  opts.on_start = mvpy_on_start;
  opts.batch = core_batch;
  mv_task_t *core = NULL;
  char detail[512] = "";
  mv_sched_t *s = mvpy_loop_lock(self);
  int closed = s == NULL; /* close() may have run meanwhile */
  int r = closed ? MV_EINVAL : mv_task_reserve(self->loop, &opts, &core);
  if (r >= 0) loop_adopt(self, obj, core); /* on_start comes later, under the lock */
  /* Its slot is here already: wait_events() lists it now, for the thread
   * that forks what other threads reserve. */
  if (r == 1 && notify) mvpy_on_start(core, obj);
  else if (!closed) snprintf(detail, sizeof(detail), "%s", mv_last_error());
  mvpy_loop_unlock(self, s);
  if (closed) loop_closed_error();
  else if (r < 0) mvpy_raise_msg(mvpy_state_of_type(Py_TYPE(self)), r, detail);
  else result = Py_BuildValue("(OO)", (PyObject *)obj, r == 1 ? Py_True : Py_False);
done:
  Py_XDECREF(obj);
  Py_DECREF(name);
  return result;
}

static PyObject *loop_fork_reserved(mvpy_loop *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"task", "runner", "timeout", "max_memory_kb", "max_cpu_secs",
                           "config", "capture", "register", NULL};
  PyObject *task, *runner, *timeout_obj = NULL, *config = Py_None;
  long mem_kb = 0, cpu_s = 0;
  int capture = 0, reg = 1;
  mvpy_state *st = mvpy_state_of_type(Py_TYPE(self));
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O|$OllOpp:fork_reserved", kwlist,
                                   st->task_type, &task, &runner, &timeout_obj, &mem_kb, &cpu_s,
                                   &config, &capture, &reg))
    return NULL;
  if (check_runner(runner) < 0 || mvpy_loop_check(self) < 0) return NULL;
  PyObject *result = NULL;
  mv_config_t cfg;
  mv_config_init(&cfg);
  mv_task_opts_t opts;
  if (mvpy_config_from(config, &cfg) == 0 &&
      fork_opts(&opts, NULL, NULL, timeout_obj, mem_kb, cpu_s, capture, reg) == 0) {
    loop_fork_t f = {FORK_RESERVED, (mvpy_task *)task, &cfg, &opts, 0, ""};
    int r = loop_fork(self, &f, runner);
    if (r < 0) loop_fork_error(self, &f, r);
    else result = PyBool_FromLong(r == 0);
  }
  mv_config_dispose(&cfg);
  return result;
}

static PyObject *loop_pool_fork(mvpy_loop *self, PyObject *serve) {
  if (check_runner(serve) < 0 || mvpy_loop_check(self) < 0) return NULL;
  loop_fork_t f = {FORK_POOL, NULL, NULL, NULL, 0, ""};
  int r = loop_fork(self, &f, serve);
  if (r < 0) return loop_fork_error(self, &f, r);
  return PyBool_FromLong(r == 0);
}

static PyObject *loop_batch(mvpy_loop *self, PyObject *arg) {
  int overflow = 0;
  long n = PyLong_AsLongAndOverflow(arg, &overflow);
  if (n == -1 && PyErr_Occurred()) return NULL;
  if (overflow > 0 || n > INT_MAX) n = INT_MAX;
  if (overflow < 0) n = 0;
  return mvpy_batch_new(self, (int)n);
}

static PyObject *loop_set_limit(mvpy_loop *self, PyObject *arg) {
  long n = PyLong_AsLong(arg);
  if (n == -1 && PyErr_Occurred()) return NULL;
  if (n < 0 || n > INT_MAX) {
    PyErr_SetString(PyExc_ValueError, "the limit must be >= 0");
    return NULL;
  }
  if (mvpy_loop_check(self) < 0) return NULL;
  int r = 0;
  char detail[256] = "";
  mv_sched_t *s = mvpy_loop_lock(self);
  if (s) {
    r = mv_loop_set_limit(self->loop, (int)n);
    if (r < 0) snprintf(detail, sizeof(detail), "%s", mv_last_error());
  }
  mvpy_loop_unlock(self, s);
  if (r < 0) return mvpy_raise_msg(mvpy_state_of_type(Py_TYPE(self)), r, detail);
  Py_RETURN_NONE;
}

static PyObject *loop_get_limit(mvpy_loop *self, void *closure) {
  (void)closure;
  int n = 0;
  if (!mvpy_loop_ours(self)) return PyLong_FromLong(0);
  mv_sched_t *s = mvpy_loop_lock(self);
  if (s) n = mv_loop_limit(self->loop);
  mvpy_loop_unlock(self, s);
  return PyLong_FromLong(n);
}

static PyObject *loop_cancel_queued(mvpy_loop *self, PyObject *unused) {
  (void)unused;
  PyObject *list = PyList_New(0);
  if (list == NULL || !mvpy_loop_ours(self)) return list;
  mv_sched_t *s = mvpy_loop_lock(self);
  if (s == NULL) return list;
  /* Listed first: a task canceled before its start ends at once and
   * leaves the running list. */
  for (mvpy_task *t = self->running; t && list; t = t->next)
    if (t->task && mv_task_queued(t->task) && PyList_Append(list, (PyObject *)t) < 0)
      Py_CLEAR(list);
  for (Py_ssize_t i = 0; list && i < PyList_GET_SIZE(list); i++) {
    mvpy_task *t = (mvpy_task *)PyList_GET_ITEM(list, i);
    if (t->task) mv_task_cancel(t->task);
  }
  mvpy_loop_unlock(self, s);
  return list;
}

static PyObject *loop_spawn_worker(mvpy_loop *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"name", "payload", "timeout", "config", "task_id", "register", NULL};
  PyObject *name, *timeout_obj = NULL, *config = Py_None;
  Py_buffer payload;
  const char *task_id = NULL;
  int reg = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "Uy*|$OOzp:spawn_worker", kwlist, &name, &payload,
                                   &timeout_obj, &config, &task_id, &reg))
    return NULL;
  PyObject *result = NULL;
  mv_config_t cfg;
  mv_config_init(&cfg);
  mvpy_state *st = mvpy_state_of_type(Py_TYPE(self));
  double timeout;
  mvpy_task *obj = NULL;
  const char *cname = PyUnicode_AsUTF8(name);
  if (cname == NULL || mvpy_loop_check(self) < 0 || mvpy_loop_timeout(timeout_obj, &timeout) < 0 ||
      mvpy_config_from(config, &cfg) < 0)
    goto done;
  if ((obj = mvpy_task_create(st, name, task_id)) == NULL) goto done;
  mv_task_opts_t opts;
  mvpy_task_opts(&opts, timeout, task_id, obj);
  opts.flags = reg ? 0 : MV_TASK_NO_REGISTRY;
  mv_task_t *core = NULL;
  mv_sched_t *s = mvpy_loop_lock(self);
  int closed = s == NULL; /* close() may have run meanwhile */
  int r = closed ? MV_EINVAL
                 : mv_task_spawn_worker(self->loop, &cfg, cname, payload.buf,
                                        (size_t)payload.len, &opts, &core);
  if (r == 0) loop_adopt(self, obj, core);
  mvpy_loop_unlock(self, s);
  if (r < 0) {
    if (closed) loop_closed_error();
    else mvpy_raise(st, r);
    goto done;
  }
  Py_INCREF(obj);
  result = (PyObject *)obj;
done:
  Py_XDECREF(obj);
  mv_config_dispose(&cfg);
  PyBuffer_Release(&payload);
  return result;
}

/* wait() and wait_task(): the timeout checked, a loop its waiting threads
 * drive (not the event thread's), counted in use. NULL with the error
 * set otherwise. */
static mv_sched_t *loop_use_to_wait(mvpy_loop *self, PyObject *timeout_obj, double *timeout) {
  if (mvpy_wait_timeout(timeout_obj, timeout) < 0 || mvpy_loop_check(self) < 0) return NULL;
  if (LOAD(self->threaded)) {
    PyErr_SetString(PyExc_RuntimeError, "this loop is driven by wait_events()");
    return NULL;
  }
  mv_sched_t *s = mvpy_loop_use(self);
  if (s == NULL) loop_closed_error();
  return s;
}

static PyObject *loop_wait(mvpy_loop *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"timeout", NULL};
  PyObject *timeout_obj = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:wait", kwlist, &timeout_obj)) return NULL;
  double timeout;
  mv_sched_t *s = loop_use_to_wait(self, timeout_obj, &timeout);
  if (s == NULL) return NULL;
  mvpy_task *chain;
  int r;
  char detail[256] = "";
  double deadline = timeout >= 0 ? mvpy_monotonic() + timeout : -1;
  unsigned long wakes = LOAD(self->py_wakes);
  for (;;) {
    PyThreadState *ts = PyEval_SaveThread();
    double left = deadline >= 0 ? deadline - mvpy_monotonic() : -1;
    r = 0;
    /* Tasks that ended in another thread's hold of the lock (a cancel
     * before the start) are handed out without a wait. */
    if (LOAD(self->ready) == NULL) r = mv_sched_wait(s, NULL, deadline >= 0 && left < 0 ? 0 : left);
    if (r < 0 && r != MV_EINTR && r != MV_ETIMEDOUT)
      snprintf(detail, sizeof(detail), "%s", mv_last_error());
    chain = mvpy_take_ready(self);
    PyEval_RestoreThread(ts);
    /* Interrupted by wakeup(), or by a signal (its handler runs now), or
     * by the wakeup a thread taking the lock leaves in the loop (which
     * stays there when nobody was driving it): only the last waits on. */
    if (chain || r != MV_EINTR || LOAD(self->py_wakes) != wakes) break;
    if (PyErr_CheckSignals() < 0) {
      mvpy_loop_unuse(self);
      return NULL;
    }
    if (deadline >= 0 && mvpy_monotonic() >= deadline) break;
  }
  mvpy_loop_unuse(self);
  if (chain == NULL && r < 0 && r != MV_EINTR && r != MV_ETIMEDOUT)
    return mvpy_raise_msg(mvpy_state_of_type(Py_TYPE(self)), r, detail);
  return mvpy_chain_to_list(chain);
}

/* wait_task(): the task object's state, which on_done sets; never the
 * core task, which on_done frees. */
static int loop_task_ended(void *arg) {
  return __atomic_load_n(&((mvpy_task *)arg)->state, __ATOMIC_ACQUIRE) == MVPY_TASK_DONE;
}

static PyObject *loop_wait_task(mvpy_loop *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"task", "timeout", NULL};
  PyObject *task_obj, *timeout_obj = Py_None;
  mvpy_state *st = mvpy_state_of_type(Py_TYPE(self));
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!|O:wait_task", kwlist, st->task_type, &task_obj,
                                   &timeout_obj))
    return NULL;
  mvpy_task *t = (mvpy_task *)task_obj;
  double timeout;
  mv_sched_t *s = loop_use_to_wait(self, timeout_obj, &timeout);
  if (s == NULL) return NULL;
  int r, taken;
  char detail[256] = "";
  Py_BEGIN_ALLOW_THREADS
  r = mv_sched_wait_until(s, loop_task_ended, t, timeout);
  if (r < 0 && r != MV_EINTR && r != MV_ETIMEDOUT)
    snprintf(detail, sizeof(detail), "%s", mv_last_error());
  taken = loop_task_ended(t) && mvpy_take_ready_one(self, t);
  Py_END_ALLOW_THREADS
  mvpy_loop_unuse(self);
  if (taken) Py_DECREF(t); /* the loop's reference: wait() will not hand it out */
  if (r < 0 && r != MV_EINTR && r != MV_ETIMEDOUT) return mvpy_raise_msg(st, r, detail);
  return PyBool_FromLong(loop_task_ended(t));
}

static PyObject *loop_close(mvpy_loop *self, PyObject *unused) {
  (void)unused;
  /* Under the GIL: one close() at a time. */
  if (self->loop == NULL || LOAD(self->closing)) return PyList_New(0);
  mvpy_task *chain;
  if (self->owner != mvpy_getpid()) {
    chain = loop_forget(self, 0);
  } else {
    STORE(self->closing, 1);
    Py_BEGIN_ALLOW_THREADS
    chain = loop_shutdown(self);
    Py_END_ALLOW_THREADS
  }
  return mvpy_chain_to_list(chain);
}

static PyObject *loop_forget_method(mvpy_loop *self, PyObject *unused) {
  (void)unused;
  if (self->loop == NULL) Py_RETURN_NONE;
  if (self->owner == mvpy_getpid()) {
    PyErr_SetString(PyExc_RuntimeError,
                    "forget() is for a forked child; the owner process must close() the loop");
    return NULL;
  }
  chain_release(loop_forget(self, 0));
  Py_RETURN_NONE;
}

static PyObject *loop_wakeup(mvpy_loop *self, PyObject *unused) {
  (void)unused;
  /* Event mode: wait_events() sleeps on ecv, not in the loop. */
  pthread_mutex_lock(&self->emu);
  self->py_wakes++;
  pthread_cond_broadcast(&self->ecv);
  pthread_mutex_unlock(&self->emu);
  /* A wait() sleeps in the scheduler (the event thread needs no wakeup). */
  if (self->owner == mvpy_getpid() && !LOAD(self->threaded)) {
    mv_sched_t *s = mvpy_loop_use(self);
    if (s) {
      mv_sched_wakeup(s);
      mvpy_loop_unuse(self);
    }
  }
  Py_RETURN_NONE;
}

static PyObject *loop_fileno(mvpy_loop *self, PyObject *unused) {
  (void)unused;
  if (mvpy_loop_check(self) < 0) return NULL;
  mv_sched_t *s = mvpy_loop_use(self);
  if (s == NULL) return loop_closed_error();
  int fd = mv_loop_fd(mv_sched_loop(s));
  mvpy_loop_unuse(self);
  return PyLong_FromLong(fd);
}

static PyObject *loop_get_active(mvpy_loop *self, void *closure) {
  (void)closure;
  return PyLong_FromSize_t(__atomic_load_n(&self->nrunning, __ATOMIC_ACQUIRE));
}

static PyObject *loop_get_closed(mvpy_loop *self, void *closure) {
  (void)closure;
  return PyBool_FromLong(self->loop == NULL);
}

static PyObject *loop_get_owner(mvpy_loop *self, void *closure) {
  (void)closure;
  return PyLong_FromLong((long)self->owner);
}

static PyMethodDef loop_methods[] = {
    {"fork_call", (PyCFunction)(void (*)(void))loop_fork_call, METH_VARARGS | METH_KEYWORDS,
     "fork_call(runner, *, name=None, timeout=None, max_memory_kb=0, max_cpu_secs=0,\n"
     "          config=None, task_id=None, capture=False, register=True,\n"
     "          batch=None) -> Task\n--\n\n"
     "Fork this process into a supervised task, at once (counted in the\n"
     "loop's limit, and its batch's, even beyond them). The child calls\n"
     "runner() and sends the bytes it returns as the result, then _exit()s."},
    {"reserve", (PyCFunction)(void (*)(void))loop_reserve, METH_VARARGS | METH_KEYWORDS,
     "reserve(*, name=None, task_id=None, batch=None, notify=False) -> (Task, bool)\n--\n\n"
     "A task that waits for its turn in the loop's limit (and its batch's);\n"
     "True if it has its slot now (fork it with fork_reserved()), else\n"
     "wait_events() lists it when its turn comes (with notify, also when it\n"
     "has it now). Cancel it to give up."},
    {"fork_reserved", (PyCFunction)(void (*)(void))loop_fork_reserved,
     METH_VARARGS | METH_KEYWORDS,
     "fork_reserved(task, runner, *, timeout=None, max_memory_kb=0, max_cpu_secs=0,\n"
     "              config=None, capture=False, register=True) -> bool\n--\n\n"
     "Fork a reserved task whose turn came, as fork_call() forks. False if\n"
     "it ended (canceled) before; a failed fork ends it and raises."},
    {"spawn_worker", (PyCFunction)(void (*)(void))loop_spawn_worker,
     METH_VARARGS | METH_KEYWORDS,
     "spawn_worker(name, payload, *, timeout=None, config=None, task_id=None,\n"
     "             register=True) -> Task\n--\n\nStart a worker (API.md section 1)."},
    {"wait_task", (PyCFunction)(void (*)(void))loop_wait_task, METH_VARARGS | METH_KEYWORDS,
     "wait_task(task, timeout=None) -> bool\n--\n\n"
     "Sleep (GIL released) until this task has ended or timeout passes; True\n"
     "if it has. Any number of threads may wait at once: one of them drives\n"
     "the loop, the others sleep (the core's mv_sched_wait_until). The task is\n"
     "not handed out by wait() after."},
    {"wait", (PyCFunction)(void (*)(void))loop_wait, METH_VARARGS | METH_KEYWORDS,
     "wait(timeout=None) -> list[Task]\n--\n\n"
     "Sleep (GIL released) until a task ends, wakeup() is called or timeout\n"
     "passes; return the tasks that ended."},
    {"wait_events", (PyCFunction)(void (*)(void))mvpy_loop_wait_events,
     METH_VARARGS | METH_KEYWORDS,
     "wait_events(timeout=None) -> (list[Task], list[Task], int)\n--\n\n"
     "Like wait(), with the loop driven from now on by the core's event\n"
     "thread, which never takes the GIL: sleeps (GIL released) until tasks\n"
     "end, reserved tasks get their turn, the pool asks for processes or has\n"
     "none left, wakeup() is called or timeout passes. Returns the tasks that\n"
     "ended, the reserved tasks to fork now and how many pool processes to\n"
     "fork (pool_fork). wait() refuses the loop from then on. Raises\n"
     "_core.Error (code MV_ESYS) once the event thread has stopped because\n"
     "its loop failed (after handing out what had ended)."},
    {"pool_setup", (PyCFunction)(void (*)(void))mvpy_loop_pool_setup,
     METH_VARARGS | METH_KEYWORDS,
     "pool_setup(config, processes=0, name='pool')\n--\n\n"
     "Make the pool of forked processes that pool_call() sends calls to, for\n"
     "config, with at most `processes` processes (0: as many as the loop's\n"
     "limit lets run). The pool it replaces takes no more calls and retires\n"
     "once its calls have ended."},
    {"pool_call", (PyCFunction)(void (*)(void))mvpy_loop_pool_call,
     METH_VARARGS | METH_KEYWORDS,
     "pool_call(payload, timeout, name, task_id=None, *, batch=None) -> Task\n--\n\n"
     "Send a request to the pool (any thread; it never waits for the loop:\n"
     "the loop picks it up after its round, woken if the call can start). The\n"
     "Task waits its turn in the loop's limit (and its batch's), then for a\n"
     "process; it ends\n"
     "with the process's answer as its result, or with why the process died\n"
     "(timeout: seconds from when a process takes it, 0 = none)."},
    {"pool_fork", (PyCFunction)loop_pool_fork, METH_O,
     "pool_fork(serve) -> bool\n--\n\n"
     "Fork one process a pool asked for (False if none did); it calls\n"
     "serve(channel) and serves requests until its input ends."},
    {"batch", (PyCFunction)loop_batch, METH_O,
     "batch(limit) -> Batch\n--\n\n"
     "A batch: tasks given it (batch=) run at most `limit` at once, on top of\n"
     "the loop's limit, waiting in the loop's one FIFO; a full batch holds\n"
     "back only its own tasks."},
    {"set_limit", (PyCFunction)loop_set_limit, METH_O,
     "set_limit(n)\n--\n\n"
     "How many tasks run at once (0 = no limit): forked tasks and pooled\n"
     "calls, the others waiting in one FIFO."},
    {"cancel_queued", (PyCFunction)loop_cancel_queued, METH_NOARGS,
     "cancel_queued() -> list[Task]\n--\n\n"
     "Cancel every task still waiting for its turn; returns them."},
    {"warm_call", (PyCFunction)(void (*)(void))mvpy_loop_warm_call, METH_VARARGS | METH_KEYWORDS,
     "warm_call(name, payload, *, config=None, timeout=None, task_id=None)\n"
     "          -> Task | None\n--\n\n"
     "Queue one request to the loop's warm pool of worker `name` for config\n"
     "(made, or replaced, as the configuration asks: API.md section 1); the\n"
     "Task ends like a cold worker's. None when the worker is cold for config.\n"
     "timeout None = the config's timeout."},
    {"wakeup", (PyCFunction)loop_wakeup, METH_NOARGS,
     "wakeup()\n--\n\nMake a concurrent wait() return. Safe from any thread."},
    {"fileno", (PyCFunction)loop_fileno, METH_NOARGS,
     "fileno() -> int\n--\n\nAn fd readable when wait() has work."},
    {"close", (PyCFunction)loop_close, METH_NOARGS,
     "close() -> list[Task]\n--\n\n"
     "Cancel every task, wait until their trees are gone, free the loop;\n"
     "returns the tasks that ended meanwhile."},
    {"forget", (PyCFunction)loop_forget_method, METH_NOARGS,
     "forget()\n--\n\nIn a forked child: drop the parent's loop without touching its tasks."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef loop_getset[] = {
    {"active", (getter)loop_get_active, NULL, "Tasks started and not yet ended.", NULL},
    {"closed", (getter)loop_get_closed, NULL, "True once closed or forgotten.", NULL},
    {"limit", (getter)loop_get_limit, NULL, "The concurrency limit (0 = none).", NULL},
    {"processes", (getter)mvpy_loop_get_processes, NULL,
     "Processes of the pools (as last counted).", NULL},
    {"owner", (getter)loop_get_owner, NULL, "The pid of the process that owns the loop.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot loop_slots[] = {
    {Py_tp_new, loop_new},
    {Py_tp_dealloc, loop_dealloc},
    {Py_tp_methods, loop_methods},
    {Py_tp_getset, loop_getset},
    {Py_tp_doc, "Loop()\n--\n\nA core event loop: starts supervised tasks and collects them."},
    {0, NULL}};

PyType_Spec mvpy_loop_spec = {
    .name = "multiverse._core.Loop",
    .basicsize = sizeof(mvpy_loop),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = loop_slots,
};
