/*
 * Configuration: the INI settings (multiverse.*) are the base, and
 * MultiWorker::configure() overrides them for the rest of the request.
 * configure()'s "warm" option (worker => warm settings) goes into the
 * configuration too (mv_config_set_warm): the core checks the settings and,
 * with each worker's multiverse.json, decides which workers are warm.
 * The worker's environment: inherit_env comes from multiverse.inherit_env
 * unless configure() sets it; env (name => value) exists only as a
 * configure() option, since an INI string could not hold a map (and
 * secrets do not belong in php.ini). Neither applies to forked closures,
 * which are copies of this process, environment included.
 * The effective mv_config_t is built on demand (a handful of string
 * copies): that way ini_set() between calls is honoured, and nothing set by
 * configure() in one FPM request leaks into the next.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <math.h>

#include "php.h"
#include "zend_exceptions.h"

#include "php_multiverse.h"

enum {
  MVPHP_OPT_WORKERS_PATH = 1u << 0,
  MVPHP_OPT_TIMEOUT = 1u << 1,
  MVPHP_OPT_KILL_GRACE = 1u << 2,
  MVPHP_OPT_PYTHON = 1u << 3,
  MVPHP_OPT_NODE = 1u << 4,
  MVPHP_OPT_PHP = 1u << 5,
  MVPHP_OPT_MAX_OUTPUT = 1u << 6,
  MVPHP_OPT_RUNTIME_DIR = 1u << 7,
  MVPHP_OPT_INHERIT_ENV = 1u << 8,
  MVPHP_OPT_ENV = 1u << 9,
  MVPHP_OPT_WARM = 1u << 10,
  MVPHP_OPT_NAMESPACE = 1u << 11
};

/* An empty INI string means "not set" (the core's default applies). */
static const char *mvphp_ini_str(const char *s) { return s && *s ? s : NULL; }

void mvphp_config_build(mv_config_t *out) {
  const mv_config_t *ov = &MVPHP_G(overrides);
  unsigned m = MVPHP_G(override_mask);
  mv_config_init(out);
  mv_config_set_string(&out->workers_path, (m & MVPHP_OPT_WORKERS_PATH)
                                               ? ov->workers_path
                                               : mvphp_ini_str(MVPHP_G(ini_workers_path)));
  mv_config_set_string(&out->python,
                       (m & MVPHP_OPT_PYTHON) ? ov->python : mvphp_ini_str(MVPHP_G(ini_python)));
  mv_config_set_string(&out->node,
                       (m & MVPHP_OPT_NODE) ? ov->node : mvphp_ini_str(MVPHP_G(ini_node)));
  mv_config_set_string(&out->php,
                       (m & MVPHP_OPT_PHP) ? ov->php : mvphp_ini_str(MVPHP_G(ini_php)));
  mv_config_set_string(&out->runtime_dir, (m & MVPHP_OPT_RUNTIME_DIR)
                                              ? ov->runtime_dir
                                              : mvphp_ini_str(MVPHP_G(ini_runtime_dir)));
  mv_config_set_string(&out->ns, (m & MVPHP_OPT_NAMESPACE)
                                     ? ov->ns
                                     : mvphp_ini_str(MVPHP_G(ini_namespace)));
  out->timeout = (m & MVPHP_OPT_TIMEOUT) ? ov->timeout : MVPHP_G(ini_timeout);
  out->kill_grace = (m & MVPHP_OPT_KILL_GRACE) ? ov->kill_grace : MVPHP_G(ini_kill_grace);
  out->max_output =
      (m & MVPHP_OPT_MAX_OUTPUT) ? ov->max_output : (size_t)MVPHP_G(ini_max_output);
  out->inherit_env = (m & MVPHP_OPT_INHERIT_ENV) ? ov->inherit_env : MVPHP_G(ini_inherit_env);
  /* env has no INI setting: configure()'s entries, if any. They were
   * validated when set. */
  for (char **e = (m & MVPHP_OPT_ENV) ? ov->env : NULL; e && *e; e++) {
    const char *eq = strchr(*e, '=');
    char *name = estrndup(*e, (size_t)(eq - *e));
    mv_config_set_env(out, name, eq + 1);
    efree(name);
  }
  /* warm has none either, for the same reason; validated when set. */
  for (size_t i = 0; (m & MVPHP_OPT_WARM) && i < ov->nwarm; i++)
    mv_config_set_warm(out, ov->warm[i].name, ov->warm[i].warm ? &ov->warm[i].settings : NULL);
}

