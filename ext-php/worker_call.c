/*
 * MultiWorker: run workers (API.md §1) and manage the registry of running
 * ones.
 *
 * Every argument is checked before anything is spawned: the worker name
 * (no paths, no shell), the timeout, the payload's JSON encoding. run() is
 * runMany() with one call; runMany() hands every call to MultiWorker's loop
 * at once, whose limit keeps up to $concurrency running (job.c), and, when
 * calls fail, throws the first failure by key order only after every call
 * has ended, with getErrors() holding each failed call's exception under
 * its key. A `progress` callable is told (done, total) as calls end
 * (job.c). Calls to warm workers go to their pool, which the core keeps in
 * MultiWorker's loop (mv_loop_warm_pool: the configuration's "warm"
 * option, else the worker's multiverse.json, decides), and are otherwise
 * the same.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <time.h>

#include "php.h"
#include "zend_exceptions.h"

#include "php_multiverse.h"

typedef struct {
  zend_string *name;
  zend_string *json;
  double timeout;            /* < 0: the configured timeout */
  mvphp_job_t job;
} mvphp_call_t;

typedef struct {
  mvphp_call_t *calls;
  mv_config_t *cfg;
  mvphp_loop_t *lw;
} mvphp_calls_ctx;

/* Worker names as API.md §1 defines them; checked here to name the
 * argument in the error, and again by the core. */
static zend_result mvphp_check_worker_name(zend_string *name, uint32_t arg_num,
                                           const char *entry) {
  const char *why = NULL;
  if (ZSTR_LEN(name) == 0) why = "must not be empty";
  else if (ZSTR_LEN(name) > 255) why = "must be at most 255 bytes long";
  else if (strlen(ZSTR_VAL(name)) != ZSTR_LEN(name) || mv_validate_worker_name(ZSTR_VAL(name)) < 0)
    why = "must contain only letters, digits, '_' and '-' (no paths)";
  if (why == NULL) return SUCCESS;
  zend_string *shown = mvphp_printable(ZSTR_VAL(name), ZSTR_LEN(name), 64);
  if (entry)
    zend_argument_value_error(arg_num, "entry %s: worker name %s, got \"%s\"", entry, why,
                              ZSTR_VAL(shown));
  else
    zend_argument_value_error(arg_num, "%s, got \"%s\"", why, ZSTR_VAL(shown));
  zend_string_release(shown);
  return FAILURE;
}

/* Validate and encode one call. */
static zend_result mvphp_call_prepare(mvphp_call_t *c, zend_string *name, zval *payload,
                                      double timeout, uint32_t name_arg, uint32_t payload_arg,
                                      const char *entry) {
  memset(c, 0, sizeof(*c));
  mvphp_job_init(&c->job, MVPHP_JOB_WORKER);
  c->timeout = timeout;
  if (mvphp_check_worker_name(name, name_arg, entry) == FAILURE) return FAILURE;
  zval empty, stripped;
  if (payload == NULL) {
    ZVAL_EMPTY_ARRAY(&empty);
    payload = &empty;
  }
  if (mvphp_payload_take_timeout(payload, &stripped, &c->timeout, payload_arg, entry) == FAILURE)
    return FAILURE;
  c->json = mvphp_payload_encode(Z_ISUNDEF(stripped) ? payload : &stripped, payload_arg, entry);
  zval_ptr_dtor(&stripped);
  if (c->json == NULL) return FAILURE;
  c->name = zend_string_copy(name);
  return SUCCESS;
}

static void mvphp_call_dispose(mvphp_call_t *c) {
  if (c->name) zend_string_release(c->name);
  if (c->json) zend_string_release(c->json);
  c->name = c->json = NULL;
  mvphp_job_dispose(&c->job);
}

