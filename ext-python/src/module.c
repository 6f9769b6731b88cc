/*
 * multiverse._core: the CPython binding of the multiverse core.
 *
 * Multi-phase initialisation with per-module state and heap types, so the
 * module can be loaded in subinterpreters and holds no global mutable
 * state. The pure-Python package (multiverse/) builds the public API on
 * top of the Loop and Task types and the functions defined here.
 */
#include "mvpy.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

mvpy_state *mvpy_state_of_type(PyTypeObject *tp) {
  return (mvpy_state *)PyType_GetModuleState(tp);
}

static mvpy_state *mvpy_state_of_module(PyObject *m) {
  return (mvpy_state *)PyModule_GetState(m);
}

/* The one piece of process-wide state: it always equals getpid(). */
static pid_t mvpy_pid;
static pthread_once_t mvpy_pid_once = PTHREAD_ONCE_INIT;

static void mvpy_pid_refresh(void) { __atomic_store_n(&mvpy_pid, getpid(), __ATOMIC_RELEASE); }

static void mvpy_pid_init(void) {
  mvpy_pid_refresh();
  pthread_atfork(NULL, NULL, mvpy_pid_refresh);
}

pid_t mvpy_getpid(void) {
  pthread_once(&mvpy_pid_once, mvpy_pid_init);
  return __atomic_load_n(&mvpy_pid, __ATOMIC_ACQUIRE);
}

double mvpy_monotonic(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

PyObject *mvpy_short_repr(PyObject *s) {
  if (!PyUnicode_Check(s) || PyUnicode_GET_LENGTH(s) <= 64) return PyObject_Repr(s);
  PyObject *head = PyUnicode_Substring(s, 0, 64);
  if (head == NULL) return NULL;
  PyObject *r = PyUnicode_FromFormat("%R...", head);
  Py_DECREF(head);
  return r;
}

void mvpy_flush_std(void) {
  const char *names[] = {"stdout", "stderr"};
  for (int i = 0; i < 2; i++) {
    PyObject *f = PySys_GetObject(names[i]); /* borrowed */
    if (f == NULL || f == Py_None) continue;
    PyObject *r = PyObject_CallMethod(f, "flush", NULL);
    if (r == NULL) PyErr_Clear();
    Py_XDECREF(r);
  }
}

PyObject *mvpy_raise(mvpy_state *st, int code) {
  return mvpy_raise_msg(st, code, mv_last_error());
}

PyObject *mvpy_raise_msg(mvpy_state *st, int code, const char *detail) {
  const char *msg = (detail && *detail) ? detail : mv_strerror(code);
  /* Bad arguments are ValueErrors, as for any Python function; the rest
   * carry the core's code so the package can map them to its own errors. */
  if (code == MV_EINVAL) {
    PyErr_SetString(PyExc_ValueError, msg);
    return NULL;
  }
  if (code == MV_ENOMEM) {
    PyErr_SetString(PyExc_MemoryError, msg);
    return NULL;
  }
  PyObject *exc = PyObject_CallFunction(st->error, "s", msg);
  if (exc == NULL) return NULL;
  PyObject *c = PyLong_FromLong(code);
  PyObject *n = PyUnicode_FromString(mv_err_name(code));
  if (c == NULL || n == NULL || PyObject_SetAttrString(exc, "code", c) < 0 ||
      PyObject_SetAttrString(exc, "name", n) < 0) {
    Py_XDECREF(c);
    Py_XDECREF(n);
    Py_DECREF(exc);
    return NULL;
  }
  Py_DECREF(c);
  Py_DECREF(n);
  PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
  Py_DECREF(exc);
  return NULL;
}

/* run_worker(config, name, payload, timeout) -> report dict ------------- */

/* Wait for t with the GIL released, in slices, so that a signal for this
 * (main) thread turns into its Python exception. On such an exception the
 * tree is killed and waited for before the exception propagates: Ctrl-C
 * never leaves a worker behind. */
static int mvpy_wait_interruptible(mv_loop_t *loop, mv_task_t *t) {
  int failed = 0;
  while (!mv_task_done(t)) {
    int r;
    Py_BEGIN_ALLOW_THREADS
    r = mv_loop_wait(loop, t, 0.1);
    Py_END_ALLOW_THREADS
    if (r < 0 && r != MV_EINTR && r != MV_ETIMEDOUT) break;
    if (!failed && PyErr_CheckSignals() < 0) {
      failed = 1;
      mv_task_cancel(t);
    }
  }
  return failed ? -1 : 0;
}

static PyObject *mvpy_run_worker(PyObject *module, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"config", "name", "payload", "timeout", NULL};
  PyObject *config;
  const char *name;
  Py_buffer payload;
  double timeout = -1.0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "Osy*|d:run_worker", kwlist, &config, &name,
                                   &payload, &timeout))
    return NULL;
  mvpy_state *st = mvpy_state_of_module(module);
  mv_config_t cfg;
  mv_config_init(&cfg);
  PyObject *result = NULL;
  mv_loop_t *loop = NULL;
  mv_task_t *t = NULL;
  if (mvpy_config_from(config, &cfg) < 0) goto done;
  int r = mv_loop_new(&loop);
  if (r < 0) {
    mvpy_raise(st, r);
    goto done;
  }
  mv_task_opts_t opts;
  memset(&opts, 0, sizeof(opts));
  opts.timeout = timeout;
  r = mv_task_spawn_worker(loop, &cfg, name, payload.buf, (size_t)payload.len, &opts, &t);
  if (r < 0) {
    mvpy_raise(st, r);
    goto done;
  }
  if (mvpy_wait_interruptible(loop, t) < 0) goto done;
  const mv_report_t *rep = mv_task_report(t);
  if (rep == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "worker ended without a report");
    goto done;
  }
  result = mvpy_report_dict(rep);