void mvphp_config_request_shutdown(void) {
  mv_config_dispose(&MVPHP_G(overrides));
  mv_config_init(&MVPHP_G(overrides));
  MVPHP_G(override_mask) = 0;
}

typedef struct {
  const char *name;
  unsigned bit;
} mvphp_option_t;

static const mvphp_option_t mvphp_options[] = {
  {"workers_path", MVPHP_OPT_WORKERS_PATH}, {"timeout", MVPHP_OPT_TIMEOUT},
  {"kill_grace", MVPHP_OPT_KILL_GRACE},     {"python", MVPHP_OPT_PYTHON},
  {"node", MVPHP_OPT_NODE},                 {"php", MVPHP_OPT_PHP},
  {"max_output", MVPHP_OPT_MAX_OUTPUT},     {"runtime_dir", MVPHP_OPT_RUNTIME_DIR},
  {"inherit_env", MVPHP_OPT_INHERIT_ENV},   {"env", MVPHP_OPT_ENV},
  {"warm", MVPHP_OPT_WARM},                 {"namespace", MVPHP_OPT_NAMESPACE},
};

#define MVPHP_KNOWN_OPTIONS                                                                  \
  "workers_path, timeout, kill_grace, python, node, php, max_output, runtime_dir, "          \
  "inherit_env, env, warm, namespace"

static void mvphp_option_type_error(const char *key, const char *type, zval *v) {
  zend_argument_type_error(1, "option \"%s\" must be of type %s, %s given", key, type,
                           zend_zval_type_name(v));
}

/* The "env" option: variable name => string value, replacing the entries
 * of an earlier configure(). Every entry is checked here, so a mistake is
 * reported by the configure() that made it, naming the variable (escaped:
 * a name may hold a NUL), rather than by some later call. */
static zend_result mvphp_option_env(mv_config_t *next, zval *v) {
  if (Z_TYPE_P(v) != IS_ARRAY) {
    mvphp_option_type_error("env", "?array (variable name => string)", v);
    return FAILURE;
  }
  mv_config_clear_env(next);
  zend_string *name;
  zend_ulong idx;
  zval *value;
  ZEND_HASH_FOREACH_KEY_VAL(Z_ARRVAL_P(v), idx, name, value) {
    zend_string *shown = name ? mvphp_printable(ZSTR_VAL(name), ZSTR_LEN(name), 64)
                              : zend_ulong_to_str(idx);
    zend_result ok = FAILURE;
    ZVAL_DEREF(value);
    if (name == NULL || ZSTR_LEN(name) != strlen(ZSTR_VAL(name)) ||
        mv_check_env_name(ZSTR_VAL(name)) < 0) {
      zend_argument_value_error(1, "option \"env\": invalid variable name \"%s\" (letters, "
                                "digits and '_', not starting with a digit, at most 255 bytes)",
                                ZSTR_VAL(shown));
    } else if (Z_TYPE_P(value) != IS_STRING) {
      zend_argument_type_error(1, "option \"env\": variable \"%s\" must be of type string, %s "
                               "given", ZSTR_VAL(shown), zend_zval_type_name(value));
    } else if (Z_STRLEN_P(value) != strlen(Z_STRVAL_P(value))) {
      zend_argument_value_error(1, "option \"env\": the value of variable \"%s\" must not "
                                "contain NUL bytes", ZSTR_VAL(shown));
    } else if (mv_config_set_env(next, ZSTR_VAL(name), Z_STRVAL_P(value)) < 0) {
      zend_argument_value_error(1, "option \"env\": %s", mv_last_error());
    } else {
      ok = SUCCESS;
    }
    zend_string_release(shown);
    if (ok == FAILURE) return FAILURE;
  } ZEND_HASH_FOREACH_END();
  return SUCCESS;
}

/* One warm setting of worker `worker`: an int for processes and
 * max_requests (`integer`), else a number. Only the type, and for an int
 * whether the core's C int can hold it, are checked here: the ranges are
 * the core's, which mv_config_set_warm() checks for every binding alike. */
