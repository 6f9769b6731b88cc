/*
 * ProcessManager: a set of ForkProcess objects sharing one loop.
 *
 * add() only records a closure; run() starts what is not started yet with
 * at most $maxConcurrent children at once (0 = CPU cores), each with the
 * per-task $timeout, and returns the results in add() order once all have
 * ended — or throws the first failure (add() order) with getErrors(). Its
 * `progress` callable is told (done, total) as processes end, total
 * counting every process added (those that ended before run() too).
 * wait() starts nothing: it waits for the processes already started (by
 * start() or an earlier run()) and returns their results the same way.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>

#include "php.h"
#include "zend_exceptions.h"

#include "php_multiverse.h"

typedef struct {
  mvphp_loop_t *lw;
  zval procs;                /* list of ForkProcess objects */
  zend_object std;
} mvphp_manager_obj;

static zend_object_handlers mvphp_manager_handlers;

static inline mvphp_manager_obj *mvphp_manager_from(zend_object *obj) {
  return (mvphp_manager_obj *)((char *)obj - XtOffsetOf(mvphp_manager_obj, std));
}

static zend_object *mvphp_manager_create(zend_class_entry *ce) {
  mvphp_manager_obj *m = zend_object_alloc(sizeof(mvphp_manager_obj), ce);
  m->lw = NULL;
  array_init(&m->procs);
  zend_object_std_init(&m->std, ce);
  object_properties_init(&m->std, ce);
  m->std.handlers = &mvphp_manager_handlers;
  return &m->std;
}

static void mvphp_manager_free(zend_object *obj) {
  mvphp_manager_obj *m = mvphp_manager_from(obj);
  zval_ptr_dtor(&m->procs);
  ZVAL_UNDEF(&m->procs);
  if (m->lw) mvphp_loop_release(m->lw);
  m->lw = NULL;
  zend_object_std_dtor(obj);
}

static HashTable *mvphp_manager_get_gc(zend_object *obj, zval **table, int *n) {
  mvphp_manager_obj *m = mvphp_manager_from(obj);
  *table = &m->procs;
  *n = 1;
  return zend_std_get_properties(obj);
}

void mvphp_process_manager_minit(zend_class_entry *ce) {
  ce->create_object = mvphp_manager_create;
  memcpy(&mvphp_manager_handlers, zend_get_std_object_handlers(), sizeof(zend_object_handlers));
  mvphp_manager_handlers.offset = XtOffsetOf(mvphp_manager_obj, std);
  mvphp_manager_handlers.free_obj = mvphp_manager_free;
  mvphp_manager_handlers.get_gc = mvphp_manager_get_gc;
  mvphp_manager_handlers.clone_obj = NULL;
}

/* The jobs of every process, in add() order. */
static mvphp_job_t **mvphp_manager_jobs(mvphp_manager_obj *m, size_t *n) {
  *n = zend_hash_num_elements(Z_ARRVAL(m->procs));
  mvphp_job_t **jobs = safe_emalloc(*n ? *n : 1, sizeof(*jobs), 0);
  size_t i = 0;
  zval *p;
  ZEND_HASH_FOREACH_VAL(Z_ARRVAL(m->procs), p) {
    jobs[i++] = mvphp_fork_process_job(Z_OBJ_P(p));
  } ZEND_HASH_FOREACH_END();
  return jobs;
}

/* Process pending events so that finished children are seen. */
static void mvphp_manager_refresh(mvphp_manager_obj *m, mvphp_job_t **jobs, size_t n) {
  if (!mvphp_loop_ours(m->lw)) return;
  mv_loop_wait(m->lw->loop, NULL, 0);
  for (size_t i = 0; i < n; i++) mvphp_job_poll(jobs[i]);
}

typedef struct {
  mvphp_manager_obj *m;
  double timeout;
} mvphp_manager_ctx;

static void mvphp_manager_start(void *ctx, size_t i) {
  mvphp_manager_ctx *x = ctx;
  zval *p = zend_hash_index_find(Z_ARRVAL(x->m->procs), i);
  if (p) mvphp_fork_process_start(Z_OBJ_P(p), x->timeout, x->m->lw, true);
}

/* Results in add() order, of the processes that ran; or the first failure. */
static void mvphp_manager_results(zval *return_value, mvphp_job_t **jobs, size_t n) {
  mvphp_job_t **done = safe_emalloc(n ? n : 1, sizeof(*done), 0);
  zval keys;
  array_init(&keys);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (jobs[i]->state != MVPHP_JOB_DONE) continue;
    done[k++] = jobs[i];
    add_next_index_long(&keys, (zend_long)i);
  }
  if (!mvphp_jobs_throw_first(done, k, &keys, 1)) {
    array_init_size(return_value, (uint32_t)k);
    for (size_t i = 0; i < k; i++) {
      zval v;
      if (Z_ISUNDEF(done[i]->value)) ZVAL_NULL(&v);
      else ZVAL_COPY(&v, &done[i]->value);
      mvphp_array_put(return_value, zend_hash_index_find(Z_ARRVAL(keys), i), &v);
    }
  }
  zval_ptr_dtor(&keys);
  efree(done);
}

