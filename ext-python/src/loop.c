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
 * wait() sleeps in epoll with the GIL released. See mvpy.h for the locking
 * rules that let other threads cancel tasks or read pids meanwhile. A loop
 * that wait_events() drives is in event mode instead (pool.c): its own
 * I/O thread sleeps in epoll, and wait() refuses it.
 */
#include "mvpy.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

void mvpy_loop_lock(mvpy_loop *l) {
  if (pthread_mutex_trylock(&l->mu) == 0) {
    if (l->loop) mvpy_pool_drain(l);
    return;
  }
  /* Busy: most likely wait() or the I/O thread sleeping in epoll. Wake
   * it; it lets go of the mutex as soon as mv_loop_wait() returns (the I/O
   * thread, seeing `lockers`, waits on hcv until they are done). */
  __atomic_add_fetch(&l->lockers, 1, __ATOMIC_SEQ_CST);
  mvpy_loop_wakeup_core(l);
  pthread_mutex_lock(&l->mu);
  __atomic_sub_fetch(&l->lockers, 1, __ATOMIC_SEQ_CST);
  /* Pooled calls handed over go to the core first: cancel() and pid may
   * be asking about one of them. */
  if (l->loop) mvpy_pool_drain(l);
}

void mvpy_loop_unlock(mvpy_loop *l) {
  pthread_mutex_unlock(&l->mu);
  /* The I/O thread waits for lockers to be done (and for new tasks). */
  if (__atomic_load_n(&l->io_started, __ATOMIC_SEQ_CST)) pthread_cond_broadcast(&l->hcv);
}

void mvpy_loop_wakeup_core(mvpy_loop *l) {
  pthread_mutex_lock(&l->wmu);
  if (l->loop) mv_loop_wakeup(l->loop);
  pthread_mutex_unlock(&l->wmu);
}