static zend_result mvphp_warm_number(zval *v, const char *worker, const char *key, bool integer,
                                     double *out) {
  ZVAL_DEREF(v);
  if (Z_TYPE_P(v) == IS_DOUBLE && !integer) {
    *out = Z_DVAL_P(v);
    return SUCCESS;
  }
  if (Z_TYPE_P(v) != IS_LONG) {
    zend_argument_type_error(1, "option \"warm\": \"%s\" of worker \"%s\" must be of type %s, %s given",
                             key, worker, integer ? "int" : "float", zend_zval_type_name(v));
    return FAILURE;
  }
  if (integer && (Z_LVAL_P(v) < INT_MIN || Z_LVAL_P(v) > INT_MAX)) {
    zend_argument_value_error(1, "option \"warm\": \"%s\" of worker \"%s\" is out of range, got "
                              ZEND_LONG_FMT, key, worker, Z_LVAL_P(v));
    return FAILURE;
  }
  *out = (double)Z_LVAL_P(v);
  return SUCCESS;
}

/* One worker of the "warm" option: true (the defaults), false (cold,
 * whatever its multiverse.json says), or an array of processes /
 * max_requests / idle_timeout / greet_timeout. Stored into `next` by the core, which
 * rejects out-of-range settings with a message naming the worker and the
 * setting. */
static zend_result mvphp_warm_entry(mv_config_t *next, const char *worker, zval *v) {
  ZVAL_DEREF(v);
  mv_warm_t w = {1, 0, 0, 0};
  if (Z_TYPE_P(v) == IS_ARRAY) {
    zend_string *k;
    zval *e;
    ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL_P(v), k, e) {
      double d; /* an int's value fits: checked by mvphp_warm_number() */
      if (k && zend_string_equals_literal(k, "processes")) {
        if (mvphp_warm_number(e, worker, "processes", true, &d) == FAILURE) return FAILURE;
        w.processes = (int)d;
      } else if (k && zend_string_equals_literal(k, "max_requests")) {
        if (mvphp_warm_number(e, worker, "max_requests", true, &d) == FAILURE) return FAILURE;
        w.max_requests = (int)d;
      } else if (k && zend_string_equals_literal(k, "idle_timeout")) {
        if (mvphp_warm_number(e, worker, "idle_timeout", false, &w.idle_timeout) == FAILURE)
          return FAILURE;
      } else if (k && zend_string_equals_literal(k, "greet_timeout")) {
        if (mvphp_warm_number(e, worker, "greet_timeout", false, &w.greet_timeout) == FAILURE)
          return FAILURE;
      } else {
        zend_argument_value_error(1, "option \"warm\": worker \"%s\" has unknown setting \"%s\" "
                                  "(known: processes, max_requests, idle_timeout, "
                                  "greet_timeout)",
                                  worker, k ? ZSTR_VAL(k) : "(integer key)");
        return FAILURE;
      }
    } ZEND_HASH_FOREACH_END();
  } else if (Z_TYPE_P(v) != IS_TRUE && Z_TYPE_P(v) != IS_FALSE) {
    zend_argument_type_error(1, "option \"warm\": worker \"%s\" must be array|bool, %s given",
                             worker, zend_zval_type_name(v));
    return FAILURE;
  }
  if (mv_config_set_warm(next, worker, Z_TYPE_P(v) == IS_FALSE ? NULL : &w) < 0) {
    zend_argument_value_error(1, "option \"warm\" is invalid: %s", mv_last_error());
    return FAILURE;
  }
  return SUCCESS;
}

/* The "warm" option: worker name => settings, replacing the map of an
 * earlier configure(). The keys are checked here, where a name holding a
 * NUL can still be shown (escaped) and an integer key told apart. */
static zend_result mvphp_option_warm(mv_config_t *next, zval *v) {
  if (Z_TYPE_P(v) != IS_ARRAY) {
    mvphp_option_type_error("warm", "?array (worker => settings)", v);
    return FAILURE;
  }
  mv_config_clear_warm(next);
  zend_string *name;
  zend_ulong idx;
  zval *e;
  ZEND_HASH_FOREACH_KEY_VAL(Z_ARRVAL_P(v), idx, name, e) {
    if (name == NULL || strlen(ZSTR_VAL(name)) != ZSTR_LEN(name) ||
        mv_validate_worker_name(ZSTR_VAL(name)) < 0) {
      zend_string *shown = name ? mvphp_printable(ZSTR_VAL(name), ZSTR_LEN(name), 64)
                                : zend_ulong_to_str(idx);
      zend_argument_value_error(1, "option \"warm\" must map worker names to settings, got key \"%s\"",
                                ZSTR_VAL(shown));
      zend_string_release(shown);
      return FAILURE;
    }
    if (mvphp_warm_entry(next, ZSTR_VAL(name), e) == FAILURE) return FAILURE;
  } ZEND_HASH_FOREACH_END();
  return SUCCESS;
}

