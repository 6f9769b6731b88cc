/*
 * Warm workers: Loop.warm_call(), worker_warm(), warm_settings() and
 * replaces().
 *
 * The pools are the core loop's own (mv_loop_warm_pool): one per worker
 * name and absolute workers_path, made on first use, replaced (the old
 * processes retired) when the configuration or the warm settings differ
 * from those it was made with, retired by mv_loop_free() and forgotten by
 * mv_loop_forget() in a forked child. So the binding holds no pool: each
 * call asks the loop for the pool of the calling configuration and queues
 * its request there, under the loop's lock, so no other thread can
 * replace the pool in between. replaces() tells, with the core's own
 * comparison, whether a call would retire a pool that calls in flight are
 * using (the package then waits for them).
 *
 * A call is a Task of the loop like any other: Loop.wait() hands it out
 * when it ends, cancel() kills the warm process serving it, report()
 * reads like a cold worker's.
 */
#include "mvpy.h"

#include <stdio.h>
#include <string.h>

/* Loop.warm_call() ------------------------------------------------------ */

PyObject *mvpy_loop_warm_call(mvpy_loop *l, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"name", "payload", "config", "timeout", "task_id", NULL};
  PyObject *name, *config = Py_None, *timeout_obj = NULL;
  Py_buffer payload;
  const char *task_id = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "Uy*|$OOz:warm_call", kwlist, &name, &payload,
                                   &config, &timeout_obj, &task_id))
    return NULL;
  PyObject *result = NULL;
  mvpy_task *obj = NULL;
  mvpy_state *st = mvpy_state_of_type(Py_TYPE(l));
  mv_config_t cfg;
  mv_config_init(&cfg);
  double timeout;
  const char *cname = mvpy_worker_name(name, "");
  if (cname == NULL || mvpy_loop_check(l) < 0 || mvpy_loop_timeout(timeout_obj, &timeout) < 0 ||
      mvpy_config_from(config, &cfg) < 0)
    goto done;
  /* A new timeout does not replace a pool (it does not change how its
   * processes start), so the pool's own configuration may hold an older
   * one: the call takes the calling configuration's. */
  if (timeout < 0) timeout = cfg.timeout;
  if ((obj = mvpy_task_create(st, name, task_id)) == NULL) goto done;
  mv_task_opts_t opts;
  mvpy_task_opts(&opts, timeout, task_id, obj);
  char detail[512] = "";
  int r, closed, linked = 0;
  Py_INCREF(obj); /* the loop's reference, if the request is queued */
  /* Without the GIL: replacing a pool first retires the old one, which
   * waits for its processes to exit (kill_grace at most), and starting a
   * process takes a while too. */
  Py_BEGIN_ALLOW_THREADS
  mv_sched_t *s = mvpy_loop_lock(l);
  closed = s == NULL; /* close() may have run meanwhile */
  mv_pool_t *pool = NULL;
  r = closed ? MV_EINVAL : mv_loop_warm_pool(l->loop, &cfg, cname, &pool);
  if (r == 1) {
    /* Linked first: a request whose process cannot start ends inside
     * mv_pool_call(), and its end must find it in the running list. */
    mvpy_loop_link(l, obj);
    mv_task_t *core = NULL;
    r = mv_pool_call(pool, payload.buf, (size_t)payload.len, &opts, &core);
    if (r == 0) {
      mvpy_loop_adopt_core(obj, core);
      linked = 1;
    } else {
      mvpy_loop_unlink(l, obj);
    }
  }
  if (r < 0 && !closed) snprintf(detail, sizeof(detail), "%s", mv_last_error());
  mvpy_loop_unlock(l, s);
  Py_END_ALLOW_THREADS
  if (!linked) Py_DECREF(obj);
  if (closed) {
    PyErr_SetString(PyExc_RuntimeError, "the loop is closed");
  } else if (r < 0) {
    mvpy_raise_msg(st, r, detail);
  } else if (linked) {
    Py_INCREF(obj);
    result = (PyObject *)obj;
  } else {
    result = Py_None; /* cold for this configuration */
    Py_INCREF(result);
  }
