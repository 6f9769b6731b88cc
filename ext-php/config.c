/*
 * Configuration: the INI settings (multiverse.*) are the base, and
 * MultiWorker::configure() overrides them for the rest of the request.
 * configure()'s "warm" option (worker => warm settings) is kept by warm.c.
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
  MVPHP_OPT_ENV = 1u << 9
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
}

void mvphp_config_request_shutdown(void) {
  mv_config_dispose(&MVPHP_G(overrides));
  mv_config_init(&MVPHP_G(overrides));
  MVPHP_G(override_mask) = 0;
}

int mvphp_config_runtime_dir(char *buf, size_t size) {
  mv_config_t cfg;
  mvphp_config_build(&cfg);
  int r = mv_config_runtime_dir(&cfg, buf, size);
  mv_config_dispose(&cfg);
  return r;
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
};

#define MVPHP_KNOWN_OPTIONS                                                                  \
  "workers_path, timeout, kill_grace, python, node, php, max_output, runtime_dir, "          \
  "inherit_env, env, warm"

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
      char **field = bit == MVPHP_OPT_WORKERS_PATH ? &next->workers_path
                     : bit == MVPHP_OPT_PYTHON     ? &next->python
                     : bit == MVPHP_OPT_NODE       ? &next->node
                     : bit == MVPHP_OPT_PHP        ? &next->php
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
  /* "warm": worker => settings (warm.c); applied with the rest. */
  zval warm;
  int warm_given = 0;
  ZVAL_UNDEF(&warm);
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
    if (zend_string_equals_literal(key, "warm")) {
      zval_ptr_dtor(&warm);
      ZVAL_UNDEF(&warm);
      warm_given = 1;
      if (Z_TYPE_P(v) != IS_NULL && mvphp_warm_check(v, &warm) == FAILURE) goto fail;
      continue;
    }
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
    if (mvphp_option_apply(&next, bit, ZSTR_VAL(key), v) == FAILURE) goto fail;
    mask |= bit;
    reset &= ~bit;
  } ZEND_HASH_FOREACH_END();
  mask &= ~reset;
  mv_config_dispose(&MVPHP_G(overrides));
  MVPHP_G(overrides) = next;
  MVPHP_G(override_mask) = mask;
  if (warm_given) mvphp_warm_set(Z_ISUNDEF(warm) ? NULL : &warm);
  return;
fail:
  zval_ptr_dtor(&warm);
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
  mvphp_warm_to_array(out);
  mv_config_dispose(&cfg);
}