/* Check one option and store it into `next`. */
static zend_result mvphp_option_apply(mv_config_t *next, unsigned bit, const char *key,
                                      zval *v) {
  ZVAL_DEREF(v);
  switch (bit) {
    case MVPHP_OPT_INHERIT_ENV:
      if (Z_TYPE_P(v) != IS_TRUE && Z_TYPE_P(v) != IS_FALSE) {
        mvphp_option_type_error(key, "?bool", v);
        return FAILURE;
      }
      next->inherit_env = Z_TYPE_P(v) == IS_TRUE;
      return SUCCESS;
    case MVPHP_OPT_ENV:
      return mvphp_option_env(next, v);
    case MVPHP_OPT_WARM:
      return mvphp_option_warm(next, v);
    case MVPHP_OPT_TIMEOUT:
    case MVPHP_OPT_KILL_GRACE: {
      double d;
      if (Z_TYPE_P(v) == IS_LONG) d = (double)Z_LVAL_P(v);
      else if (Z_TYPE_P(v) == IS_DOUBLE) d = Z_DVAL_P(v);
      else {
        mvphp_option_type_error(key, "?float", v);
        return FAILURE;
      }
      if (mv_check_timeout(d, key) < 0) {
        zend_argument_value_error(1, "option \"%s\" is invalid: %s", key, mv_last_error());
        return FAILURE;
      }
      if (bit == MVPHP_OPT_TIMEOUT) next->timeout = d;
      else next->kill_grace = d;
      return SUCCESS;
    }
    case MVPHP_OPT_MAX_OUTPUT:
      if (Z_TYPE_P(v) != IS_LONG) {
        mvphp_option_type_error(key, "?int", v);
        return FAILURE;
      }
      if (Z_LVAL_P(v) <= 0) {
        zend_argument_value_error(1, "option \"max_output\" must be > 0, got " ZEND_LONG_FMT,
                                  Z_LVAL_P(v));
        return FAILURE;
      }
      next->max_output = (size_t)Z_LVAL_P(v);
      return SUCCESS;
    default: {
      if (Z_TYPE_P(v) != IS_STRING) {
        mvphp_option_type_error(key, "?string", v);
        return FAILURE;
      }
      const char *s = Z_STRVAL_P(v);
      if (Z_STRLEN_P(v) == 0 || strlen(s) != Z_STRLEN_P(v)) {
        zend_argument_value_error(1, "option \"%s\" must be a non-empty string without NUL bytes",
                                  key);
        return FAILURE;
      }
      if (bit == MVPHP_OPT_RUNTIME_DIR && s[0] != '/') {
        zend_argument_value_error(1, "option \"runtime_dir\" must be an absolute path, got \"%s\"",
                                  s);
        return FAILURE;
      }
      if (bit == MVPHP_OPT_NAMESPACE && mv_check_namespace(s) < 0) {
        zend_argument_value_error(1, "option \"namespace\" is invalid: %s", mv_last_error());
        return FAILURE;
      }
      char **field = bit == MVPHP_OPT_WORKERS_PATH ? &next->workers_path
                     : bit == MVPHP_OPT_PYTHON     ? &next->python
                     : bit == MVPHP_OPT_NODE       ? &next->node
                     : bit == MVPHP_OPT_PHP        ? &next->php
                     : bit == MVPHP_OPT_NAMESPACE  ? &next->ns
                                                   : &next->runtime_dir;
      mv_config_set_string(field, s);
      return SUCCESS;
    }
  }
}

/* All options are checked before any is applied: configure() either
 * applies everything or nothing. */
