/*
 * Core reports and registry entries -> plain dicts.
 *
 * The package turns these into results and exceptions in Python, where
 * the mapping is easy to read and to test; the C side only copies facts.
 */
#include "mvpy.h"

#include <string.h>

static const char *mvpy_end_name(mv_end_t e) {
  switch (e) {
    case MV_END_EXITED: return "exited";
    case MV_END_SIGNALED: return "signaled";
    case MV_END_TIMEOUT: return "timeout";
    case MV_END_CANCELED: return "canceled";
    case MV_END_CLEARED: return "cleared";
    case MV_END_LIMIT: return "limit";
    case MV_END_HOSTGONE: return "hostgone";
    case MV_END_SPAWN_FAILED: return "spawn_failed";
    default: break; /* a newer core's ending: the status still classifies it */
  }
  return "other";
}

static const char *mvpy_source_name(mv_result_source_t s) {
  switch (s) {
    case MV_RESULT_NONE: return "none";
    case MV_RESULT_CHANNEL: return "channel";
    case MV_RESULT_STDOUT: return "stdout";
    case MV_RESULT_PIPE: return "pipe";
    default: break;
  }
  return "other";
}

/* Text from a worker or the system may be any bytes: never fail on it. */
static PyObject *mvpy_text(const char *s) {
  if (s == NULL) Py_RETURN_NONE;
  return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

/* d[key] = value, stealing value; -1 (exception set) on failure. */
static int mvpy_put(PyObject *d, const char *key, PyObject *value) {
  if (value == NULL) return -1;
  int r = PyDict_SetItemString(d, key, value);
  Py_DECREF(value);
  return r;
}

static PyObject *mvpy_bytes(const mv_buf_t *b) {
  return PyBytes_FromStringAndSize(b->data ? b->data : "", b->data ? (Py_ssize_t)b->len : 0);
}

static PyObject *mvpy_remote_dict(const mv_remote_error_t *e) {
  if (e->type == NULL) Py_RETURN_NONE;
  PyObject *frames = PyList_New((Py_ssize_t)e->nframes);
  if (frames == NULL) return NULL;
  for (size_t i = 0; i < e->nframes; i++) {
    const mv_frame_t *f = &e->frames[i];
    PyObject *fd = PyDict_New();
    if (fd == NULL || mvpy_put(fd, "file", mvpy_text(f->file ? f->file : "")) < 0 ||
        mvpy_put(fd, "line", PyLong_FromLong(f->line)) < 0 ||
        mvpy_put(fd, "function", mvpy_text(f->function ? f->function : "")) < 0) {
      Py_XDECREF(fd);
      Py_DECREF(frames);
      return NULL;
    }
    PyList_SET_ITEM(frames, (Py_ssize_t)i, fd);
  }
  PyObject *d = PyDict_New();
  if (d == NULL || mvpy_put(d, "type", mvpy_text(e->type)) < 0 ||
      mvpy_put(d, "message", mvpy_text(e->message ? e->message : "")) < 0 ||
      mvpy_put(d, "language", mvpy_text(e->language)) < 0 ||
      mvpy_put(d, "frames", frames) < 0) {
    Py_XDECREF(d);
    return NULL;
  }
  return d;
}

PyObject *mvpy_report_dict(const mv_report_t *r) {
  PyObject *d = PyDict_New();
  if (d == NULL) return NULL;
  if (mvpy_put(d, "status", PyLong_FromLong(r->status)) < 0 ||
      mvpy_put(d, "status_name", PyUnicode_FromString(mv_err_name(r->status))) < 0 ||
      mvpy_put(d, "end", PyUnicode_FromString(mvpy_end_name(r->end))) < 0 ||
      mvpy_put(d, "exit_code", PyLong_FromLong(r->exit_code)) < 0 ||
      mvpy_put(d, "signal", PyLong_FromLong(r->signal)) < 0 ||
      mvpy_put(d, "spawn_errno", PyLong_FromLong(r->spawn_errno)) < 0 ||
      mvpy_put(d, "spawn_what", mvpy_text(r->spawn_what)) < 0 ||
      mvpy_put(d, "elapsed", PyFloat_FromDouble(r->elapsed)) < 0 ||
      mvpy_put(d, "timeout", PyFloat_FromDouble(r->timeout)) < 0 ||
      mvpy_put(d, "maxrss_kb", PyLong_FromLong(r->maxrss_kb)) < 0 ||
      mvpy_put(d, "utime", PyFloat_FromDouble(r->utime)) < 0 ||
      mvpy_put(d, "stime", PyFloat_FromDouble(r->stime)) < 0 ||
      mvpy_put(d, "leftovers", PyLong_FromLong(r->leftovers)) < 0 ||
      mvpy_put(d, "tier", mvpy_text(r->tier)) < 0 ||
      mvpy_put(d, "limit", mvpy_text(r->limit)) < 0 ||
      mvpy_put(d, "pid", PyLong_FromLong((long)r->pid)) < 0 ||
      mvpy_put(d, "task_id", mvpy_text(r->task_id)) < 0 ||
      mvpy_put(d, "worker", mvpy_text(r->worker)) < 0 ||
      mvpy_put(d, "driver", PyUnicode_FromString(mv_driver_name(r->driver))) < 0 ||
      mvpy_put(d, "stdout", mvpy_bytes(&r->out)) < 0 ||
      mvpy_put(d, "stderr", mvpy_bytes(&r->err)) < 0 ||
      mvpy_put(d, "result", mvpy_bytes(&r->result)) < 0 ||
      mvpy_put(d, "stdout_truncated", PyBool_FromLong(r->out.truncated)) < 0 ||
      mvpy_put(d, "stderr_truncated", PyBool_FromLong(r->err.truncated)) < 0 ||
      mvpy_put(d, "result_truncated", PyBool_FromLong(r->result.truncated)) < 0 ||
      mvpy_put(d, "result_source", PyUnicode_FromString(mvpy_source_name(r->result_source))) < 0 ||
      mvpy_put(d, "remote", mvpy_remote_dict(&r->remote)) < 0 ||
      mvpy_put(d, "message", mvpy_text(r->message ? r->message : "")) < 0) {
    Py_DECREF(d);
    return NULL;
  }
  return d;
}

PyObject *mvpy_entry_dict(const mv_entry_t *e, double now) {
  PyObject *d = PyDict_New();
  if (d == NULL) return NULL;
  if (mvpy_put(d, "pid", PyLong_FromLong((long)e->pid)) < 0 ||
      mvpy_put(d, "worker", mvpy_text(e->worker)) < 0 ||
      mvpy_put(d, "task_id", mvpy_text(e->task_id)) < 0 ||
      mvpy_put(d, "started_at", PyFloat_FromDouble(e->started_at)) < 0 ||
      mvpy_put(d, "elapsed", PyFloat_FromDouble(now > e->started_at ? now - e->started_at : 0)) < 0 ||
      mvpy_put(d, "host_pid", PyLong_FromLong((long)e->host_pid)) < 0 ||
      mvpy_put(d, "supervisor_pid", PyLong_FromLong((long)e->supervisor_pid)) < 0 ||
      mvpy_put(d, "kind", mvpy_text(e->kind)) < 0 ||
      mvpy_put(d, "state", mvpy_text(e->state)) < 0 ||
      mvpy_put(d, "namespace", mvpy_text(e->ns)) < 0) {
    Py_DECREF(d);
    return NULL;
  }
  return d;
}
