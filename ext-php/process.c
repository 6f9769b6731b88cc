/*
 * Process: fork-based parallelism over PHP closures.
 *
 * map/filter/reduce split the items into at most $workerCount contiguous
 * chunks (never more chunks than items) and fork one child per chunk, all
 * at once. Each child works through its chunk and sends back one
 * serialize()d value: [key => result] for map, [key => item] for the items
 * it keeps for filter (array_filter() semantics: the callback gets the
 * value, keys are kept), and the chunk's fold for reduce. The parent merges
 * chunks in order, so keys and order are those of the input. reduce folds
 * each chunk without $initial (its first item starts the fold) and folds the
 * chunk results into $initial in the parent, so $initial is applied exactly
 * once; the callback should be associative, as with any parallel reduce.
 *
 * run() forks one child per task (key => callable) with at most
 * $maxConcurrent running, and returns key => result. Failures are thrown
 * after every task ended: the first by key order, with getErrors().
 *
 * map, filter and run take a `progress` callable, told (done, total) in
 * the parent as tasks end (job.c): run() counts tasks, map and filter
 * count items, a chunk's all at once when its child ends.
 *
 * The timeout of each task is the configured one (multiverse.timeout), or
 * run()'s $timeout; the supervisor kills a task's whole tree at it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"

#include "php_multiverse.h"

#define MVPHP_FORK_NAME "closure"

zend_result mvphp_worker_count(zend_long *out, zend_long value, bool is_null, uint32_t arg_num) {
  if (is_null) {
    *out = mv_cpu_count();
    return SUCCESS;
  }
  if (value < 1) {
    zend_argument_value_error(arg_num, "must be >= 1 or null (null = number of CPU cores), got "
                              ZEND_LONG_FMT, value);
    return FAILURE;
  }
  *out = value;
  return SUCCESS;
}

zend_result mvphp_concurrency_limit(size_t *out, zend_long value, uint32_t arg_num) {
  if (value < 0) {
    zend_argument_value_error(arg_num, "must be >= 0 (0 = number of CPU cores), got "
                              ZEND_LONG_FMT, value);
    return FAILURE;
  }
  *out = value > 0 ? (size_t)value : (size_t)mv_cpu_count();
  return SUCCESS;
}

/* Chunks --------------------------------------------------------------------- */

typedef struct {
  zend_fcall_info *fci;
  zend_fcall_info_cache *fcc;
  zval *vals;          /* the items, in order (copies) */
  zval *keys;          /* their keys */
  size_t from, to;
  mvphp_chunk_mode mode;
} mvphp_chunk_t;

static void mvphp_invoke(mvphp_chunk_t *c, zval *args, uint32_t argc, zval *ret) {
  zend_fcall_info fci = *c->fci;
  fci.params = args;
  fci.param_count = argc;
  fci.named_params = NULL;
  fci.retval = ret;
  ZVAL_UNDEF(ret);
  zend_call_function(&fci, c->fcc);
  if (Z_TYPE_P(ret) == IS_UNDEF) ZVAL_NULL(ret);
}

/* In the child: work through one chunk. */
static void mvphp_chunk_body(void *arg, zval *result) {
  mvphp_chunk_t *c = arg;
  if (c->mode == MVPHP_REDUCE) {
    zval carry;
    ZVAL_COPY(&carry, &c->vals[c->from]);
    for (size_t i = c->from + 1; i < c->to; i++) {
      zval args[2], ret;
      ZVAL_COPY_VALUE(&args[0], &carry);
      ZVAL_COPY_VALUE(&args[1], &c->vals[i]);
      mvphp_invoke(c, args, 2, &ret);
      if (EG(exception)) return;
      carry = ret;
    }
    ZVAL_COPY_VALUE(result, &carry);
    return;
  }
  array_init_size(result, (uint32_t)(c->to - c->from));
  for (size_t i = c->from; i < c->to; i++) {
    zval ret;
    mvphp_invoke(c, &c->vals[i], 1, &ret);
    if (EG(exception)) return;
    if (c->mode == MVPHP_MAP) {
      mvphp_array_put(result, &c->keys[i], &ret);
    } else if (zend_is_true(&ret)) {
      Z_TRY_ADDREF(c->vals[i]);
      mvphp_array_put(result, &c->keys[i], &c->vals[i]);
    }
  }
}

typedef struct {
  mvphp_loop_t *lw;
  mvphp_job_t *jobs;
  mvphp_chunk_t *chunks;
} mvphp_chunk_ctx;

/* The callback threw while the parent folded the chunk results. Which calls
 * happen there depends on the chunking ($workerCount, the number of cores),
 * so the exception becomes the TaskException a child would have sent:
 * callers see one kind of failure whatever the chunking. exit() goes on as
 * it is. */
