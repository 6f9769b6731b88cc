/*
 * multiverse._core.Task: one task started by a Loop.
 *
 * While the task runs, the Loop holds a reference to this object and the
 * object points at the core task. When it finishes, the loop's on_done
 * moves the report in here and frees the core task. Fields written
 * without the GIL (state, pid, the links) are read with atomic loads and
 * re-checked under the loop's lock before the core task is touched.
 */
#include "mvpy.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)

mvpy_task *mvpy_task_create(mvpy_state *st, PyObject *name, const char *task_id) {
  mvpy_task *t = (mvpy_task *)st->task_type->tp_alloc(st->task_type, 0);
  if (t == NULL) return NULL;
  t->state = MVPY_TASK_NEW;
  t->pid = -1;
  if (task_id) snprintf(t->task_id, sizeof(t->task_id), "%s", task_id);
  Py_INCREF(name);
  t->name = name;
  return t;
}

void mvpy_task_collect(mvpy_task *t) {
  if (t->task != NULL) {
    if (mv_task_take_report(t->task, &t->report) == 0) t->have_report = 1;
    mv_task_free(t->task); /* done: unlinks and frees, never waits */
    t->task = NULL;
  }
  if (t->pid <= 0 && t->have_report && t->report.pid > 0)
    __atomic_store_n(&t->pid, t->report.pid, __ATOMIC_RELEASE);
  __atomic_store_n(&t->loop, NULL, __ATOMIC_RELEASE);
  __atomic_store_n(&t->state, MVPY_TASK_DONE, __ATOMIC_RELEASE);
}

static int task_traverse(mvpy_task *self, visitproc visit, void *arg) {
  Py_VISIT(Py_TYPE(self));
  Py_VISIT(self->data);
  Py_VISIT(self->name);
  return 0;
}

static int task_clear(mvpy_task *self) {
  Py_CLEAR(self->data);
  return 0;
}

static void task_dealloc(mvpy_task *self) {
  PyTypeObject *tp = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  task_clear(self);
  Py_CLEAR(self->name);
  /* `task` is NULL here: a running task is referenced by its loop (a loop
   * forgotten in a forked child keeps its tasks, never freed), and one
   * the loop let go of had `task` cleared first. */
  if (self->have_report) mv_report_dispose(&self->report);
  tp->tp_free((PyObject *)self);
  Py_DECREF(tp);
}

/* Run fn(core task) under the loop's lock if the task is still running
 * in a loop of this process. Returns fn's result, or 0 if not running. */
static int task_with_core(mvpy_task *self, int (*fn)(mv_task_t *, int), int arg) {
  mvpy_loop *l = LOAD(self->loop);
  if (l == NULL || mvpy_task_state(self) != MVPY_TASK_RUNNING) return 0;
  mv_sched_t *s = mvpy_loop_lock(l);
  int r = 0;
  if (s && self->task && mvpy_loop_ours(l)) r = fn(self->task, arg);
  mvpy_loop_unlock(l, s);
  return r;
}

static int task_do_cancel(mv_task_t *t, int unused) {
  (void)unused;
  return mv_task_cancel(t);
}

/* Only one still waiting for its turn: checked and canceled under one
 * hold of the lock, so a task that starts meanwhile is never killed by
 * it. One whose turn came (a reserved fork given its slot) is being
 * started: it runs. */
static int task_do_withdraw(mv_task_t *t, int unused) {
  (void)unused;
  return mv_task_waiting(t) ? mv_task_cancel(t) : 0;
}

static int task_do_signal(mv_task_t *t, int sig) { return mv_task_signal(t, sig); }

static PyObject *task_cancel(mvpy_task *self, PyObject *unused) {
  (void)unused;
  return PyBool_FromLong(task_with_core(self, task_do_cancel, 0) > 0);
}

static PyObject *task_withdraw(mvpy_task *self, PyObject *unused) {
  (void)unused;
  return PyBool_FromLong(task_with_core(self, task_do_withdraw, 0) > 0);
}

static PyObject *task_signal(mvpy_task *self, PyObject *arg) {
  int sig = (int)PyLong_AsLong(arg);
  if (sig == -1 && PyErr_Occurred()) return NULL;
  if (sig <= 0 || sig >= NSIG) {
    PyErr_Format(PyExc_ValueError, "invalid signal number %d", sig);
    return NULL;
  }
  int r = task_with_core(self, task_do_signal, sig);
  return PyBool_FromLong(r > 0);
}

static PyObject *task_report(mvpy_task *self, PyObject *unused) {
  (void)unused;
  if (mvpy_task_state(self) != MVPY_TASK_DONE || !self->have_report) Py_RETURN_NONE;
  return mvpy_report_dict(&self->report);
}

/* The few facts a pooled call's answer needs, without building the whole
 * report: (status, ended by a failed start, seconds, pid, result). */
static PyObject *task_outcome(mvpy_task *self, PyObject *unused) {
  (void)unused;
  if (mvpy_task_state(self) != MVPY_TASK_DONE || !self->have_report) Py_RETURN_NONE;
  const mv_report_t *r = &self->report;
  return Py_BuildValue("(iOdiy#)", r->status, r->end == MV_END_SPAWN_FAILED ? Py_True : Py_False,
                       r->elapsed, (int)r->pid, r->result.data ? r->result.data : "",
                       (Py_ssize_t)(r->result.data ? r->result.len : 0));
}