done:
  /* Freeing a task or loop may wait for a dying tree: not with the GIL. */
  Py_BEGIN_ALLOW_THREADS
  if (t) mv_task_free(t);
  if (loop) mv_loop_free(loop);
  Py_END_ALLOW_THREADS
  mv_config_dispose(&cfg);
  PyBuffer_Release(&payload);
  return result;
}

/* Registry --------------------------------------------------------------- */

/* The registry of config: its directory, and (when ns is not NULL) the
 * namespace its tasks are registered under. */
static int mvpy_registry_of(PyObject *config, char *buf, size_t size, char *ns, size_t nssize,
                            mvpy_state *st) {
  mv_config_t cfg;
  mv_config_init(&cfg);
  int rc = -1;
  if (mvpy_config_from(config, &cfg) == 0) {
    int r = mv_config_runtime_dir(&cfg, buf, size);
    if (r < 0) mvpy_raise(st, r);
    else rc = 0;
    if (ns) snprintf(ns, nssize, "%s", mv_config_namespace(&cfg));
  }
  mv_config_dispose(&cfg);
  return rc;
}

static int mvpy_runtime_dir(PyObject *config, char *buf, size_t size, mvpy_state *st) {
  return mvpy_registry_of(config, buf, size, NULL, 0, st);
}

static PyObject *mvpy_registry_list(PyObject *module, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"config", "worker", "all_namespaces", NULL};
  PyObject *config;
  const char *worker = NULL;
  int all = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|zp:registry_list", kwlist, &config, &worker,
                                   &all))
    return NULL;
  mvpy_state *st = mvpy_state_of_module(module);
  char dir[1024], ns[MV_NAMESPACE_MAX + 1];
  if (mvpy_registry_of(config, dir, sizeof(dir), ns, sizeof(ns), st) < 0) return NULL;
  mv_entry_t *e = NULL;
  size_t n = 0;
  int r;
  Py_BEGIN_ALLOW_THREADS
  r = mv_registry_list(dir, all ? NULL : ns, worker, &e, &n);
  Py_END_ALLOW_THREADS
  if (r < 0) return mvpy_raise(st, r);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
  PyObject *list = PyList_New((Py_ssize_t)n);
  for (size_t i = 0; list && i < n; i++) {
    PyObject *d = mvpy_entry_dict(&e[i], now);
    if (d == NULL) {
      Py_CLEAR(list);
      break;
    }
    PyList_SET_ITEM(list, (Py_ssize_t)i, d);
  }
  free(e);
  return list;
}

static PyObject *mvpy_registry_clear(PyObject *module, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"config", "worker", "wait_timeout", "all_namespaces", NULL};
  PyObject *config;
  const char *worker = NULL;
  double wait_timeout = 30.0;
  int all = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|zdp:registry_clear", kwlist, &config, &worker,
                                   &wait_timeout, &all))
    return NULL;
  mvpy_state *st = mvpy_state_of_module(module);
  char dir[1024], ns[MV_NAMESPACE_MAX + 1];
  if (mvpy_registry_of(config, dir, sizeof(dir), ns, sizeof(ns), st) < 0) return NULL;
  int killed = 0, r;
  Py_BEGIN_ALLOW_THREADS
  r = mv_registry_clear(dir, all ? NULL : ns, worker, wait_timeout, &killed);
  Py_END_ALLOW_THREADS
  if (r < 0) return mvpy_raise(st, r);
  return PyLong_FromLong(killed);
}

static PyObject *mvpy_runtime_dir_fn(PyObject *module, PyObject *config) {
  char dir[1024];
  if (mvpy_runtime_dir(config, dir, sizeof(dir), mvpy_state_of_module(module)) < 0) return NULL;
  return PyUnicode_DecodeFSDefault(dir);
}