/* run() (start: limit > 0) or wait() (limit 0: start nothing). */
static void mvphp_manager_drive(INTERNAL_FUNCTION_PARAMETERS, size_t limit, double timeout,
                                zend_fcall_info *pfci, zend_fcall_info_cache *pfcc) {
  mvphp_manager_obj *m = mvphp_manager_from(Z_OBJ_P(ZEND_THIS));
  size_t n;
  mvphp_job_t **jobs = mvphp_manager_jobs(m, &n);
  if (n > 0) {
    /* Processes are bound to the manager's loop when added; a manager
     * copied into a forked child starts its processes on a fresh loop. */
    if (mvphp_loop_ensure(&m->lw) == FAILURE) {
      efree(jobs);
      RETURN_THROWS();
    }
    mvphp_manager_ctx ctx = {m, timeout};
    mvphp_progress_t progress, *pp = NULL;
    if (pfci) pp = mvphp_progress_init(&progress, pfci, pfcc, NULL, n);
    /* Those that ended before this run() are counted, but not told as if
     * they ended now. */
    for (size_t i = 0; pp && i < n; i++) pp->reported += jobs[i]->state == MVPHP_JOB_DONE;
    zend_result r = limit > 0
                        ? mvphp_jobs_run(m->lw, jobs, n, limit, mvphp_manager_start, &ctx, pp)
                        : mvphp_jobs_wait(m->lw, jobs, n);
    if (r == FAILURE) {
      efree(jobs);
      RETURN_THROWS();
    }
  }
  mvphp_manager_results(return_value, jobs, n);
  efree(jobs);
}

ZEND_METHOD(Multiverse_ProcessManager, add) {
  zend_fcall_info fci;
  zend_fcall_info_cache fcc;
  HashTable *args = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_FUNC(fci, fcc)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_HT(args)
  ZEND_PARSE_PARAMETERS_END();
  if (mvphp_hosting_enabled() == FAILURE) RETURN_THROWS();
  mvphp_manager_obj *m = mvphp_manager_from(Z_OBJ_P(ZEND_THIS));
  if (mvphp_loop_ensure(&m->lw) == FAILURE) RETURN_THROWS();
  mvphp_fork_process_new(return_value, &fci.function_name, args, m->lw);
  Z_ADDREF_P(return_value);
  add_next_index_zval(&m->procs, return_value);
}

ZEND_METHOD(Multiverse_ProcessManager, run) {
  zend_long max = 4;
  double timeout = -1;
  bool timeout_null = 1;
  zend_fcall_info pfci = empty_fcall_info;
  zend_fcall_info_cache pfcc = empty_fcall_info_cache;
  ZEND_PARSE_PARAMETERS_START(0, 3)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(max)
    Z_PARAM_DOUBLE_OR_NULL(timeout, timeout_null)
    Z_PARAM_FUNC_OR_NULL(pfci, pfcc)
  ZEND_PARSE_PARAMETERS_END();
  if (mvphp_hosting_fork() == FAILURE) RETURN_THROWS();
  size_t limit;
  if (mvphp_concurrency_limit(&limit, max, 1) == FAILURE) RETURN_THROWS();
  if (!timeout_null && mvphp_check_timeout_arg(timeout, 2) == FAILURE) RETURN_THROWS();
  mvphp_manager_drive(INTERNAL_FUNCTION_PARAM_PASSTHRU, limit, timeout_null ? -1 : timeout,
                      &pfci, &pfcc);
}

ZEND_METHOD(Multiverse_ProcessManager, wait) {
  ZEND_PARSE_PARAMETERS_NONE();
  mvphp_manager_drive(INTERNAL_FUNCTION_PARAM_PASSTHRU, 0, -1, NULL, NULL);
}

static zend_long mvphp_manager_running(mvphp_manager_obj *m) {
  size_t n;
  mvphp_job_t **jobs = mvphp_manager_jobs(m, &n);
  mvphp_manager_refresh(m, jobs, n);
  zend_long count = 0;
  for (size_t i = 0; i < n; i++)
    if (jobs[i]->state == MVPHP_JOB_RUNNING && !mvphp_job_foreign(jobs[i])) count++;
  efree(jobs);
  return count;
}

ZEND_METHOD(Multiverse_ProcessManager, getRunningCount) {
  ZEND_PARSE_PARAMETERS_NONE();
  RETURN_LONG(mvphp_manager_running(mvphp_manager_from(Z_OBJ_P(ZEND_THIS))));
}

ZEND_METHOD(Multiverse_ProcessManager, hasRunning) {
  ZEND_PARSE_PARAMETERS_NONE();
  RETURN_BOOL(mvphp_manager_running(mvphp_manager_from(Z_OBJ_P(ZEND_THIS))) > 0);
}

ZEND_METHOD(Multiverse_ProcessManager, killAll) {
  zend_long sig = SIGTERM;
  ZEND_PARSE_PARAMETERS_START(0, 1)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(sig)
  ZEND_PARSE_PARAMETERS_END();
  if (mvphp_check_signal_arg(sig, 1) == FAILURE) RETURN_THROWS();
  mvphp_manager_obj *m = mvphp_manager_from(Z_OBJ_P(ZEND_THIS));
  size_t n;
  mvphp_job_t **jobs = mvphp_manager_jobs(m, &n);
  mvphp_manager_refresh(m, jobs, n);
  for (size_t i = 0; i < n; i++) mvphp_signal_job(jobs[i], sig);
  efree(jobs);
}