static PyObject *task_elapsed(mvpy_task *self, PyObject *unused) {
  (void)unused;
  int state = mvpy_task_state(self);
  if (state == MVPY_TASK_DONE && self->have_report) return PyFloat_FromDouble(self->report.elapsed);
  if (state == MVPY_TASK_NEW) return PyFloat_FromDouble(0.0);
  return PyFloat_FromDouble(mvpy_monotonic() - self->t_start);
}

static PyObject *task_get_pid(mvpy_task *self, void *closure) {
  (void)closure;
  pid_t pid = LOAD(self->pid);
  /* The supervisor announces the pid shortly after the start; ask the
   * loop if it has not been seen yet. A pooled call is served by a process
   * of the pool: it may change until the call ends (a process that died
   * is replaced), so it is not kept. */
  mvpy_loop *l = LOAD(self->loop);
  if (pid <= 0 && l != NULL && mvpy_task_state(self) == MVPY_TASK_RUNNING) {
    mv_sched_t *s = mvpy_loop_lock(l);
    int pooled = 0;
    if (s && self->task && mvpy_loop_ours(l)) {
      pid = mv_task_pid(self->task);
      pooled = self->pooled;
    }
    mvpy_loop_unlock(l, s);
    if (pid > 0 && !pooled) __atomic_store_n(&self->pid, pid, __ATOMIC_RELEASE);
  }
  if (pid <= 0) Py_RETURN_NONE;
  return PyLong_FromLong((long)pid);
}

static PyObject *task_get_done(mvpy_task *self, void *closure) {
  (void)closure;
  return PyBool_FromLong(mvpy_task_state(self) == MVPY_TASK_DONE);
}

static PyObject *task_get_task_id(mvpy_task *self, void *closure) {
  (void)closure;
  return PyUnicode_FromString(self->task_id);
}

static PyObject *task_get_name(mvpy_task *self, void *closure) {
  (void)closure;
  Py_INCREF(self->name);
  return self->name;
}

static PyObject *task_get_queued(mvpy_task *self, void *closure) {
  (void)closure;
  mvpy_loop *l = LOAD(self->loop);
  int q = 0;
  if (l == NULL || mvpy_task_state(self) != MVPY_TASK_RUNNING) Py_RETURN_FALSE;
  mv_sched_t *s = mvpy_loop_lock(l);
  if (s && self->task && mvpy_loop_ours(l)) q = mv_task_queued(self->task);
  mvpy_loop_unlock(l, s);
  return PyBool_FromLong(q);
}

static PyObject *task_get_data(mvpy_task *self, void *closure) {
  (void)closure;
  PyObject *d = self->data ? self->data : Py_None;
  Py_INCREF(d);
  return d;
}

static int task_set_data(mvpy_task *self, PyObject *value, void *closure) {
  (void)closure;
  Py_XINCREF(value);
  Py_XSETREF(self->data, value);
  return 0;
}

static PyObject *task_repr(mvpy_task *self) {
  static const char *names[] = {"new", "running", "done"};
  return PyUnicode_FromFormat("<multiverse._core.Task %U id=%s %s>", self->name, self->task_id,
                              names[mvpy_task_state(self)]);
}

static PyMethodDef task_methods[] = {
    {"cancel", (PyCFunction)task_cancel, METH_NOARGS,
     "cancel() -> bool\n--\n\nKill the task's tree (SIGTERM, kill_grace, SIGKILL). Returns at\n"
     "once; True if a kill was sent."},
    {"withdraw", (PyCFunction)task_withdraw, METH_NOARGS,
     "withdraw() -> bool\n--\n\nCancel the task only if it still waits for its turn: it ends\n"
     "canceled and never runs. False, and nothing done, if its turn came\n"
     "(it runs, or is being started) or it has ended."},
    {"signal", (PyCFunction)task_signal, METH_O,
     "signal(signum) -> bool\n--\n\nDeliver a signal to the task's tree."},
    {"report", (PyCFunction)task_report, METH_NOARGS,
     "report() -> dict | None\n--\n\nWhat the task did, once it is done."},
    {"outcome", (PyCFunction)task_outcome, METH_NOARGS,
     "outcome() -> (int, bool, float, int, bytes) | None\n--\n\n"
     "Once done: status, whether it ended because it could not start,\n"
     "seconds, pid (-1: none) and result bytes."},
    {"elapsed", (PyCFunction)task_elapsed, METH_NOARGS,
     "elapsed() -> float\n--\n\nSeconds since the start (final once done)."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef task_getset[] = {
    {"pid", (getter)task_get_pid, NULL, "The task's root process, or None until known.", NULL},
    {"done", (getter)task_get_done, NULL, "True once the task ended and was collected.", NULL},
    {"task_id", (getter)task_get_task_id, NULL, "The task id (also in the registry).", NULL},
    {"name", (getter)task_get_name, NULL, "The task's name.", NULL},
    {"queued", (getter)task_get_queued, NULL,
     "True while it waits for its turn in the loop's limit (or, reserved, to be forked).",
     NULL},
    {"data", (getter)task_get_data, (setter)task_set_data, "Free slot for the caller.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot task_slots[] = {
    {Py_tp_dealloc, task_dealloc},
    {Py_tp_traverse, task_traverse},
    {Py_tp_clear, task_clear},
    {Py_tp_repr, task_repr},
    {Py_tp_methods, task_methods},
    {Py_tp_getset, task_getset},
    {Py_tp_doc, "A task of a Loop: forked, reserved, a worker, a warm or a pooled call."},
    {0, NULL}};

PyType_Spec mvpy_task_spec = {
    .name = "multiverse._core.Task",
    .basicsize = sizeof(mvpy_task),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = task_slots,
};
