/*
 * A Python dict of options -> mv_config_t.
 *
 * The package keeps the configuration as a plain dict (configure() in
 * multiverse/_config.py) and hands it to every call, so the core's config
 * stays a value owned by the caller, as multiverse.h asks. Key names are
 * the same as PHP's INI settings and configure() options. Types are
 * checked here (only the binding sees Python objects); values are checked
 * by the core where it has a setter that checks them (env names, warm
 * settings), and the ValueError carries its message.
 */
#include "mvpy.h"

#include <limits.h>
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

/* The registry namespace: a str the core accepts (ValueError with its
 * message otherwise), or None for the default. */
static int mvpy_set_namespace(mv_config_t *cfg, PyObject *value) {
  if (value == Py_None) return mv_config_set_string(&cfg->ns, NULL) < 0 ? (PyErr_NoMemory(), -1) : 0;
  if (!PyUnicode_Check(value)) {
    PyErr_Format(PyExc_TypeError, "namespace must be a str, not %.100s", Py_TYPE(value)->tp_name);
    return -1;
  }
  Py_ssize_t len;
  const char *s = PyUnicode_AsUTF8AndSize(value, &len);
  if (s == NULL && !PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return -1;
  PyErr_Clear();
  if (s == NULL || (Py_ssize_t)strlen(s) != len || mv_check_namespace(s) < 0) {
    PyErr_Format(PyExc_ValueError,
                 "invalid namespace %R (1 to %d letters, digits, '_', '.' or '-')", value,
                 MV_NAMESPACE_MAX);
    return -1;
  }
  return mv_config_set_string(&cfg->ns, s) < 0 ? (PyErr_NoMemory(), -1) : 0;
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

/* value's bytes as exec() gets them: the filesystem encoding with
 * surrogateescape, as os.environ encodes. NULL with an exception set. */
static PyObject *mvpy_env_bytes(PyObject *value) {
  PyObject *b = PyUnicode_EncodeFSDefault(value);
  if (b == NULL && PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) PyErr_Clear();
  return b;
}

/* ValueError naming the variable (its repr: a name may hold anything). */
static int mvpy_env_error(PyObject *name, const char *fmt) {
  PyObject *r = mvpy_short_repr(name);
  if (r != NULL) PyErr_Format(PyExc_ValueError, fmt, r);
  Py_XDECREF(r);
  return -1;
}

/* One `env` entry. A NUL cannot reach exec() (it would cut the name or the
 * value short without a word), so it is refused like an invalid name. */
static int mvpy_env_entry(mv_config_t *cfg, PyObject *k, PyObject *v) {
  if (!PyUnicode_Check(k)) {
    PyErr_Format(PyExc_TypeError, "env: variable names must be str, not %.100s",
                 Py_TYPE(k)->tp_name);
    return -1;
  }
  if (!PyUnicode_Check(v)) {
    PyObject *r = mvpy_short_repr(k);
    if (r != NULL)
      PyErr_Format(PyExc_TypeError, "env: the value of %U must be a str, not %.100s", r,
                   Py_TYPE(v)->tp_name);
    Py_XDECREF(r);
    return -1;
  }
  int rc = -1;
  PyObject *kb = mvpy_env_bytes(k), *vb = NULL;
  if (kb == NULL) {
    if (!PyErr_Occurred())
      mvpy_env_error(k, "env: invalid variable name %U (letters, digits and '_', not starting "
                        "with a digit)");
    goto done;
  }
  const char *name = PyBytes_AS_STRING(kb);
  if ((Py_ssize_t)strlen(name) != PyBytes_GET_SIZE(kb)) {
    mvpy_env_error(k, "env: invalid variable name %U (it contains a NUL character)");
    goto done;
  }
  if (*name == '\0') {
    PyErr_SetString(PyExc_ValueError, "env: a variable name must not be empty");
    goto done;
  }
  if (mv_check_env_name(name) < 0) {
    mvpy_env_error(k, "env: invalid variable name %U (letters, digits and '_', not starting "
                      "with a digit, at most 255 bytes)");
    goto done;
  }
  if ((vb = mvpy_env_bytes(v)) == NULL) {
    if (!PyErr_Occurred())
      mvpy_env_error(k, "env: the value of %U cannot be encoded (lone surrogates)");
    goto done;
  }
  if ((Py_ssize_t)strlen(PyBytes_AS_STRING(vb)) != PyBytes_GET_SIZE(vb)) {
    mvpy_env_error(k, "env: the value of %U contains a NUL character");
    goto done;
  }
  int r = mv_config_set_env(cfg, name, PyBytes_AS_STRING(vb));
  if (r == MV_ENOMEM) PyErr_NoMemory();
  else if (r < 0) PyErr_SetString(PyExc_ValueError, mv_last_error());
  else rc = 0;
done:
  Py_XDECREF(kb);
  Py_XDECREF(vb);
  return rc;
}

/* The `env` option: a dict of variable name -> value (None: no entries). */
static int mvpy_set_env(mv_config_t *cfg, PyObject *value) {
  mv_config_clear_env(cfg);
  if (value == Py_None) return 0;
  if (!PyDict_Check(value)) {
    PyErr_Format(PyExc_TypeError, "env must be a dict of variable name -> str, not %.100s",
                 Py_TYPE(value)->tp_name);
    return -1;
  }
  Py_ssize_t pos = 0;
  PyObject *k, *v;
  while (PyDict_Next(value, &pos, &k, &v)) {
    if (mvpy_env_entry(cfg, k, v) < 0) {
      mv_config_clear_env(cfg);
      return -1;
    }
  }
  return 0;
}

static int mvpy_set_bool(int *field, PyObject *value, const char *key) {
  if (!PyBool_Check(value)) {
    PyErr_Format(PyExc_TypeError, "%s must be a bool, not %.100s", key, Py_TYPE(value)->tp_name);
    return -1;
  }
  *field = value == Py_True;
  return 0;
}

/* The core's verdict on one worker's warm settings (NULL: cold). */
static int mvpy_warm_set(mv_config_t *cfg, const char *name, const mv_warm_t *settings) {
  int r = mv_config_set_warm(cfg, name, settings);
  if (r == MV_ENOMEM) PyErr_NoMemory();
  else if (r < 0) PyErr_SetString(PyExc_ValueError, mv_last_error());
  return r < 0 ? -1 : 0;
}

/* processes / max_requests: an int that fits C's, whose range the core
 * checks. */
static int mvpy_warm_int(const char *name, const char *key, PyObject *v, int *out) {
  if (PyBool_Check(v) || !PyLong_Check(v)) {
    PyErr_Format(PyExc_TypeError, "warm '%s': %s must be an int, not %.100s", name, key,
                 Py_TYPE(v)->tp_name);
    return -1;
  }
  int overflow;
  long long n = PyLong_AsLongLongAndOverflow(v, &overflow);
  if (n == -1 && PyErr_Occurred()) return -1;
  if (overflow || n > INT_MAX || n < INT_MIN) {
    PyErr_Format(PyExc_ValueError, "warm '%s': %s is out of range, got %R", name, key, v);
    return -1;
  }
  *out = (int)n;
  return 0;
}

/* idle_timeout, greet_timeout: a number of seconds, whose range the core
 * checks. */
static int mvpy_warm_seconds(const char *name, const char *key, PyObject *v, double *out) {
  if (PyBool_Check(v) || !(PyFloat_Check(v) || PyLong_Check(v))) {
    PyErr_Format(PyExc_TypeError, "warm '%s': %s must be a number of seconds, not %.100s",
                 name, key, Py_TYPE(v)->tp_name);
    return -1;
  }
  *out = PyFloat_AsDouble(v);
  return *out == -1.0 && PyErr_Occurred() ? -1 : 0;
}

/* Compared as a whole: a C string compare would stop at a NUL in k. */
static int mvpy_is_key(PyObject *k, const char *key) {
  return PyUnicode_Check(k) && PyUnicode_CompareWithASCIIString(k, key) == 0;
}

/* One `warm` entry: True (one process, no request limit, no idle
 * timeout), False (cold whatever its multiverse.json says) or a dict of
 * some of the settings. The types are checked here, the name and the
 * values by the core. */
static int mvpy_warm_entry(mv_config_t *cfg, PyObject *k, PyObject *v) {
  const char *name = mvpy_worker_name(k, "warm: ");
  if (name == NULL) return -1;
  if (v == Py_False) return mvpy_warm_set(cfg, name, NULL);
  mv_warm_t w = {1, 0, 0.0, 0.0};
  if (v != Py_True) {
    if (!PyDict_Check(v)) {
      PyErr_Format(PyExc_TypeError,
                   "warm '%s' must be True, False or a dict of settings, not %.100s", name,
                   Py_TYPE(v)->tp_name);
      return -1;
    }
    Py_ssize_t pos = 0;
    PyObject *sk, *sv;
    while (PyDict_Next(v, &pos, &sk, &sv)) {
      int r;
      if (mvpy_is_key(sk, "processes")) r = mvpy_warm_int(name, "processes", sv, &w.processes);
      else if (mvpy_is_key(sk, "max_requests"))
        r = mvpy_warm_int(name, "max_requests", sv, &w.max_requests);
      else if (mvpy_is_key(sk, "idle_timeout"))
        r = mvpy_warm_seconds(name, "idle_timeout", sv, &w.idle_timeout);
      else if (mvpy_is_key(sk, "greet_timeout"))
        r = mvpy_warm_seconds(name, "greet_timeout", sv, &w.greet_timeout);
      else {
        PyErr_Format(PyExc_TypeError,
                     "warm '%s': unknown setting %R (known: processes, max_requests, "
                     "idle_timeout, greet_timeout)",
                     name, sk);
        r = -1;
      }
      if (r < 0) return -1;
    }
  }
  return mvpy_warm_set(cfg, name, &w);
}

int mvpy_config_set_warm(mv_config_t *cfg, PyObject *value) {
  mv_config_clear_warm(cfg);
  if (value == Py_None) return 0;
  if (!PyDict_Check(value)) {
    PyErr_Format(PyExc_TypeError,
                 "warm must be a dict of worker name -> settings (True, False or a dict), "
                 "not %.100s",
                 Py_TYPE(value)->tp_name);
    return -1;
  }
  Py_ssize_t pos = 0;
  PyObject *k, *v;
  while (PyDict_Next(value, &pos, &k, &v)) {
    if (mvpy_warm_entry(cfg, k, v) < 0) {
      mv_config_clear_warm(cfg);
      return -1;
    }
  }
  return 0;
}

static int mvpy_config_item(mv_config_t *cfg, const char *key, PyObject *value) {
  if (strcmp(key, "workers_path") == 0) return mvpy_set_path(&cfg->workers_path, value, key);
  if (strcmp(key, "python") == 0) return mvpy_set_path(&cfg->python, value, key);
  if (strcmp(key, "node") == 0) return mvpy_set_path(&cfg->node, value, key);
  if (strcmp(key, "php") == 0) return mvpy_set_path(&cfg->php, value, key);
  if (strcmp(key, "runtime_dir") == 0) return mvpy_set_path(&cfg->runtime_dir, value, key);
  if (strcmp(key, "namespace") == 0) return mvpy_set_namespace(cfg, value);
  if (strcmp(key, "env") == 0) return mvpy_set_env(cfg, value);
  if (strcmp(key, "warm") == 0) return mvpy_config_set_warm(cfg, value);
  /* None for the numeric options means: the core's default. */
  if (value == Py_None) {
    if (strcmp(key, "timeout") == 0 || strcmp(key, "kill_grace") == 0 ||
        strcmp(key, "max_output") == 0 || strcmp(key, "containment") == 0 ||
        strcmp(key, "inherit_env") == 0)
      return 0;
  }
  if (strcmp(key, "timeout") == 0) return mvpy_set_seconds(&cfg->timeout, value, key);
  if (strcmp(key, "kill_grace") == 0) return mvpy_set_seconds(&cfg->kill_grace, value, key);
  if (strcmp(key, "max_output") == 0) return mvpy_set_size(&cfg->max_output, value, key);
  if (strcmp(key, "containment") == 0) return mvpy_set_containment(&cfg->containment, value);
  if (strcmp(key, "inherit_env") == 0) return mvpy_set_bool(&cfg->inherit_env, value, key);
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
