/*
 * multiverse._core.Loop: one core event loop and the tasks started in it.
 *
 * fork_call() forks the host into a supervised task the way os.fork()
 * does (PyOS_BeforeFork / PyOS_AfterFork_Parent / PyOS_AfterFork_Child).
 * In the child it drops the parent's loop, calls the runner, sends the
 * bytes it returns as the task's result and _exit()s: no atexit handlers,
 * no finalizers, nothing of the parent's shutdown runs there.
 *
 * With persistent=True the child serves requests instead (a pool server,
 * channel.c / prefork.c).
 *
 * wait() sleeps in epoll with the GIL released. See mvpy.h for the locking
 * rules that let other threads cancel tasks or read pids meanwhile. A loop
 * that wait_events() drives is in event mode instead (prefork.c): its own
 * I/O thread sleeps in epoll, and wait() refuses it.
 */
#include "mvpy.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

void mvpy_loop_lock(mvpy_loop *l) {
  if (pthread_mutex_trylock(&l->mu) == 0) return;
  /* Busy: most likely wait() or the I/O thread sleeping in epoll. Wake
   * it; it lets go of the mutex as soon as mv_loop_wait() returns (the I/O
   * thread, seeing `lockers`, waits on hcv until they are done). */
  __atomic_add_fetch(&l->lockers, 1, __ATOMIC_SEQ_CST);
  mvpy_loop_wakeup_core(l);
  pthread_mutex_lock(&l->mu);
  __atomic_sub_fetch(&l->lockers, 1, __ATOMIC_SEQ_CST);
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
    if (t->pid <= 0) STORE(t->pid, mv_task_pid(t->task));
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
  if (t->server) mvpy_server_ended(l, t);
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
  mvpy_msgs_clear(l); /* they point at these tasks */
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
  mvpy_reqs_clear(l);
  mvpy_task *chain = loop_with_ready(l, loop_detach_all(l));
  mv_loop_t *core = loop_take(l);
  /* Its warm pools go with it, as copies: the processes are the parent's. */
  if (core) mv_loop_forget(core);
  return chain;
}

/* Cancel everything, wait for every tree to die, free the core loop.
 * Called without the GIL. */
static mvpy_task *loop_shutdown(mvpy_loop *l) {
  mvpy_io_stop(l); /* from here on, this thread alone drives the loop */
  pthread_mutex_lock(&l->mu);
  /* Warm calls in flight are canceled with the rest (their processes
   * killed); mv_loop_free() then retires the idle warm processes. */
  for (mvpy_task *t = l->running; t; t = t->next) mv_task_cancel(t->task);
  while (l->running) {
    int r = mv_loop_wait(l->loop, NULL, -1);
    if (r < 0 && r != MV_EINTR) break;
  }
  mvpy_task *chain = loop_with_ready(l, mvpy_loop_collect(l));
  mvpy_msgs_clear(l); /* answers nobody will read now */
  mvpy_reqs_clear(l); /* calls no server will take now */
  /* Only on a broken epoll can tasks remain; mv_loop_free() kills and
   * frees them, so the objects must let go of them first. */
  chain = chain_prepend(loop_detach_all(l), chain);
  mv_loop_t *core = loop_take(l);
  mv_loop_free(core);
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
  self->limit = self->servers_max = 1;
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

static PyObject *loop_fork_call(mvpy_loop *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"runner", "name", "timeout", "max_memory_kb", "max_cpu_secs",
                           "config", "task_id", "capture", "register", "persistent", NULL};
  PyObject *runner, *name = NULL, *timeout_obj = NULL, *config = Py_None;
  long mem_kb = 0, cpu_s = 0;
  const char *task_id = NULL;
  int capture = 0, reg = 1, persistent = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$OOllOzppp:fork_call", kwlist, &runner, &name,
                                   &timeout_obj, &mem_kb, &cpu_s, &config, &task_id, &capture,
                                   &reg, &persistent))
    return NULL;
  if (!PyCallable_Check(runner)) {
    PyErr_SetString(PyExc_TypeError, "runner must be callable");
    return NULL;
  }
  if (name == Py_None) name = NULL;
  if (name && !PyUnicode_Check(name)) {
    PyErr_SetString(PyExc_TypeError, "name must be a str or None");
    return NULL;
  }
  if (mvpy_loop_check(self) < 0) return NULL;
  mvpy_state *st = mvpy_state_of_type(Py_TYPE(self));
  double timeout;
  if (mvpy_loop_timeout(timeout_obj, &timeout) < 0) return NULL;
  PyObject *result = NULL;
  mvpy_task *obj = NULL;
  mv_config_t cfg;
  mv_config_init(&cfg);
  if (mvpy_config_from(config, &cfg) < 0) goto done;
  if (name) {
    obj = mvpy_task_create(st, name, task_id);
  } else {
    PyObject *fork_name = PyUnicode_FromString("fork");
    if (fork_name == NULL) goto done;
    obj = mvpy_task_create(st, fork_name, task_id);
    Py_DECREF(fork_name);
  }
  if (obj == NULL) goto done;
  mv_task_opts_t opts;
  mvpy_task_opts(&opts, timeout, task_id, obj);
  opts.max_memory_kb = mem_kb;
  opts.max_cpu_secs = cpu_s;
  opts.name = PyUnicode_AsUTF8(obj->name);
  if (opts.name == NULL) goto done;
  /* Tasks are forked from the dispatcher thread at moments the caller
   * does not choose: they must not keep another thread's subprocess
   * pipes (close-on-exec in Python, PEP 446) open. */
  opts.flags = (capture ? MV_FORK_CAPTURE : 0) | (reg ? 0 : MV_TASK_NO_REGISTRY) |
               MV_FORK_CLOSE_PIPES;
  if (persistent) {
    /* A pre-forked server: requests in, one framed answer each. */
    opts.flags |= MV_TASK_PERSISTENT;
    opts.on_message = mvpy_server_on_message;
  }

  mv_task_t *core = NULL;
  mv_child_t *child = NULL;
  char detail[1024] = "";
  PyOS_BeforeFork();
  mvpy_loop_lock(self);
  /* Checked again under the mutex: close() may have run meanwhile. */
  int closed = self->loop == NULL;
  int r = closed ? MV_EINVAL : mv_task_fork(self->loop, &cfg, &opts, &core, &child);
  if (r == MV_FORK_CHILD && persistent) {
    loop_child_begin(self);
    mvpy_server_child(runner, child, st);
  }
  if (r == MV_FORK_CHILD) loop_child(self, runner, child);
  if (r == 0) {
    obj->server = persistent;
    loop_adopt(self, obj, core);
  } else if (!closed) {
    snprintf(detail, sizeof(detail), "%s", mv_last_error());
  }
  mvpy_loop_unlock(self);
  PyOS_AfterFork_Parent();
  if (r < 0) {
    if (closed) loop_closed_error();
    else mvpy_raise_msg(st, r, detail);
    goto done;
  }
  Py_INCREF(obj);
  result = (PyObject *)obj;
