/*
 * Warm workers (API.md §1): a worker whose directory holds multiverse.json
 * with {"warm": {...}}, or that is named under configure()'s "warm" option,
 * is started once and reused. MultiWorker::run()/runMany() do not change:
 * a call to a warm worker becomes a request to the worker's pool (core
 * mv_pool_t), whose task ends like a cold worker's.
 *
 * This file decides which workers are warm and with which settings:
 * configure()'s "warm" option (per request, like every configure() value)
 * first, then the worker's multiverse.json. The pools themselves belong to
 * the process and outlive the request (warm_pools.c).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"

#include "php_multiverse.h"

void mvphp_warm_request_shutdown(void) {
  zval_ptr_dtor(&MVPHP_G(warm_config));
  ZVAL_UNDEF(&MVPHP_G(warm_config));
}

/* configure() --------------------------------------------------------------- */

static zend_result mvphp_warm_number(zval *v, const char *worker, const char *key, double min,
                                     int integer, double *out) {
  ZVAL_DEREF(v);
  if (Z_TYPE_P(v) == IS_LONG) {
    *out = (double)Z_LVAL_P(v);
  } else if (Z_TYPE_P(v) == IS_DOUBLE && !integer) {
    *out = Z_DVAL_P(v);
  } else {
    zend_argument_type_error(1, "option \"warm\": \"%s\" of worker \"%s\" must be of type %s, %s given",
                             key, worker, integer ? "int" : "float", zend_zval_type_name(v));
    return FAILURE;
  }
  if (!(*out >= min) || *out > 1e9) {
    zend_argument_value_error(1, "option \"warm\": \"%s\" of worker \"%s\" must be between %g and 1e9",
                              key, worker, min);
    return FAILURE;
  }
  return SUCCESS;
}

/* One worker's settings: true (defaults), false (never warm), or an array
 * of processes / max_requests / idle_timeout. Normalised into `out`. */
static zend_result mvphp_warm_entry(const char *worker, zval *v, zval *out) {
  ZVAL_DEREF(v);
  if (Z_TYPE_P(v) == IS_FALSE) {
    ZVAL_FALSE(out);
    return SUCCESS;
  }
  double procs = 1, maxreq = 0, idle = 0;
  if (Z_TYPE_P(v) == IS_ARRAY) {
    zend_string *k;
    zval *e;
    ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL_P(v), k, e) {
      if (k && zend_string_equals_literal(k, "processes")) {
        if (mvphp_warm_number(e, worker, "processes", 1, 1, &procs) == FAILURE) return FAILURE;
      } else if (k && zend_string_equals_literal(k, "max_requests")) {
        if (mvphp_warm_number(e, worker, "max_requests", 0, 1, &maxreq) == FAILURE) return FAILURE;
      } else if (k && zend_string_equals_literal(k, "idle_timeout")) {
        if (mvphp_warm_number(e, worker, "idle_timeout", 0, 0, &idle) == FAILURE) return FAILURE;
      } else {
        zend_argument_value_error(1, "option \"warm\": worker \"%s\" has unknown setting \"%s\" "
                                  "(known: processes, max_requests, idle_timeout)",
                                  worker, k ? ZSTR_VAL(k) : "(integer key)");
        return FAILURE;
      }
    } ZEND_HASH_FOREACH_END();
  } else if (Z_TYPE_P(v) != IS_TRUE) {
    zend_argument_type_error(1, "option \"warm\": worker \"%s\" must be array|bool, %s given",
                             worker, zend_zval_type_name(v));
    return FAILURE;
  }
  array_init_size(out, 3);
  add_assoc_long(out, "processes", (zend_long)procs);
  add_assoc_long(out, "max_requests", (zend_long)maxreq);
  add_assoc_double(out, "idle_timeout", idle);
  return SUCCESS;
}