/* Misc ------------------------------------------------------------------- */

static PyObject *mvpy_cpu_count(PyObject *module, PyObject *unused) {
  (void)module;
  (void)unused;
  return PyLong_FromLong(mv_cpu_count());
}

static PyObject *mvpy_containment_probe(PyObject *module, PyObject *unused) {
  (void)module;
  (void)unused;
  mv_config_t cfg;
  mv_config_init(&cfg); /* honours MULTIVERSE_CONTAINMENT */
  return PyUnicode_FromString(mv_containment_probe(cfg.containment));
}

/* A name the core would print badly: a NUL (C would see a shorter, maybe
 * valid, name), or bytes that are not printable ASCII (control characters
 * in a log line). */
static int mvpy_name_unprintable(const char *s, Py_ssize_t len) {
  for (Py_ssize_t i = 0; i < len; i++)
    if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) return 1;
  return 0;
}

const char *mvpy_worker_name(PyObject *arg, const char *what) {
  if (!PyUnicode_Check(arg)) {
    PyErr_Format(PyExc_TypeError, "%sworker name must be a str, not %.100s", what,
                 Py_TYPE(arg)->tp_name);
    return NULL;
  }
  Py_ssize_t len;
  const char *name = PyUnicode_AsUTF8AndSize(arg, &len);
  if (name == NULL && !PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return NULL;
  PyErr_Clear();
  int bad = name == NULL || (Py_ssize_t)strlen(name) != len;
  if (!bad && mv_validate_worker_name(name) < 0) {
    if (!mvpy_name_unprintable(name, len) || len > 255) {
      PyErr_Format(PyExc_ValueError, "%s%s", what, mv_last_error());
      return NULL;
    }
    bad = 1;
  }
  if (bad) {
    /* Shown as repr(), so that the message shows what was passed. */
    PyObject *r = mvpy_short_repr(arg);
    if (r != NULL)
      PyErr_Format(PyExc_ValueError,
                   "%sinvalid worker name %U: only letters, digits, '_' and '-' are allowed "
                   "(no paths, no NUL or control characters)",
                   what, r);
    Py_XDECREF(r);
    return NULL;
  }
  return name;
}

static PyObject *mvpy_validate_worker_name(PyObject *module, PyObject *arg) {
  (void)module;
  if (mvpy_worker_name(arg, "") == NULL) return NULL;
  Py_RETURN_NONE;
}

static PyObject *mvpy_check_config(PyObject *module, PyObject *config) {
  (void)module;
  mv_config_t cfg;
  mv_config_init(&cfg);
  int rc = mvpy_config_from(config, &cfg);
  if (rc == 0 && mv_config_validate(&cfg) < 0) {
    PyErr_SetString(PyExc_ValueError, mv_last_error());
    rc = -1;
  }
  mv_config_dispose(&cfg);
  if (rc < 0) return NULL;
  Py_RETURN_NONE;
}

static PyMethodDef mvpy_methods[] = {
    {"run_worker", (PyCFunction)(void (*)(void))mvpy_run_worker, METH_VARARGS | METH_KEYWORDS,
     "run_worker(config, name, payload, timeout=-1.0) -> dict\n--\n\n"
     "Run one worker to completion (GIL released) and return its report.\n"
     "A negative timeout means: the config's timeout."},
    {"registry_list", (PyCFunction)(void (*)(void))mvpy_registry_list,
     METH_VARARGS | METH_KEYWORDS,
     "registry_list(config, worker=None, all_namespaces=False) -> list\n--\n\n"
     "Live registry entries of the config's namespace (or of all)."},
    {"registry_clear", (PyCFunction)(void (*)(void))mvpy_registry_clear,
     METH_VARARGS | METH_KEYWORDS,
     "registry_clear(config, worker=None, wait_timeout=30.0, all_namespaces=False) -> int\n--\n\n"
     "Kill the trees of live entries and wait for them; returns how many."},
    {"runtime_dir", mvpy_runtime_dir_fn, METH_O,
     "runtime_dir(config) -> str\n--\n\nEffective registry directory."},
    {"cpu_count", mvpy_cpu_count, METH_NOARGS,
     "cpu_count() -> int\n--\n\nCPUs this process may run on."},
    {"containment_probe", mvpy_containment_probe, METH_NOARGS,
     "containment_probe() -> str\n--\n\nContainment tier tasks would get."},
    {"validate_worker_name", mvpy_validate_worker_name, METH_O,
     "validate_worker_name(name)\n--\n\nValueError unless name is a valid worker name."},
    {"worker_warm", (PyCFunction)(void (*)(void))mvpy_worker_warm, METH_VARARGS | METH_KEYWORDS,
     "worker_warm(config, name) -> dict | None\n--\n\n"
     "The settings the worker is warm with for config (processes,\n"
     "max_requests, idle_timeout): the config's `warm` entry, else its\n"
     "multiverse.json. None when it is cold or cannot be found. ValueError\n"
     "names a malformed multiverse.json."},
    {"replaces", mvpy_warm_replaces, METH_VARARGS,
     "replaces(name, old, new) -> bool\n--\n\n"
     "Whether the warm pool of worker `name` for config `new` replaces (retires)\n"
     "the one made for config `old`: the core's comparison, as\n"
     "Loop.warm_call() makes it."},
    {"warm_settings", mvpy_warm_settings, METH_O,
     "warm_settings(warm) -> dict\n--\n\n"
     "The `warm` option as the core holds it: worker name -> False or\n"
     "{processes, max_requests, idle_timeout} (True: the defaults).\n"
     "TypeError/ValueError name the worker and the setting at fault."},
    {"check_config", mvpy_check_config, METH_O,
     "check_config(config)\n--\n\nValueError naming the first invalid value."},
    {NULL, NULL, 0, NULL}};

static int mvpy_exec(PyObject *m) {
  mvpy_state *st = mvpy_state_of_module(m);
  st->error = PyErr_NewExceptionWithDoc(
      "multiverse._core.Error",
      "A failure reported by the multiverse core; `code` and `name` identify it.", NULL, NULL);
  if (st->error == NULL) return -1;
  Py_INCREF(st->error);
  if (PyModule_AddObject(m, "Error", st->error) < 0) {
    Py_DECREF(st->error);
    return -1;
  }
  st->loop_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &mvpy_loop_spec, NULL);
  if (st->loop_type == NULL || PyModule_AddType(m, st->loop_type) < 0) return -1;
  st->task_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &mvpy_task_spec, NULL);
  if (st->task_type == NULL || PyModule_AddType(m, st->task_type) < 0) return -1;
  st->channel_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &mvpy_channel_spec, NULL);
  if (st->channel_type == NULL || PyModule_AddType(m, st->channel_type) < 0) return -1;
  st->batch_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &mvpy_batch_spec, NULL);
  if (st->batch_type == NULL || PyModule_AddType(m, st->batch_type) < 0) return -1;
  if (PyModule_AddStringConstant(m, "CORE_VERSION", MV_VERSION_STRING) < 0) return -1;
  if (PyModule_AddIntConstant(m, "FORK_CHILD", MV_FORK_CHILD) < 0) return -1;
  PyObject *margin = PyFloat_FromDouble(MV_KILL_MARGIN);
  int bad = margin == NULL || PyModule_AddObjectRef(m, "KILL_MARGIN", margin) < 0;
  Py_XDECREF(margin);
  if (bad) return -1;
  /* The core's status codes, compared as numbers by the package (OK,
   * ETIMEDOUT, ...); the names ("MV_ETIMEDOUT") are for people. */
  if (PyModule_AddIntConstant(m, "OK", MV_OK) < 0) return -1;