static void mvphp_reduce_rethrow(void) {
  zend_object *ex = EG(exception);
  if (zend_is_unwind_exit(ex) || zend_is_graceful_exit(ex)) return;
  GC_ADDREF(ex);
  zend_clear_exception();
  zval task;
  mvphp_task_exception_here(&task, ex, MVPHP_FORK_NAME);
  OBJ_RELEASE(ex);
  zend_throw_exception_object(&task);
}

static void mvphp_chunk_start(void *ctx, size_t i) {
  mvphp_chunk_ctx *x = ctx;
  mvphp_fork_spec_t spec = {mvphp_chunk_body, &x->chunks[i], -1, MVPHP_FORK_NAME};
  mvphp_job_queue_fork(&x->jobs[i], x->lw, &spec);
}

void mvphp_chunked(zval *return_value, HashTable *items, zend_fcall_info *fci,
                   zend_fcall_info_cache *fcc, mvphp_chunk_mode mode, zval *initial,
                   zend_long workers, zend_fcall_info *pfci, zend_fcall_info_cache *pfcc) {
  size_t n = zend_hash_num_elements(items);
  if (n == 0) {
    if (mode == MVPHP_REDUCE) RETURN_COPY(initial);
    RETURN_EMPTY_ARRAY();
  }
  size_t nchunks = (size_t)workers < n ? (size_t)workers : n;

  /* The children read the items from their copy of this process. */
  zval *vals = safe_emalloc(n, sizeof(zval), 0);
  zval *keys = safe_emalloc(n, sizeof(zval), 0);
  size_t k = 0;
  zend_string *skey;
  zend_ulong ikey;
  zval *v;
  ZEND_HASH_FOREACH_KEY_VAL(items, ikey, skey, v) {
    ZVAL_COPY_DEREF(&vals[k], v);
    mvphp_key_zval(&keys[k], skey, ikey);
    k++;
  } ZEND_HASH_FOREACH_END();

  mvphp_job_t *jobs = safe_emalloc(nchunks, sizeof(*jobs), 0);
  mvphp_job_t **jp = safe_emalloc(nchunks, sizeof(*jp), 0);
  mvphp_chunk_t *chunks = safe_emalloc(nchunks, sizeof(*chunks), 0);
  size_t *sizes = safe_emalloc(nchunks, sizeof(*sizes), 0);
  for (size_t i = 0; i < nchunks; i++) {
    mvphp_job_init(&jobs[i], MVPHP_JOB_FORK);
    jp[i] = &jobs[i];
    chunks[i] = (mvphp_chunk_t){fci, fcc, vals, keys, i * n / nchunks, (i + 1) * n / nchunks,
                                mode};
    sizes[i] = chunks[i].to - chunks[i].from;
  }
  /* Progress counts items: a chunk's all end with its child. */
  mvphp_progress_t progress, *pp = NULL;
  if (pfci) pp = mvphp_progress_init(&progress, pfci, pfcc, sizes, nchunks);

  mvphp_loop_t *lw = mvphp_loop_create();
  if (lw != NULL) {
    mvphp_chunk_ctx ctx = {lw, jobs, chunks};
    if (mvphp_jobs_run(lw, jp, nchunks, nchunks, mvphp_chunk_start, &ctx, pp) == SUCCESS &&
        !mvphp_jobs_throw_first(jp, nchunks, NULL, 0)) {
      if (mode == MVPHP_REDUCE) {
        /* $initial enters the fold once, here in the parent. */
        zval carry;
        ZVAL_COPY(&carry, initial);
        for (size_t i = 0; i < nchunks; i++) {
          zval args[2], ret;
          ZVAL_COPY_VALUE(&args[0], &carry);
          ZVAL_COPY_VALUE(&args[1], &jobs[i].value);
          mvphp_invoke(&chunks[i], args, 2, &ret);
          zval_ptr_dtor(&carry);
          carry = ret;
          if (EG(exception)) break;
        }
        if (EG(exception)) {
          zval_ptr_dtor(&carry);
          mvphp_reduce_rethrow();
        } else {
          ZVAL_COPY_VALUE(return_value, &carry);
        }
      } else {
        array_init_size(return_value, (uint32_t)n);
        for (size_t i = 0; i < nchunks; i++) {
          if (Z_TYPE(jobs[i].value) != IS_ARRAY) continue;
          zend_string *ck;
          zend_ulong ci;
          zval *cv;
          ZEND_HASH_FOREACH_KEY_VAL(Z_ARRVAL(jobs[i].value), ci, ck, cv) {
            Z_TRY_ADDREF_P(cv);
            if (ck) zend_hash_update(Z_ARRVAL_P(return_value), ck, cv);
            else zend_hash_index_update(Z_ARRVAL_P(return_value), ci, cv);
          } ZEND_HASH_FOREACH_END();
        }
      }
    }
  }
  for (size_t i = 0; i < nchunks; i++) mvphp_job_dispose(&jobs[i]);
  if (lw) mvphp_loop_release(lw);
  for (size_t i = 0; i < n; i++) {
    zval_ptr_dtor(&vals[i]);
    zval_ptr_dtor(&keys[i]);
  }
  efree(vals);
  efree(keys);
  efree(jobs);
  efree(jp);
  efree(chunks);
  efree(sizes);
}