void mvpy_loop_publish_pids(mvpy_loop *l) {
  for (mvpy_task *t = l->running; t; t = t->next)
    if (t->pid <= 0 && t->fpool == NULL && t->task) STORE(t->pid, mv_task_pid(t->task));
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

/* Called by the core from inside mv_loop_wait() (mu held, no GIL): only
 * pointer moves, no Python calls, no allocation. */
void mvpy_loop_on_done(mv_task_t *core, void *data) {
  (void)core;
  mvpy_task *t = data;
  mvpy_loop *l = t->loop;
  mvpy_pool_request_ended(t);
  list_remove(&l->running, t);
  list_push(&l->finished, t);
  STORE(l->nrunning, l->nrunning - 1);
}

/* Move every finished task's report into its object; returns the chain
 * of collected tasks (linked through ->next) and empties the list. */
mvpy_task *mvpy_loop_collect(mvpy_loop *l) {
  mvpy_task *chain = l->finished;
  l->finished = NULL;
  /* finished was built by pushing at the head: reverse it so tasks are
   * handed out in the order they ended. */
  mvpy_task *rev = NULL;
  while (chain) {
    mvpy_task *next = chain->next;
    mvpy_task_collect(chain);
    chain->prev = NULL;
    chain->next = rev;
    rev = chain;
    chain = next;
  }
  return rev;
}

/* Forget every task (forked child, or a loop that could not be drained):
 * the objects stop pointing at core tasks. Returns them as a chain. */
static mvpy_task *loop_detach_all(mvpy_loop *l) {
  mvpy_task *chain = NULL;
  mvpy_task **lists[2] = {&l->running, &l->finished};
  for (int i = 0; i < 2; i++) {
    while (*lists[i]) {
      mvpy_task *t = *lists[i];
      list_remove(lists[i], t);
      t->task = NULL;
      STORE(t->loop, NULL);
      STORE(t->state, MVPY_TASK_DONE);
      t->next = chain;
      chain = t;
    }
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

/* Move every task of `items` to the front of `chain`; returns the new
 * chain. */
static mvpy_task *chain_prepend(mvpy_task *items, mvpy_task *chain) {
  while (items) {
    mvpy_task *next = items->next;
    items->next = chain;
    chain = items;
    items = next;
  }
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

static mv_loop_t *loop_take(mvpy_loop *l) {
  pthread_mutex_lock(&l->wmu);
  mv_loop_t *core = l->loop;
  l->loop = NULL;
  pthread_mutex_unlock(&l->wmu);
  return core;
}

static void loop_init_sync(mvpy_loop *l) {
  pthread_mutex_init(&l->mu, NULL);
  pthread_mutex_init(&l->wmu, NULL);
  pthread_mutex_init(&l->qmu, NULL);
  pthread_mutex_init(&l->emu, NULL);
  pthread_cond_init(&l->hcv, NULL);
  /* Timed waits for events count in monotonic time. */
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&l->ecv, &attr);
  pthread_condattr_destroy(&attr);
}

/* Add the tasks collected for wait_events() but not handed out. */
static mvpy_task *loop_with_ready(mvpy_loop *l, mvpy_task *chain) {
  return chain_prepend(mvpy_take_ready(l), chain);
}

/* Drop the parent's loop in a forked child without signalling anything.
 * The mutexes are re-created first: a thread of the parent may have held
 * one at the moment of the fork, and that thread does not exist here
 * (nor does the I/O thread). */
static mvpy_task *loop_forget(mvpy_loop *l) {
  loop_init_sync(l);
  mvpy_io_forget(l);
  mvpy_task *chain = mvpy_pool_forget(l);
  chain = chain_prepend(loop_with_ready(l, loop_detach_all(l)), chain);
  mv_loop_t *core = loop_take(l);
  /* Its warm pools go with it, as copies: the processes are the parent's. */
  if (core) mv_loop_forget(core);
  return chain;
}

/* Cancel every running task (mu held), those waiting for their turn
 * first, so that no slot given back starts one. */
static void loop_cancel_all(mvpy_loop *l) {
  for (int pass = 0; pass < 2; pass++) {
    mvpy_task *t = l->running;
    while (t) {
      mv_task_t *core = t->task;
      if (core && (pass == 1 || mv_task_queued(core))) {
        mv_task_cancel(core);
        /* One that never started has ended, and left the list. */
        if (mv_task_done(core)) {
          t = l->running;
          continue;
        }
      }
      t = t->next;
    }
  }
}

/* Cancel everything, wait for every tree to die, free the core loop.
 * Called without the GIL. */
static mvpy_task *loop_shutdown(mvpy_loop *l) {
  mvpy_io_stop(l); /* from here on, this thread alone drives the loop */
  pthread_mutex_lock(&l->mu);
  mvpy_pool_drain(l); /* pooled calls handed over end with the rest */
  /* The pools first: their calls are canceled (processes killed), their
   * idle processes retired, and mv_loop_free() would not free them. */
  mvpy_pools_free(l);
  /* Warm calls in flight are canceled with the rest (their processes
   * killed); mv_loop_free() then retires the idle warm processes. */
  loop_cancel_all(l);
  while (l->running) {
    int r = mv_loop_wait(l->loop, NULL, -1);
    if (r < 0 && r != MV_EINTR) break;
  }
  mvpy_task *chain = loop_with_ready(l, mvpy_loop_collect(l));
  /* Only on a broken epoll can tasks remain; mv_loop_free() kills and
   * frees them, so the objects must let go of them first. */
  chain = chain_prepend(loop_detach_all(l), chain);
  mv_loop_t *core = loop_take(l);
  mv_loop_free(core);
  /* Calls handed over as the loop closed (they never ran). */
  chain = chain_prepend(mvpy_pool_forget(l), chain);
  pthread_mutex_unlock(&l->mu);
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
  int r = mv_loop_new(&self->loop);
  if (r < 0) {
    Py_DECREF(self);
    return mvpy_raise(mvpy_state_of_type(type), r);
  }
  return (PyObject *)self;
}

static void loop_dealloc(mvpy_loop *self) {
  PyTypeObject *tp = Py_TYPE(self);
  if (self->loop) {
    mvpy_task *chain;
    if (self->owner == mvpy_getpid()) {
      Py_BEGIN_ALLOW_THREADS
      chain = loop_shutdown(self);
      Py_END_ALLOW_THREADS
    } else {
      chain = loop_forget(self);
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
  mvpy_task *chain = loop_forget(self);
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

/* Link a started task into the loop (mu held). */
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
  mvpy_loop_lock(self);
  /* Checked again under the mutex: close() may have run meanwhile. */
  f->closed = self->loop == NULL;
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
  mvpy_loop_unlock(self);
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
                           "config", "task_id", "capture", "register", NULL};
  PyObject *runner, *name = NULL, *timeout_obj = NULL, *config = Py_None;
  long mem_kb = 0, cpu_s = 0;
  const char *task_id = NULL;
  int capture = 0, reg = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$OOllOzpp:fork_call", kwlist, &runner, &name,
                                   &timeout_obj, &mem_kb, &cpu_s, &config, &task_id, &capture,
                                   &reg))
    return NULL;
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
  static char *kwlist[] = {"name", "task_id", NULL};
  PyObject *name = NULL;
  const char *task_id = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$Oz:reserve", kwlist, &name, &task_id))
    return NULL;
  if ((name = task_name_arg(name)) == NULL) return NULL;
  PyObject *result = NULL;
  mvpy_task *obj = NULL;
  mv_task_opts_t opts;
  if (mvpy_loop_check(self) < 0 ||
      (obj = mvpy_task_create(mvpy_state_of_type(Py_TYPE(self)), name, task_id)) == NULL ||
      fork_opts(&opts, obj, task_id, NULL, 0, 0, 0, 1) < 0)
    goto done;
  opts.on_start = mvpy_on_start;
  mv_task_t *core = NULL;
  char detail[512] = "";
  mvpy_loop_lock(self);
  int closed = self->loop == NULL; /* close() may have run meanwhile */
  int r = closed ? MV_EINVAL : mv_task_reserve(self->loop, &opts, &core);
  if (r >= 0) loop_adopt(self, obj, core); /* on_start comes later, under mu */
  else if (!closed) snprintf(detail, sizeof(detail), "%s", mv_last_error());
  mvpy_loop_unlock(self);
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
  mvpy_loop_lock(self);
  if (self->loop) {
    r = mv_loop_set_limit(self->loop, (int)n);
    if (r < 0) snprintf(detail, sizeof(detail), "%s", mv_last_error());
  }
  mvpy_loop_unlock(self);
  if (r < 0) return mvpy_raise_msg(mvpy_state_of_type(Py_TYPE(self)), r, detail);
  Py_RETURN_NONE;
}

static PyObject *loop_get_limit(mvpy_loop *self, void *closure) {
  (void)closure;
  int n = 0;
  if (!mvpy_loop_ours(self)) return PyLong_FromLong(0);
  mvpy_loop_lock(self);
  if (self->loop) n = mv_loop_limit(self->loop);
  mvpy_loop_unlock(self);
  return PyLong_FromLong(n);
}

static PyObject *loop_cancel_queued(mvpy_loop *self, PyObject *unused) {
  (void)unused;
  PyObject *list = PyList_New(0);
  if (list == NULL || !mvpy_loop_ours(self)) return list;
  mvpy_loop_lock(self);
  /* Listed first: a task canceled before its start ends at once and
   * leaves the running list. */
  for (mvpy_task *t = self->running; t && list; t = t->next)
    if (t->task && mv_task_queued(t->task) && PyList_Append(list, (PyObject *)t) < 0)
      Py_CLEAR(list);
  for (Py_ssize_t i = 0; list && i < PyList_GET_SIZE(list); i++) {
    mvpy_task *t = (mvpy_task *)PyList_GET_ITEM(list, i);
    if (t->task) mv_task_cancel(t->task);
  }
  mvpy_loop_unlock(self);
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
  mvpy_loop_lock(self);
  int closed = self->loop == NULL; /* close() may have run meanwhile */
  int r = closed ? MV_EINVAL
                 : mv_task_spawn_worker(self->loop, &cfg, cname, payload.buf,
                                        (size_t)payload.len, &opts, &core);
  if (r == 0) loop_adopt(self, obj, core);
  mvpy_loop_unlock(self);
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

static PyObject *loop_wait(mvpy_loop *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"timeout", NULL};
  PyObject *timeout_obj = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:wait", kwlist, &timeout_obj)) return NULL;
  double timeout;
  if (mvpy_wait_timeout(timeout_obj, &timeout) < 0 || mvpy_loop_check(self) < 0) return NULL;
  if (__atomic_load_n(&self->io_joinable, __ATOMIC_SEQ_CST)) {
    PyErr_SetString(PyExc_RuntimeError, "this loop is driven by wait_events()");
    return NULL;
  }
  mvpy_task *chain;
  int r = 0;
  char detail[256] = "";
  Py_BEGIN_ALLOW_THREADS
  pthread_mutex_lock(&self->mu);
  if (self->finished == NULL && self->loop) r = mv_loop_wait(self->loop, NULL, timeout);
  if (r < 0 && r != MV_EINTR && r != MV_ETIMEDOUT)
    snprintf(detail, sizeof(detail), "%s", mv_last_error());
  /* Pids arrive in the supervisors' first message: publish them. */
  mvpy_loop_publish_pids(self);
  chain = mvpy_loop_collect(self);
  pthread_mutex_unlock(&self->mu);
  Py_END_ALLOW_THREADS
  if (chain == NULL && r < 0 && r != MV_EINTR && r != MV_ETIMEDOUT)
    return mvpy_raise_msg(mvpy_state_of_type(Py_TYPE(self)), r, detail);
  return mvpy_chain_to_list(chain);
}

static PyObject *loop_close(mvpy_loop *self, PyObject *unused) {
  (void)unused;
  if (self->loop == NULL) return PyList_New(0);
  mvpy_task *chain;
  if (self->owner != mvpy_getpid()) {
    chain = loop_forget(self);
  } else {
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
  chain_release(loop_forget(self));
  Py_RETURN_NONE;
}

static PyObject *loop_wakeup(mvpy_loop *self, PyObject *unused) {
  (void)unused;
  /* Event mode: wait_events() sleeps on ecv, not in the loop. */
  pthread_mutex_lock(&self->emu);
  self->py_wakes++;
  pthread_cond_broadcast(&self->ecv);
  pthread_mutex_unlock(&self->emu);
  pthread_mutex_lock(&self->wmu);
  if (mvpy_loop_ours(self)) mv_loop_wakeup(self->loop);
  pthread_mutex_unlock(&self->wmu);
  Py_RETURN_NONE;
}

static PyObject *loop_fileno(mvpy_loop *self, PyObject *unused) {
  (void)unused;
  if (mvpy_loop_check(self) < 0) return NULL;
  return PyLong_FromLong(mv_loop_fd(self->loop));
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
     "          config=None, task_id=None, capture=False, register=True) -> Task\n--\n\n"
     "Fork this process into a supervised task, at once (counted in the\n"
     "loop's limit even beyond it). The child calls runner() and sends the\n"
     "bytes it returns as the result, then _exit()s."},
    {"reserve", (PyCFunction)(void (*)(void))loop_reserve, METH_VARARGS | METH_KEYWORDS,
     "reserve(*, name=None, task_id=None) -> (Task, bool)\n--\n\n"
     "A task that waits for its turn in the loop's limit; True if it has its\n"
     "slot now (fork it with fork_reserved()), else wait_events() lists it\n"
     "when its turn comes. Cancel it to give up."},
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
    {"wait", (PyCFunction)(void (*)(void))loop_wait, METH_VARARGS | METH_KEYWORDS,
     "wait(timeout=None) -> list[Task]\n--\n\n"
     "Sleep (GIL released) until a task ends, wakeup() is called or timeout\n"
     "passes; return the tasks that ended."},
    {"wait_events", (PyCFunction)(void (*)(void))mvpy_loop_wait_events,
     METH_VARARGS | METH_KEYWORDS,
     "wait_events(timeout=None) -> (list[Task], list[Task], int)\n--\n\n"
     "Like wait(), with the loop driven by a thread of its own that never\n"
     "takes the GIL: sleeps (GIL released) until tasks end, reserved tasks\n"
     "get their turn, the pool asks for processes, wakeup() is called or\n"
     "timeout passes. Returns the tasks that ended, the reserved tasks to\n"
     "fork now and how many pool processes to fork (pool_fork)."},
    {"pool_setup", (PyCFunction)(void (*)(void))mvpy_loop_pool_setup,
     METH_VARARGS | METH_KEYWORDS,
     "pool_setup(config, processes=0, name='pool')\n--\n\n"
     "Make the pool of forked processes that pool_call() sends calls to, for\n"
     "config, with at most `processes` processes (0: as many as the loop's\n"
     "limit lets run). The pool it replaces takes no more calls and retires\n"
     "once its calls have ended."},
    {"pool_call", (PyCFunction)(void (*)(void))mvpy_loop_pool_call,
     METH_VARARGS | METH_KEYWORDS,
     "pool_call(payload, timeout, name, task_id=None) -> Task\n--\n\n"
     "Send a request to the pool (any thread; never waits for the loop). The\n"
     "Task waits its turn in the loop's limit, then for a process; it ends\n"
     "with the process's answer as its result, or with why the process died\n"
     "(timeout: seconds from when a process takes it, 0 = none)."},
    {"pool_fork", (PyCFunction)loop_pool_fork, METH_O,
     "pool_fork(serve) -> bool\n--\n\n"
     "Fork one process a pool asked for (False if none did); it calls\n"
     "serve(channel) and serves requests until its input ends."},
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
     "Processes of the pool (as the loop's thread last saw them).", NULL},
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