#define XX(name, val, msg) \
  if (PyModule_AddIntConstant(m, #name, MV_##name) < 0) return -1;
  MV_ERRNO_MAP(XX)
#undef XX
  return 0;
}

static int mvpy_traverse(PyObject *m, visitproc visit, void *arg) {
  mvpy_state *st = mvpy_state_of_module(m);
  Py_VISIT(st->error);
  Py_VISIT(st->loop_type);
  Py_VISIT(st->task_type);
  Py_VISIT(st->channel_type);
  Py_VISIT(st->batch_type);
  return 0;
}

static int mvpy_clear(PyObject *m) {
  mvpy_state *st = mvpy_state_of_module(m);
  Py_CLEAR(st->error);
  Py_CLEAR(st->loop_type);
  Py_CLEAR(st->task_type);
  Py_CLEAR(st->channel_type);
  Py_CLEAR(st->batch_type);
  return 0;
}

static void mvpy_free(void *m) { mvpy_clear((PyObject *)m); }

static PyModuleDef_Slot mvpy_slots[] = {{Py_mod_exec, mvpy_exec}, {0, NULL}};

static struct PyModuleDef mvpy_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "multiverse._core",
    .m_doc = "Native core of multiverse: supervised task processes.",
    .m_size = sizeof(mvpy_state),
    .m_methods = mvpy_methods,
    .m_slots = mvpy_slots,
    .m_traverse = mvpy_traverse,
    .m_clear = mvpy_clear,
    .m_free = mvpy_free,
};

PyMODINIT_FUNC PyInit__core(void) { return PyModuleDef_Init(&mvpy_module); }