/* Process::run ---------------------------------------------------------------- */

static void mvphp_task_body(void *arg, zval *result) {
  mvphp_call((zval *)arg, NULL, result);
}

typedef struct {
  mvphp_loop_t *lw;
  mvphp_job_t *jobs;
  zval *callables;
  double timeout;
} mvphp_run_ctx;

static void mvphp_run_start(void *ctx, size_t i) {
  mvphp_run_ctx *x = ctx;
  mvphp_fork_spec_t spec = {mvphp_task_body, &x->callables[i], x->timeout, MVPHP_FORK_NAME};
  mvphp_job_queue_fork(&x->jobs[i], x->lw, &spec);
}

ZEND_METHOD(Multiverse_Process, run) {
  HashTable *tasks;
  zend_long max = 0;
  double timeout = -1;
  bool timeout_null = 1;
  zend_fcall_info pfci = empty_fcall_info;
  zend_fcall_info_cache pfcc = empty_fcall_info_cache;
  ZEND_PARSE_PARAMETERS_START(1, 4)
    Z_PARAM_ARRAY_HT(tasks)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(max)
    Z_PARAM_DOUBLE_OR_NULL(timeout, timeout_null)
    Z_PARAM_FUNC_OR_NULL(pfci, pfcc)
  ZEND_PARSE_PARAMETERS_END();

  if (mvphp_hosting_fork() == FAILURE) RETURN_THROWS();
  size_t limit;
  if (mvphp_concurrency_limit(&limit, max, 2) == FAILURE) RETURN_THROWS();
  if (!timeout_null && mvphp_check_timeout_arg(timeout, 3) == FAILURE) RETURN_THROWS();
  size_t n = zend_hash_num_elements(tasks);
  zend_string *skey;
  zend_ulong ikey;
  zval *v;
  ZEND_HASH_FOREACH_KEY_VAL(tasks, ikey, skey, v) {
    if (!zend_is_callable(v, 0, NULL)) {
      if (skey)
        zend_argument_type_error(1, "entry '%s' must be a valid callback, %s given",
                                 ZSTR_VAL(skey), zend_zval_type_name(v));
      else
        zend_argument_type_error(1, "entry " ZEND_ULONG_FMT " must be a valid callback, %s given",
                                 ikey, zend_zval_type_name(v));
      RETURN_THROWS();
    }
  } ZEND_HASH_FOREACH_END();
  if (n == 0) RETURN_EMPTY_ARRAY();

  zval keys;
  array_init_size(&keys, (uint32_t)n);
  zval *callables = safe_emalloc(n, sizeof(zval), 0);
  mvphp_job_t *jobs = safe_emalloc(n, sizeof(*jobs), 0);
  mvphp_job_t **jp = safe_emalloc(n, sizeof(*jp), 0);
  size_t i = 0;
  ZEND_HASH_FOREACH_KEY_VAL(tasks, ikey, skey, v) {
    ZVAL_COPY_DEREF(&callables[i], v);
    zval k;
    mvphp_key_zval(&k, skey, ikey);
    add_next_index_zval(&keys, &k);
    mvphp_job_init(&jobs[i], MVPHP_JOB_FORK);
    jp[i] = &jobs[i];
    i++;
  } ZEND_HASH_FOREACH_END();

  mvphp_loop_t *lw = mvphp_loop_create();
  if (lw != NULL) {
    mvphp_run_ctx ctx = {lw, jobs, callables, timeout_null ? -1 : timeout};
    mvphp_progress_t progress;
    if (mvphp_jobs_run(lw, jp, n, limit, mvphp_run_start, &ctx,
                       mvphp_progress_init(&progress, &pfci, &pfcc, NULL, n)) == SUCCESS &&
        !mvphp_jobs_throw_first(jp, n, &keys, 1)) {
      array_init_size(return_value, (uint32_t)n);
      for (i = 0; i < n; i++) {
        mvphp_array_put(return_value, zend_hash_index_find(Z_ARRVAL(keys), i), &jobs[i].value);
        ZVAL_UNDEF(&jobs[i].value);
      }
    }
  }
  for (i = 0; i < n; i++) {
    mvphp_job_dispose(&jobs[i]);
    zval_ptr_dtor(&callables[i]);
  }
  if (lw) mvphp_loop_release(lw);
  zval_ptr_dtor(&keys);
  efree(callables);
  efree(jobs);
  efree(jp);
}