static void mvphp_call_start(void *ctx, size_t i) {
  mvphp_calls_ctx *x = ctx;
  mvphp_call_t *c = &x->calls[i];
  mv_pool_t *pool = NULL;
  mv_clear_error();
  int r = mv_loop_warm_pool(x->lw->loop, x->cfg, ZSTR_VAL(c->name), &pool);
  if (r > 0) x->lw->warm_pools = true;
  if (r < 0) {
    char *msg = estrdup(*mv_last_error() ? mv_last_error() : mv_strerror(r));
    mvphp_job_fail(&c->job, ZSTR_VAL(c->name), mvphp_worker_driver(x->cfg, ZSTR_VAL(c->name)), r,
                   msg);
    efree(msg);
    return;
  }
  /* The timeout is resolved here: a pool keeps the configuration it was
   * made with. */
  double timeout = c->timeout >= 0 ? c->timeout : x->cfg->timeout;
  mvphp_job_start_worker(&c->job, x->lw, x->cfg, ZSTR_VAL(c->name), c->json, timeout, pool);
}

/* open_basedir, before any call starts: it must hold workers_path, each
 * worker's entry file and the program run for it. A path outside stops
 * the whole batch here (exception thrown), before anything runs; a worker
 * that cannot be found (or whose interpreter is missing) fails alone, in
 * its turn, with the core's message. */
static zend_result mvphp_calls_check_paths(mvphp_call_t *calls, size_t n,
                                           const mv_config_t *cfg) {
  if (PG(open_basedir) == NULL || *PG(open_basedir) == '\0') return SUCCESS;
  if (mvphp_hosting_paths(cfg, NULL, NULL) == FAILURE) return FAILURE;
  for (size_t i = 0; i < n; i++) {
    mv_worker_t w;
    int r = mv_worker_resolve(cfg, ZSTR_VAL(calls[i].name), &w);
    zend_result ok = r == 0 ? mvphp_hosting_paths(cfg, ZSTR_VAL(calls[i].name), &w) : SUCCESS;
    mv_worker_dispose(&w);
    mv_clear_error();
    if (ok == FAILURE) return FAILURE;
  }
  return SUCCESS;
}

/* Run prepared calls; fills return_value (keys from `keys`, or the value of
 * the single call) or throws. */
static void mvphp_calls_execute(zval *return_value, mvphp_call_t *calls, size_t n, zval *keys,
                                size_t limit, mvphp_progress_t *progress) {
  mvphp_loop_t *lw = mvphp_worker_loop();
  if (lw == NULL) return;
  mv_config_t cfg;
  mvphp_config_build(&cfg);
  if (mvphp_calls_check_paths(calls, n, &cfg) == FAILURE) {
    mv_config_dispose(&cfg);
    return;
  }
  mvphp_job_t **jobs = safe_emalloc(n ? n : 1, sizeof(*jobs), 0);
  for (size_t i = 0; i < n; i++) jobs[i] = &calls[i].job;
  mvphp_calls_ctx ctx = {calls, &cfg, lw};
  zend_result r = mvphp_jobs_run(lw, jobs, n, limit, mvphp_call_start, &ctx, progress);
  mv_config_dispose(&cfg);
  if (r == SUCCESS && !mvphp_jobs_throw_first(jobs, n, keys, keys != NULL)) {
    if (keys == NULL) {
      ZVAL_COPY_VALUE(return_value, &calls[0].job.value);
      ZVAL_UNDEF(&calls[0].job.value);
    } else {
      array_init_size(return_value, (uint32_t)n);
      for (size_t i = 0; i < n; i++) {
        mvphp_array_put(return_value, zend_hash_index_find(Z_ARRVAL_P(keys), i),
                        &calls[i].job.value);
        ZVAL_UNDEF(&calls[i].job.value);
      }
    }
  }
  efree(jobs);
}

ZEND_METHOD(Multiverse_MultiWorker, run) {
  zend_string *worker;
  zval *payload = NULL;
  double timeout = -1;
  bool timeout_null = 1;
  ZEND_PARSE_PARAMETERS_START(1, 3)
    Z_PARAM_STR(worker)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY(payload)
    Z_PARAM_DOUBLE_OR_NULL(timeout, timeout_null)
  ZEND_PARSE_PARAMETERS_END();

  if (mvphp_hosting_spawn() == FAILURE) RETURN_THROWS();
  if (!timeout_null && mvphp_check_timeout_arg(timeout, 3) == FAILURE) RETURN_THROWS();
  mvphp_call_t call;
  if (mvphp_call_prepare(&call, worker, payload, timeout_null ? -1 : timeout, 1, 2, NULL) ==
      FAILURE) {
    mvphp_call_dispose(&call);
    RETURN_THROWS();
  }
  mvphp_calls_execute(return_value, &call, 1, NULL, 1, NULL);
  mvphp_call_dispose(&call);
}

