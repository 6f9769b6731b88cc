/*
 * A Python dict of options -> mv_config_t.
 *
 * The package keeps the configuration as a plain dict (configure() in
 * multiverse/_config.py) and hands it to every call, so the core's config
 * stays a value owned by the caller, as multiverse.h asks. Key names are
 * the same as PHP's INI settings and configure() options.
 */
#include "mvpy.h"

#include <math.h>
#include <string.h>

/* str, bytes or os.PathLike -> a copy in *field; None -> NULL. */
static int mvpy_set_path(char **field, PyObject *value, const char *key) {
  if (value == Py_None) return mv_config_set_string(field, NULL) < 0 ? (PyErr_NoMemory(), -1) : 0;
  PyObject *bytes = NULL;
  if (!PyUnicode_Check(value) && !PyBytes_Check(value) &&
      !PyObject_HasAttrString(value, "__fspath__")) {
    PyErr_Format(PyExc_TypeError, "%s must be a str or path, not %.100s", key,
                 Py_TYPE(value)->tp_name);
    return -1;
  }
  if (!PyUnicode_FSConverter(value, &bytes)) return -1;
  int r = mv_config_set_string(field, PyBytes_AS_STRING(bytes));
  Py_DECREF(bytes);
  if (r < 0) {
    PyErr_NoMemory();
    return -1;
  }
  return 0;
}

static int mvpy_set_seconds(double *field, PyObject *value, const char *key) {
  if (PyBool_Check(value) || !(PyFloat_Check(value) || PyLong_Check(value))) {
    PyErr_Format(PyExc_TypeError, "%s must be a number of seconds, not %.100s", key,
                 Py_TYPE(value)->tp_name);
    return -1;
  }
  double v = PyFloat_AsDouble(value);
  if (v == -1.0 && PyErr_Occurred()) return -1;
  if (mv_check_timeout(v, key) < 0) {
    PyErr_SetString(PyExc_ValueError, mv_last_error());
    return -1;
  }
  *field = v;
  return 0;
}

static int mvpy_set_size(size_t *field, PyObject *value, const char *key) {
  if (PyBool_Check(value) || !PyLong_Check(value)) {
    PyErr_Format(PyExc_TypeError, "%s must be an int (bytes), not %.100s", key,
                 Py_TYPE(value)->tp_name);
    return -1;
  }
  long long v = PyLong_AsLongLong(value);
  if (v == -1 && PyErr_Occurred()) return -1;
  if (v <= 0) {
    PyErr_Format(PyExc_ValueError, "%s must be > 0 bytes, got %lld", key, v);
    return -1;
  }
  *field = (size_t)v;
  return 0;
}

static int mvpy_set_containment(mv_containment_t *field, PyObject *value) {
  const char *s = PyUnicode_Check(value) ? PyUnicode_AsUTF8(value) : NULL;
  if (s == NULL) {
    if (!PyErr_Occurred())
      PyErr_SetString(PyExc_TypeError, "containment must be 'auto', 'cgroup' or 'subreaper'");
    return -1;
  }
  if (strcmp(s, "auto") == 0) *field = MV_CONTAIN_AUTO;
  else if (strcmp(s, "cgroup") == 0) *field = MV_CONTAIN_CGROUP;
  else if (strcmp(s, "subreaper") == 0) *field = MV_CONTAIN_SUBREAPER;
  else {
    PyErr_Format(PyExc_ValueError, "containment must be 'auto', 'cgroup' or 'subreaper', got '%s'",
                 s);
    return -1;
  }
  return 0;
}

static int mvpy_config_item(mv_config_t *cfg, const char *key, PyObject *value) {
  if (strcmp(key, "workers_path") == 0) return mvpy_set_path(&cfg->workers_path, value, key);
  if (strcmp(key, "python") == 0) return mvpy_set_path(&cfg->python, value, key);
  if (strcmp(key, "node") == 0) return mvpy_set_path(&cfg->node, value, key);
  if (strcmp(key, "php") == 0) return mvpy_set_path(&cfg->php, value, key);
  if (strcmp(key, "runtime_dir") == 0) return mvpy_set_path(&cfg->runtime_dir, value, key);
  /* None for the numeric options means: the core's default. */
  if (value == Py_None) {
    if (strcmp(key, "timeout") == 0 || strcmp(key, "kill_grace") == 0 ||
        strcmp(key, "max_output") == 0 || strcmp(key, "containment") == 0)
      return 0;
  }
  if (strcmp(key, "timeout") == 0) return mvpy_set_seconds(&cfg->timeout, value, key);
  if (strcmp(key, "kill_grace") == 0) return mvpy_set_seconds(&cfg->kill_grace, value, key);
  if (strcmp(key, "max_output") == 0) return mvpy_set_size(&cfg->max_output, value, key);
  if (strcmp(key, "containment") == 0) return mvpy_set_containment(&cfg->containment, value);
  PyErr_Format(PyExc_TypeError, "unknown configuration option '%s'", key);
  return -1;
}

int mvpy_config_from(PyObject *mapping, mv_config_t *cfg) {
  if (mapping == NULL || mapping == Py_None) return 0;
  if (!PyDict_Check(mapping)) {
    PyErr_Format(PyExc_TypeError, "config must be a dict, not %.100s",
                 Py_TYPE(mapping)->tp_name);
    return -1;
  }
  Py_ssize_t pos = 0;
  PyObject *k, *v;
  while (PyDict_Next(mapping, &pos, &k, &v)) {
    const char *key = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
    if (key == NULL) {
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "config keys must be str");
      return -1;
    }
    if (mvpy_config_item(cfg, key, v) < 0) return -1;
  }
  return 0;
}