void mvphp_config_configure(HashTable *options) {
  mv_config_t next;
  if (mv_config_copy(&next, &MVPHP_G(overrides)) < 0) {
    zend_throw_error(NULL, "out of memory");
    return;
  }
  unsigned mask = MVPHP_G(override_mask), reset = 0;
  zend_string *key;
  zend_ulong idx;
  zval *v;
  ZEND_HASH_FOREACH_KEY_VAL(options, idx, key, v) {
    if (key == NULL) {
      zend_argument_value_error(1, "must be an array of option => value, got integer key "
                                ZEND_ULONG_FMT " (known options: " MVPHP_KNOWN_OPTIONS ")", idx);
      goto fail;
    }
    ZVAL_DEREF(v);
    unsigned bit = 0;
    for (size_t i = 0; bit == 0 && i < sizeof(mvphp_options) / sizeof(mvphp_options[0]); i++) {
      if (zend_string_equals_cstr(key, mvphp_options[i].name, strlen(mvphp_options[i].name)))
        bit = mvphp_options[i].bit;
    }
    if (bit == 0) {
      zend_argument_value_error(1, "contains unknown option \"%s\" (known options: "
                                MVPHP_KNOWN_OPTIONS ")", ZSTR_VAL(key));
      goto fail;
    }
    /* null drops the override: the INI value applies again. */
    if (Z_TYPE_P(v) == IS_NULL) {
      reset |= bit;
      continue;
    }
    /* The server's settings, when it locks them (hosting.c). */
    if ((bit & (MVPHP_OPT_PYTHON | MVPHP_OPT_NODE | MVPHP_OPT_PHP | MVPHP_OPT_RUNTIME_DIR)) &&
        mvphp_hosting_configure(ZSTR_VAL(key)) == FAILURE)
      goto fail;
    if (mvphp_option_apply(&next, bit, ZSTR_VAL(key), v) == FAILURE) goto fail;
    mask |= bit;
    reset &= ~bit;
  } ZEND_HASH_FOREACH_END();
  mask &= ~reset;
  mv_config_dispose(&MVPHP_G(overrides));
  MVPHP_G(overrides) = next;
  MVPHP_G(override_mask) = mask;
  return;
fail:
  mv_config_dispose(&next);
}

static void mvphp_add_str(zval *arr, const char *key, const char *v) {
  if (v) add_assoc_string(arr, key, v);
  else add_assoc_null(arr, key);
}

/* The effective configuration. String options that are not set are null
 * (the documented default applies); runtime_dir is the directory actually
 * used. */
void mvphp_config_to_array(zval *out) {
  mv_config_t cfg;
  mvphp_config_build(&cfg);
  array_init(out);
  mvphp_add_str(out, "workers_path", cfg.workers_path);
  add_assoc_double(out, "timeout", cfg.timeout);
  add_assoc_double(out, "kill_grace", cfg.kill_grace);
  mvphp_add_str(out, "python", cfg.python);
  mvphp_add_str(out, "node", cfg.node);
  mvphp_add_str(out, "php", cfg.php);
  add_assoc_long(out, "max_output", (zend_long)cfg.max_output);
  add_assoc_bool(out, "inherit_env", cfg.inherit_env != 0);
  zval env;
  array_init(&env);
  for (char **e = cfg.env; e && *e; e++) {
    const char *eq = strchr(*e, '=');
    add_assoc_stringl_ex(&env, *e, (size_t)(eq - *e), (char *)eq + 1, strlen(eq + 1));
  }
  add_assoc_zval(out, "env", &env);
  char dir[1024];
  if (mv_config_runtime_dir(&cfg, dir, sizeof(dir)) == 0) add_assoc_string(out, "runtime_dir", dir);
  else mvphp_add_str(out, "runtime_dir", cfg.runtime_dir);
  add_assoc_string(out, "namespace", mv_config_namespace(&cfg));
  /* The "warm" option as configured: the defaults filled in, false kept
   * (the workers' multiverse.json files are not part of it). */
  zval warm;
  array_init(&warm);
  for (size_t i = 0; i < cfg.nwarm; i++) {
    const mv_warm_entry_t *e = &cfg.warm[i];
    zval w;
    if (e->warm) {
      array_init_size(&w, 4);
      add_assoc_long(&w, "processes", e->settings.processes);
      add_assoc_long(&w, "max_requests", e->settings.max_requests);
      add_assoc_double(&w, "idle_timeout", e->settings.idle_timeout);
      /* 0 means the default: shown as the seconds it stands for. */
      add_assoc_double(&w, "greet_timeout", e->settings.greet_timeout > 0
                                                ? e->settings.greet_timeout
                                                : MV_DEFAULT_GREET_TIMEOUT);
    } else {
      ZVAL_FALSE(&w);
    }
    add_assoc_zval(&warm, e->name, &w);
  }
  add_assoc_zval(out, "warm", &warm);
  mv_config_dispose(&cfg);
}