zend_result mvphp_warm_check(zval *option, zval *normalised) {
  ZVAL_DEREF(option);
  ZVAL_UNDEF(normalised);
  if (Z_TYPE_P(option) != IS_ARRAY) {
    zend_argument_type_error(1, "option \"warm\" must be of type ?array (worker => settings), %s given",
                             zend_zval_type_name(option));
    return FAILURE;
  }
  array_init(normalised);
  zend_string *name;
  zend_ulong idx;
  zval *v;
  ZEND_HASH_FOREACH_KEY_VAL(Z_ARRVAL_P(option), idx, name, v) {
    if (name == NULL || mv_validate_worker_name(ZSTR_VAL(name)) < 0 ||
        strlen(ZSTR_VAL(name)) != ZSTR_LEN(name)) {
      zend_string *shown = name ? mvphp_printable(ZSTR_VAL(name), ZSTR_LEN(name), 64)
                                : zend_ulong_to_str(idx);
      zend_argument_value_error(1, "option \"warm\" must map worker names to settings, got key \"%s\"",
                                ZSTR_VAL(shown));
      zend_string_release(shown);
      goto fail;
    }
    zval entry;
    if (mvphp_warm_entry(ZSTR_VAL(name), v, &entry) == FAILURE) goto fail;
    zend_hash_update(Z_ARRVAL_P(normalised), name, &entry);
  } ZEND_HASH_FOREACH_END();
  return SUCCESS;
fail:
  zval_ptr_dtor(normalised);
  ZVAL_UNDEF(normalised);
  return FAILURE;
}

void mvphp_warm_set(zval *normalised) {
  zval_ptr_dtor(&MVPHP_G(warm_config));
  if (normalised) ZVAL_COPY_VALUE(&MVPHP_G(warm_config), normalised);
  else ZVAL_UNDEF(&MVPHP_G(warm_config));
}

void mvphp_warm_to_array(zval *arr) {
  if (Z_TYPE(MVPHP_G(warm_config)) == IS_ARRAY) {
    Z_ADDREF(MVPHP_G(warm_config));
    add_assoc_zval(arr, "warm", &MVPHP_G(warm_config));
  } else {
    zval empty;
    array_init(&empty);
    add_assoc_zval(arr, "warm", &empty);
  }
}

/* Calls ------------------------------------------------------------------------ */

/* 1 and *out filled if `name` is warm, 0 if cold, negative (mv_last_error)
 * if its multiverse.json is malformed. */
static int mvphp_warm_settings(const mv_config_t *cfg, const char *name, mv_warm_t *out) {
  memset(out, 0, sizeof(*out));
  if (Z_TYPE(MVPHP_G(warm_config)) == IS_ARRAY) {
    zval *e = zend_hash_str_find(Z_ARRVAL(MVPHP_G(warm_config)), name, strlen(name));
    if (e && Z_TYPE_P(e) == IS_FALSE) return 0;
    if (e && Z_TYPE_P(e) == IS_ARRAY) {
      out->processes = (int)zval_get_long(zend_hash_str_find(Z_ARRVAL_P(e), "processes", 9));
      out->max_requests = (int)zval_get_long(zend_hash_str_find(Z_ARRVAL_P(e), "max_requests", 12));
      out->idle_timeout = zval_get_double(zend_hash_str_find(Z_ARRVAL_P(e), "idle_timeout", 12));
      return 1;
    }
  }
  /* The worker's own multiverse.json. A worker that cannot be resolved is
   * left to the cold path, which reports why. */
  mv_worker_t w;
  if (mv_worker_resolve(cfg, name, &w) < 0) return 0;
  int r = w.warm_config ? mv_warm_parse(w.warm_config, out) : 0;
  mv_worker_dispose(&w);
  return r;
}

int mvphp_warm_pool(mvphp_loop_t *lw, const mv_config_t *cfg, const char *name,
                    mv_pool_t **out) {
  *out = NULL;
  mv_warm_t warm;
  int r = mvphp_warm_settings(cfg, name, &warm);
  if (r <= 0) return r;
  r = mvphp_warm_pools_get(lw, cfg, name, &warm, out);
  return r < 0 ? r : 1;
}
