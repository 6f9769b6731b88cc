/*
 * multiverse._core.WarmPool: the warm processes of one worker (core
 * mv_pool_t), made by Loop.warm_pool().
 *
 * A call is a Task of the pool's loop like any other: Loop.wait() hands it
 * out when it ends, cancel() kills the warm process serving it, report()
 * reads like a cold worker's. The loop lists its pools so that closing it
 * retires them first, and forgetting it in a forked child frees only the
 * copies (the processes are the parent's).
 */
#include "mvpy.h"

#include <string.h>
#include <unistd.h>

static void pool_link(mvpy_loop *l, mvpy_pool *p) {
  p->prev = NULL;
  p->next = l->pools;
  if (l->pools) l->pools->prev = p;
  l->pools = p;
}

static void pool_unlink(mvpy_loop *l, mvpy_pool *p) {
  if (p->prev) p->prev->next = p->next;
  else if (l->pools == p) l->pools = p->next;
  if (p->next) p->next->prev = p->prev;
  p->prev = p->next = NULL;
}

void mvpy_pools_release(mvpy_loop *l) {
  while (l->pools) {
    mvpy_pool *p = l->pools;
    pool_unlink(l, p);
    mv_pool_t *core = p->pool;
    p->pool = NULL;
    mv_pool_free(core); /* knows a forked child's copy from the real thing */
  }
}

/* Loop.warm_pool() ---------------------------------------------------- */

PyObject *mvpy_loop_warm_pool(mvpy_loop *l, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"name", "config", "processes", "max_requests", "idle_timeout", NULL};
  PyObject *name, *config = Py_None;
  int processes = 1, max_requests = 0;
  double idle = 0.0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "U|$Oiid:warm_pool", kwlist, &name, &config,
                                   &processes, &max_requests, &idle))
    return NULL;
  const char *cname = PyUnicode_AsUTF8(name);
  if (cname == NULL || mvpy_loop_check(l) < 0) return NULL;
  mvpy_state *st = mvpy_state_of_type(Py_TYPE(l));
  mv_config_t cfg;
  mv_config_init(&cfg);
  if (mvpy_config_from(config, &cfg) < 0) {
    mv_config_dispose(&cfg);
    return NULL;
  }
  mvpy_pool *self = (mvpy_pool *)st->pool_type->tp_alloc(st->pool_type, 0);
  if (self == NULL) {
    mv_config_dispose(&cfg);
    return NULL;
  }
  Py_INCREF(l);
  self->loop = l;
  Py_INCREF(name);
  self->name = name;
  mv_warm_t warm = {processes, max_requests, idle};
  char detail[512] = "";
  mvpy_loop_lock(l);
  int r = l->loop ? mv_pool_new(l->loop, &cfg, cname, &warm, &self->pool) : MV_EINVAL;
  if (r == 0) pool_link(l, self);
  else snprintf(detail, sizeof(detail), "%s", l->loop ? mv_last_error() : "the loop is closed");
  mvpy_loop_unlock(l);
  mv_config_dispose(&cfg);
  if (r < 0) {
    Py_DECREF(self);
    return mvpy_raise_msg(st, r, detail);
  }
  return (PyObject *)self;
}

/* Type -------------------------------------------------------------------- */

/* Retire the pool's processes (whole trees gone when it returns). */
static void pool_close_nogil(mvpy_pool *self) {
  mvpy_loop *l = self->loop;
  mvpy_loop_lock(l);
  mv_pool_t *core = self->pool;
  self->pool = NULL;
  if (core) {
    pool_unlink(l, self);
    if (l->loop) mv_pool_free(core);
  }
  mvpy_loop_unlock(l);
}

static void pool_dealloc(mvpy_pool *self) {
  PyTypeObject *tp = Py_TYPE(self);
  if (self->pool && self->loop) {
    if (self->loop->owner == mvpy_getpid()) {
      Py_BEGIN_ALLOW_THREADS
      pool_close_nogil(self);
      Py_END_ALLOW_THREADS
    } else {
      /* A forked child whose loop was not forgotten yet: leave the
       * parent's pool alone; the copy is leaked, not freed twice. */
      pool_unlink(self->loop, self);
      self->pool = NULL;
    }
  }
  Py_CLEAR(self->loop);
  Py_CLEAR(self->name);
  tp->tp_free((PyObject *)self);
  Py_DECREF(tp);
}

static int pool_check(mvpy_pool *self) {
  if (self->pool == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "the warm pool is closed");
    return -1;
  }
  return mvpy_loop_check(self->loop);
}