/* "5" or "'name'" for messages about one entry of an array argument. */
static void mvphp_entry_label(char *buf, size_t size, zend_string *key, zend_ulong idx) {
  if (key) {
    zend_string *shown = mvphp_printable(ZSTR_VAL(key), ZSTR_LEN(key), 64);
    snprintf(buf, size, "'%s'", ZSTR_VAL(shown));
    zend_string_release(shown);
  } else {
    snprintf(buf, size, ZEND_ULONG_FMT, idx);
  }
}

ZEND_METHOD(Multiverse_MultiWorker, runMany) {
  HashTable *calls_ht;
  zend_long concurrency = 0;
  double timeout = -1;
  bool timeout_null = 1;
  zend_fcall_info pfci = empty_fcall_info;
  zend_fcall_info_cache pfcc = empty_fcall_info_cache;
  ZEND_PARSE_PARAMETERS_START(1, 4)
    Z_PARAM_ARRAY_HT(calls_ht)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(concurrency)
    Z_PARAM_DOUBLE_OR_NULL(timeout, timeout_null)
    Z_PARAM_FUNC_OR_NULL(pfci, pfcc)
  ZEND_PARSE_PARAMETERS_END();

  if (mvphp_hosting_spawn() == FAILURE) RETURN_THROWS();
  size_t limit;
  if (mvphp_concurrency_limit(&limit, concurrency, 2) == FAILURE) RETURN_THROWS();
  if (!timeout_null && mvphp_check_timeout_arg(timeout, 3) == FAILURE) RETURN_THROWS();
  size_t n = zend_hash_num_elements(calls_ht);
  if (n == 0) RETURN_EMPTY_ARRAY();

  mvphp_call_t *calls = safe_emalloc(n, sizeof(*calls), 0);
  zval keys;
  array_init_size(&keys, (uint32_t)n);
  size_t prepared = 0;
  zend_string *key;
  zend_ulong idx;
  zval *entry;
  int ok = 1;
  ZEND_HASH_FOREACH_KEY_VAL(calls_ht, idx, key, entry) {
    char label[300]; /* 64 bytes, each escaped in at most 4 */
    mvphp_entry_label(label, sizeof(label), key, idx);
    ZVAL_DEREF(entry);
    zval *w = NULL, *p = NULL;
    if (Z_TYPE_P(entry) == IS_ARRAY) {
      w = zend_hash_index_find_deref(Z_ARRVAL_P(entry), 0);
      p = zend_hash_index_find_deref(Z_ARRVAL_P(entry), 1);
    }
    if (w == NULL || Z_TYPE_P(w) != IS_STRING || (p && Z_TYPE_P(p) != IS_ARRAY)) {
      const char *what = Z_TYPE_P(entry) != IS_ARRAY ? "the entry is"
                         : w == NULL                 ? "no worker name given, the entry is"
                         : Z_TYPE_P(w) != IS_STRING  ? "the worker name is"
                                                     : "the payload is";
      zval *bad = Z_TYPE_P(entry) != IS_ARRAY || w == NULL ? entry
                  : Z_TYPE_P(w) != IS_STRING             ? w
                                                         : p;
      zend_argument_type_error(1, "entry %s must be [string $worker, array $payload], %s %s",
                               label, what, zend_zval_type_name(bad));
      ok = 0;
      break;
    }
    mvphp_call_t *c = &calls[prepared++];
    if (mvphp_call_prepare(c, Z_STR_P(w), p, timeout_null ? -1 : timeout, 1, 1, label) ==
        FAILURE) {
      ok = 0;
      break;
    }
    zval k;
    mvphp_key_zval(&k, key, idx);
    add_next_index_zval(&keys, &k);
  } ZEND_HASH_FOREACH_END();

  if (ok) {
    mvphp_progress_t progress;
    mvphp_calls_execute(return_value, calls, n, &keys, limit,
                        mvphp_progress_init(&progress, &pfci, &pfcc, NULL, n));
  }
  for (size_t i = 0; i < prepared; i++) mvphp_call_dispose(&calls[i]);
  efree(calls);
  zval_ptr_dtor(&keys);
}