done:
  Py_XDECREF(obj);
  mv_config_dispose(&cfg);
  PyBuffer_Release(&payload);
  return result;
}

/* worker_warm(config, name) ---------------------------------------------- */

static PyObject *mvpy_warm_dict(const mv_warm_t *w) {
  return Py_BuildValue("{s:i,s:i,s:d}", "processes", w->processes, "max_requests",
                       w->max_requests, "idle_timeout", w->idle_timeout);
}

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
  mv_warm_t warm;
  char detail[1024] = "";
  int r;
  Py_BEGIN_ALLOW_THREADS
  r = mv_config_warm(&cfg, name, &warm);
  if (r < 0) {
    /* Only a worker's own multiverse.json can be malformed: say where it
     * is (the core's message names the setting, not the file). */
    size_t n = (size_t)snprintf(detail, sizeof(detail), "%s", mv_last_error());
    mv_worker_t w;
    if (n < sizeof(detail) && mv_worker_resolve(&cfg, name, &w) == 0) {
      snprintf(detail + n, sizeof(detail) - n, " (in %s/multiverse.json)", w.dir);
      mv_worker_dispose(&w);
    }
  }
  Py_END_ALLOW_THREADS
  mv_config_dispose(&cfg);
  if (r < 0) {
    PyErr_SetString(PyExc_ValueError, detail);
    return NULL;
  }
  if (r == 0) Py_RETURN_NONE;
  return mvpy_warm_dict(&warm);
}

/* warm_settings(warm) ---------------------------------------------------- */

PyObject *mvpy_warm_settings(PyObject *module, PyObject *warm) {
  (void)module;
  mv_config_t cfg;
  mv_config_init(&cfg);
  PyObject *out = NULL;
  if (mvpy_config_set_warm(&cfg, warm) == 0 && (out = PyDict_New()) != NULL) {
    for (size_t i = 0; i < cfg.nwarm; i++) {
      const mv_warm_entry_t *e = &cfg.warm[i];
      PyObject *v = e->warm ? mvpy_warm_dict(&e->settings) : (Py_INCREF(Py_False), Py_False);
      if (v == NULL || PyDict_SetItemString(out, e->name, v) < 0) {
        Py_XDECREF(v);
        Py_CLEAR(out);
        break;
      }
      Py_DECREF(v);
    }
  }
  mv_config_dispose(&cfg);
  return out;
}

/* replaces(name, old, new) ------------------------------------------------ */

PyObject *mvpy_warm_replaces(PyObject *module, PyObject *args) {
  (void)module;
  const char *name;
  PyObject *old_obj, *new_obj;
  if (!PyArg_ParseTuple(args, "sOO:replaces", &name, &old_obj, &new_obj)) return NULL;
  mv_config_t a, b;
  mv_config_init(&a);
  mv_config_init(&b);
  int r = -1;
  if (mvpy_config_from(old_obj, &a) == 0 && mvpy_config_from(new_obj, &b) == 0) {
    /* As mv_loop_warm_pool() decides: a worker cold for `new` leaves the
     * pool alone; a warm one gets a new pool unless both start processes
     * the same way with the same warm settings. workers_path is compared
     * as given, not made absolute: at worst a caller waits when it need
     * not. */
    mv_warm_t wa, wb;
    int ra, rb;
    Py_BEGIN_ALLOW_THREADS
    ra = mv_config_warm(&a, name, &wa);
    rb = mv_config_warm(&b, name, &wb);
    mv_clear_error();
    r = rb == 1 && !(ra == 1 && mv_config_same_start(&a, &b) && wa.processes == wb.processes &&
                     wa.max_requests == wb.max_requests && wa.idle_timeout == wb.idle_timeout &&
                     wa.greet_timeout == wb.greet_timeout);
    Py_END_ALLOW_THREADS
  }
  mv_config_dispose(&a);
  mv_config_dispose(&b);
  if (r < 0) return NULL;
  return PyBool_FromLong(r);
}