/* map / filter / reduce ---------------------------------------------------------- */

static void mvphp_process_chunked(INTERNAL_FUNCTION_PARAMETERS, mvphp_chunk_mode mode) {
  HashTable *items;
  zend_fcall_info fci;
  zend_fcall_info_cache fcc;
  zend_long workers = 0;
  bool workers_null = 1;
  zval *initial = NULL, null_initial;
  zend_fcall_info pfci = empty_fcall_info;
  zend_fcall_info_cache pfcc = empty_fcall_info_cache;
  ZVAL_NULL(&null_initial);
  if (mode == MVPHP_REDUCE) {
    ZEND_PARSE_PARAMETERS_START(2, 4)
      Z_PARAM_ARRAY_HT(items)
      Z_PARAM_FUNC(fci, fcc)
      Z_PARAM_OPTIONAL
      Z_PARAM_ZVAL(initial)
      Z_PARAM_LONG_OR_NULL(workers, workers_null)
    ZEND_PARSE_PARAMETERS_END();
  } else {
    ZEND_PARSE_PARAMETERS_START(2, 4)
      Z_PARAM_ARRAY_HT(items)
      Z_PARAM_FUNC(fci, fcc)
      Z_PARAM_OPTIONAL
      Z_PARAM_LONG_OR_NULL(workers, workers_null)
      Z_PARAM_FUNC_OR_NULL(pfci, pfcc)
    ZEND_PARSE_PARAMETERS_END();
  }
  if (mvphp_hosting_fork() == FAILURE) RETURN_THROWS();
  zend_long count;
  if (mvphp_worker_count(&count, workers, workers_null, mode == MVPHP_REDUCE ? 4 : 3) == FAILURE)
    RETURN_THROWS();
  mvphp_chunked(return_value, items, &fci, &fcc, mode, initial ? initial : &null_initial, count,
                &pfci, &pfcc);
}

ZEND_METHOD(Multiverse_Process, map) {
  mvphp_process_chunked(INTERNAL_FUNCTION_PARAM_PASSTHRU, MVPHP_MAP);
}

ZEND_METHOD(Multiverse_Process, filter) {
  mvphp_process_chunked(INTERNAL_FUNCTION_PARAM_PASSTHRU, MVPHP_FILTER);
}

ZEND_METHOD(Multiverse_Process, reduce) {
  mvphp_process_chunked(INTERNAL_FUNCTION_PARAM_PASSTHRU, MVPHP_REDUCE);
}

/* The rest --------------------------------------------------------------------- */

ZEND_METHOD(Multiverse_Process, fork) {
  zend_fcall_info fci;
  zend_fcall_info_cache fcc;
  HashTable *args = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_FUNC(fci, fcc)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_HT(args)
  ZEND_PARSE_PARAMETERS_END();
  if (mvphp_hosting_fork() == FAILURE) RETURN_THROWS();
  mvphp_fork_process_new(return_value, &fci.function_name, args, NULL);
  if (mvphp_fork_process_start_or_throw(Z_OBJ_P(return_value)) == FAILURE) {
    zval_ptr_dtor(return_value);
    ZVAL_UNDEF(return_value);
    RETURN_THROWS();
  }
}

ZEND_METHOD(Multiverse_Process, manager) {
  ZEND_PARSE_PARAMETERS_NONE();
  if (mvphp_hosting_enabled() == FAILURE) RETURN_THROWS();
  object_init_ex(return_value, mvphp_ce_ProcessManager);
}

ZEND_METHOD(Multiverse_Process, pool) {
  zend_long workers = 0;
  bool workers_null = 1;
  ZEND_PARSE_PARAMETERS_START(0, 1)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG_OR_NULL(workers, workers_null)
  ZEND_PARSE_PARAMETERS_END();
  if (mvphp_hosting_enabled() == FAILURE) RETURN_THROWS();
  zend_long count;
  if (mvphp_worker_count(&count, workers, workers_null, 1) == FAILURE) RETURN_THROWS();
  mvphp_process_pool_new(return_value, count);
}

/* Whether the Process family can fork here: false where the server
 * forbids it (hosting.c), rather than an exception, since asking is the
 * point. */
ZEND_METHOD(Multiverse_Process, isSupported) {
  ZEND_PARSE_PARAMETERS_NONE();
#ifdef __linux__
  RETURN_BOOL(mvphp_hosting_fork_allowed());
#else
  RETURN_FALSE;
#endif
}

ZEND_METHOD(Multiverse_Process, getCpuCores) {
  ZEND_PARSE_PARAMETERS_NONE();
  if (mvphp_hosting_enabled() == FAILURE) RETURN_THROWS();
  RETURN_LONG(mv_cpu_count());
}