/* The optional worker filter of clear()/running(). */
static zend_result mvphp_worker_filter(zend_string *worker) {
  return worker ? mvphp_check_worker_name(worker, 1, NULL) : SUCCESS;
}

ZEND_METHOD(Multiverse_MultiWorker, clear) {
  zend_string *worker = NULL;
  bool all = false;
  ZEND_PARSE_PARAMETERS_START(0, 2)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(worker)
    Z_PARAM_BOOL(all)
  ZEND_PARSE_PARAMETERS_END();
  if (mvphp_hosting_enabled() == FAILURE) RETURN_THROWS();
  if (mvphp_worker_filter(worker) == FAILURE) RETURN_THROWS();

  mv_config_t cfg;
  mvphp_config_build(&cfg);
  char dir[1024];
  int killed = 0, r = mv_config_runtime_dir(&cfg, dir, sizeof(dir));
  if (r == 0)
    r = mv_registry_clear(dir, all ? NULL : mv_config_namespace(&cfg),
                          worker ? ZSTR_VAL(worker) : NULL, cfg.kill_grace + MV_KILL_MARGIN,
                          &killed);
  mv_config_dispose(&cfg);
  if (r < 0) {
    mvphp_throw_code(mvphp_code_of(r, false), "", "clear() failed: %s", mv_last_error());
    RETURN_THROWS();
  }
  RETURN_LONG(killed);
}

ZEND_METHOD(Multiverse_MultiWorker, running) {
  zend_string *worker = NULL;
  bool all = false;
  ZEND_PARSE_PARAMETERS_START(0, 2)
    Z_PARAM_OPTIONAL
    Z_PARAM_STR_OR_NULL(worker)
    Z_PARAM_BOOL(all)
  ZEND_PARSE_PARAMETERS_END();
  if (mvphp_hosting_enabled() == FAILURE) RETURN_THROWS();
  if (mvphp_worker_filter(worker) == FAILURE) RETURN_THROWS();

  mv_config_t cfg;
  mvphp_config_build(&cfg);
  char dir[1024];
  mv_entry_t *e = NULL;
  size_t n = 0;
  int r = mv_config_runtime_dir(&cfg, dir, sizeof(dir));
  if (r == 0)
    r = mv_registry_list(dir, all ? NULL : mv_config_namespace(&cfg),
                         worker ? ZSTR_VAL(worker) : NULL, &e, &n);
  mv_config_dispose(&cfg);
  if (r < 0) {
    mvphp_throw_code(mvphp_code_of(r, false), "", "running() failed: %s", mv_last_error());
    RETURN_THROWS();
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  double t = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
  array_init_size(return_value, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    zval row;
    array_init_size(&row, 10);
    add_assoc_long(&row, "pid", e[i].pid);
    add_assoc_string(&row, "worker", e[i].worker);
    add_assoc_string(&row, "task_id", e[i].task_id);
    add_assoc_double(&row, "started_at", e[i].started_at);
    add_assoc_double(&row, "elapsed", t > e[i].started_at ? t - e[i].started_at : 0.0);
    add_assoc_long(&row, "host_pid", e[i].host_pid);
    /* Beyond API.md's keys, as Python's running() has them: warm
     * processes show whether they serve a request right now. */
    add_assoc_long(&row, "supervisor_pid", e[i].supervisor_pid);
    add_assoc_string(&row, "kind", e[i].kind);
    add_assoc_string(&row, "state", e[i].state);
    add_assoc_string(&row, "namespace", e[i].ns);
    add_next_index_zval(return_value, &row);
  }
  free(e);
}

ZEND_METHOD(Multiverse_MultiWorker, configure) {
  HashTable *options;
  ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_ARRAY_HT(options)
  ZEND_PARSE_PARAMETERS_END();
  (void)return_value;
  if (mvphp_hosting_enabled() == FAILURE) RETURN_THROWS();
  mvphp_config_configure(options);
}

ZEND_METHOD(Multiverse_MultiWorker, config) {
  ZEND_PARSE_PARAMETERS_NONE();
  if (mvphp_hosting_enabled() == FAILURE) RETURN_THROWS();
  mvphp_config_to_array(return_value);
}