static PyObject *pool_call(mvpy_pool *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"payload", "timeout", "task_id", NULL};
  Py_buffer payload;
  PyObject *timeout_obj = NULL;
  const char *task_id = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*|$Oz:call", kwlist, &payload, &timeout_obj,
                                   &task_id))
    return NULL;
  PyObject *result = NULL;
  mvpy_task *obj = NULL;
  double timeout;
  mvpy_state *st = mvpy_state_of_type(Py_TYPE(self));
  if (pool_check(self) < 0 || mvpy_loop_timeout(timeout_obj, &timeout) < 0) goto done;
  if ((obj = mvpy_task_create(st, self->name, task_id)) == NULL) goto done;
  mv_task_opts_t opts;
  mvpy_task_opts(&opts, timeout, task_id, obj);
  mvpy_loop *l = self->loop;
  char detail[512] = "";
  mv_task_t *core = NULL;
  mvpy_loop_lock(l);
  int closed = l->loop == NULL || self->pool == NULL; /* close() may have run meanwhile */
  int r = MV_EINVAL;
  if (!closed) {
    /* Linked first: a request whose process cannot start ends inside
     * mv_pool_call(), and its end must find it in the running list. */
    mvpy_loop_link(l, obj);
    r = mv_pool_call(self->pool, payload.buf, (size_t)payload.len, &opts, &core);
    if (r == 0) {
      obj->task = core;
      snprintf(obj->task_id, sizeof(obj->task_id), "%s", mv_task_id(core));
    } else {
      snprintf(detail, sizeof(detail), "%s", mv_last_error());
      mvpy_loop_unlink(l, obj);
    }
  }
  mvpy_loop_unlock(l);
  if (closed) {
    PyErr_SetString(PyExc_RuntimeError, "the warm pool is closed");
    goto done;
  }
  if (r < 0) {
    mvpy_raise_msg(st, r, detail);
    goto done;
  }
  Py_INCREF(obj);
  result = (PyObject *)obj;
done:
  Py_XDECREF(obj);
  PyBuffer_Release(&payload);
  return result;
}

static PyObject *pool_stats(mvpy_pool *self, PyObject *unused) {
  (void)unused;
  int idle = 0, busy = 0;
  if (pool_check(self) < 0) return NULL;
  mvpy_loop_lock(self->loop);
  if (self->pool) mv_pool_stats(self->pool, &idle, &busy);
  mvpy_loop_unlock(self->loop);
  return Py_BuildValue("(ii)", idle, busy);
}

static PyObject *pool_close(mvpy_pool *self, PyObject *unused) {
  (void)unused;
  if (self->pool == NULL) Py_RETURN_NONE;
  if (self->loop->owner != mvpy_getpid()) {
    PyErr_SetString(PyExc_RuntimeError, "this warm pool belongs to another process");
    return NULL;
  }
  Py_BEGIN_ALLOW_THREADS
  pool_close_nogil(self);
  Py_END_ALLOW_THREADS
  Py_RETURN_NONE;
}

static PyObject *pool_get_closed(mvpy_pool *self, void *closure) {
  (void)closure;
  return PyBool_FromLong(self->pool == NULL);
}

static PyObject *pool_get_name(mvpy_pool *self, void *closure) {
  (void)closure;
  Py_INCREF(self->name);
  return self->name;
}

static PyMethodDef pool_methods[] = {
    {"call", (PyCFunction)(void (*)(void))pool_call, METH_VARARGS | METH_KEYWORDS,
     "call(payload, *, timeout=None, task_id=None) -> Task\n--\n\n"
     "Queue one request; the Task ends like a cold worker's. timeout None =\n"
     "the config's timeout."},
    {"stats", (PyCFunction)pool_stats, METH_NOARGS,
     "stats() -> (idle, busy)\n--\n\nWarm processes idle and busy."},
    {"close", (PyCFunction)pool_close, METH_NOARGS,
     "close()\n--\n\nRetire every process; returns once their trees are gone."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef pool_getset[] = {
    {"closed", (getter)pool_get_closed, NULL, "True once closed.", NULL},
    {"name", (getter)pool_get_name, NULL, "The worker's name.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot pool_slots[] = {
    {Py_tp_dealloc, pool_dealloc},
    {Py_tp_methods, pool_methods},
    {Py_tp_getset, pool_getset},
    {Py_tp_doc, "Warm processes of one worker, made by Loop.warm_pool()."},
    {0, NULL}};

PyType_Spec mvpy_pool_spec = {
    .name = "multiverse._core.WarmPool",
    .basicsize = sizeof(mvpy_pool),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = pool_slots,
};

/* worker_warm(config, name) ---------------------------------------------- */

PyObject *mvpy_worker_warm(PyObject *module, PyObject *args, PyObject *kwds) {
  (void)module;
  static char *kwlist[] = {"config", "name", NULL};
  PyObject *config;
  const char *name;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "Os:worker_warm", kwlist, &config, &name))
    return NULL;
  mv_config_t cfg;
  mv_config_init(&cfg);
  if (mvpy_config_from(config, &cfg) < 0) {
    mv_config_dispose(&cfg);
    return NULL;
  }
  mv_worker_t w;
  int r;
  Py_BEGIN_ALLOW_THREADS
  r = mv_worker_resolve(&cfg, name, &w);
  Py_END_ALLOW_THREADS
  mv_config_dispose(&cfg);
  /* A worker that cannot be resolved is left to the cold path, whose
   * error says why. */
  if (r < 0) Py_RETURN_NONE;
  mv_warm_t warm;
  r = w.warm_config ? mv_warm_parse(w.warm_config, &warm) : 0;
  char detail[512] = "";
  if (r < 0) snprintf(detail, sizeof(detail), "%s (in %s/multiverse.json)", mv_last_error(), w.dir);
  mv_worker_dispose(&w);
  if (r < 0) {
    PyErr_SetString(PyExc_ValueError, detail);
    return NULL;
  }
  if (r == 0) Py_RETURN_NONE;
  return Py_BuildValue("{s:i,s:i,s:d}", "processes", warm.processes, "max_requests",
                       warm.max_requests, "idle_timeout", warm.idle_timeout);
}