done:
  Py_XDECREF(obj);
  mv_config_dispose(&cfg);
  return result;
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
  mvpy_msgs_clear(self); /* pool servers' answers are for wait_events() */
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
     "          config=None, task_id=None, capture=False, register=True,\n"
     "          persistent=False) -> Task\n--\n\n"
     "Fork this process into a supervised task. The child calls runner() and\n"
     "sends the bytes it returns as the result, then _exit()s. With\n"
     "persistent=True the child calls runner(channel) instead and serves\n"
     "requests (Task.send) until its input is closed; its answers arrive\n"
     "through wait_events()."},
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
     "wait_events(timeout=None) -> (list[Task], list[tuple[Task, int, float, bytes]], int)\n"
     "--\n\n"
     "Like wait() for a loop with pool servers: sleeps (GIL released) while\n"
     "feeding queued pooled calls to idle servers, until tasks end, answers\n"
     "arrive, more servers are needed, wakeup() is called or timeout passes.\n"
     "Returns the tasks that ended, the answers (server, request id, seconds,\n"
     "blob) and how many servers to start."},
    {"pool_submit", (PyCFunction)(void (*)(void))mvpy_loop_pool_submit,
     METH_VARARGS | METH_KEYWORDS,
     "pool_submit(request_id, payload, timeout=0.0)\n--\n\n"
     "Queue a pooled call for the next idle server (any thread; never waits\n"
     "for the loop). timeout: seconds from when a server takes it, 0 = none."},
    {"pool_cancel", (PyCFunction)(void (*)(void))mvpy_loop_pool_cancel,
     METH_VARARGS | METH_KEYWORDS,
     "pool_cancel(request_id, kill=True) -> int\n--\n\n"
     "1: removed from the queue (it never started); 2: the server running it\n"
     "is being killed (kill=True); 0: neither (answered, or running and\n"
     "kill=False)."},
    {"pool_limits", (PyCFunction)mvpy_loop_pool_limits, METH_VARARGS,
     "pool_limits(limit, servers_max, hold)\n--\n\n"
     "The concurrency limit shared by pooled calls and forked tasks, the\n"
     "servers to keep, and whether to hold one slot back for forked calls."},
    {"take_slot", (PyCFunction)(void (*)(void))mvpy_loop_take_slot, METH_VARARGS | METH_KEYWORDS,
     "take_slot(force=False) -> bool\n--\n\n"
     "Count a forked task in the shared limit; False when it is reached\n"
     "(force=True counts it anyway)."},
    {"give_slot", (PyCFunction)mvpy_loop_give_slot, METH_NOARGS,
     "give_slot()\n--\n\nA forked task counted by take_slot() ended."},
    {"pool_pid", (PyCFunction)mvpy_loop_pool_pid, METH_O,
     "pool_pid(request_id) -> int | None\n--\n\nThe server process running the call."},
    {"pool_stats", (PyCFunction)mvpy_loop_pool_stats, METH_NOARGS,
     "pool_stats() -> (queued, idle, busy, servers, free_slots)\n--\n\n"
     "The pool's state, and the slots of the shared limit free now."},
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
