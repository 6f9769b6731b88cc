/*
 * A job is one task — a worker or a forked closure — from start to
 * outcome: it holds the core task while it runs and, once the task is
 * done, the decoded result or the exception that describes the failure.
 * Batches (runMany, Process::run, map chunks, ProcessManager::run) are
 * arrays of jobs handed to the core at once by mvphp_jobs_run(), in a
 * core batch with the call's limit: the core's FIFO decides when each
 * starts.
 * Workers (spawned, or calls to a warm pool) start by themselves when
 * their turn comes; a fork waits reserved (QUEUED) and is forked by
 * mvphp_jobs_wait() once the core says its turn came.
 *
 * Every operation first checks that the job belongs to this process: after
 * a fork the child holds copies of the parent's jobs, whose tasks it must
 * never touch.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <unistd.h>

#include "php.h"
#include "zend_exceptions.h"

#include "php_multiverse.h"

void mvphp_job_init(mvphp_job_t *j, mvphp_job_kind kind) {
  memset(j, 0, sizeof(*j));
  j->kind = kind;
  j->state = MVPHP_JOB_NEW;
  ZVAL_UNDEF(&j->value);
  ZVAL_UNDEF(&j->error);
}

int mvphp_job_foreign(const mvphp_job_t *j) {
  return j->owner != getpid() || !mvphp_loop_ours(j->lw);
}

void mvphp_job_fail(mvphp_job_t *j, const char *name, const char *driver, int status,
                    const char *message) {
  j->state = MVPHP_JOB_DONE;
  mvphp_exception_simple(&j->error, mvphp_ce_WorkerException, name, driver,
                         mvphp_code_of(status, false), message);
}

static void mvphp_job_started(mvphp_job_t *j, mvphp_loop_t *lw, mv_task_t *t,
                              mvphp_job_state state) {
  j->lw = mvphp_loop_addref(lw);
  j->task = t;
  j->owner = getpid();
  j->state = state;
}

/* Let go of the task: ours is freed (a running one killed and waited for,
 * one that has not started ended unstarted); a copy in another process
 * only drops its reference. */
static void mvphp_job_drop_task(mvphp_job_t *j) {
  if (!mvphp_job_foreign(j)) mv_task_free(j->task);
  j->task = NULL;
  mvphp_loop_release(j->lw);
  j->lw = NULL;
}

const char *mvphp_worker_driver(const mv_config_t *cfg, const char *name) {
  mv_worker_t w;
  int r = mv_worker_resolve(cfg, name, &w);
  const char *driver = r == 0 || r == MV_EINTERP ? mv_driver_name(w.driver) : "";
  mv_worker_dispose(&w);
  return driver;
}

void mvphp_job_start_worker(mvphp_job_t *j, mvphp_loop_t *lw, const mv_config_t *cfg,
                            const char *name, zend_string *payload, double timeout,
                            mv_pool_t *pool) {
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = timeout; /* < 0: the configured timeout */
  o.batch = j->batch;
  mv_task_t *t;
  mv_clear_error();
  int r = pool ? mv_pool_call(pool, ZSTR_VAL(payload), ZSTR_LEN(payload), &o, &t)
               : mv_task_spawn_worker(lw->loop, cfg, name, ZSTR_VAL(payload), ZSTR_LEN(payload),
                                      &o, &t);
  if (r < 0) {
    /* The message first: looking the driver up would replace it. */
    char *msg = estrdup(*mv_last_error() ? mv_last_error() : mv_strerror(r));
    mvphp_job_fail(j, name, mvphp_worker_driver(cfg, name), r, msg);
    efree(msg);
    return;
  }
  mvphp_job_started(j, lw, t, MVPHP_JOB_RUNNING);
}

/* Fork the job's child: through its reservation when it is QUEUED (its
 * turn has come), else at once. Returns only in the parent; a failed fork
 * leaves the job DONE with the error, as one that could not start. */
static void mvphp_job_fork(mvphp_job_t *j, mvphp_loop_t *lw) {
  mv_config_t cfg;
  mvphp_config_build(&cfg);
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = j->fork.timeout;
  o.name = j->fork.name;
  mv_task_t *t = j->task;
  mv_child_t *child = NULL;
  mv_clear_error();
  int r = t ? mv_task_fork_reserved(t, &cfg, &o, &child)
            : mv_task_fork(lw->loop, &cfg, &o, &t, &child);
  mv_config_dispose(&cfg);
  if (r == MV_FORK_CHILD) mvphp_child_main(child, j->fork.body, j->fork.arg); /* never returns */
  if (r < 0) {
    /* A reserved task that could not be forked has ended (its report says
     * the same): the job fails as a fork that could not start always did. */
    char *msg = estrdup(mv_last_error());
    if (j->task) mvphp_job_drop_task(j);
    mvphp_job_fail(j, j->fork.name, "fork", r, msg);
    efree(msg);
  } else if (j->task) {
    j->state = MVPHP_JOB_RUNNING;
  } else {
    mvphp_job_started(j, lw, t, MVPHP_JOB_RUNNING);
  }
}

void mvphp_job_start_fork(mvphp_job_t *j, mvphp_loop_t *lw, const mvphp_fork_spec_t *spec) {
  j->fork = *spec;
  mvphp_job_fork(j, lw);
}

/* The core's on_start: a QUEUED fork got its slot. Called from inside the
 * core (mv_loop_wait, mv_task_cancel, ...), so it only takes note: the
 * fork is made by mvphp_jobs_wait() once the core has returned. Forking
 * here would run the child's PHP code on the core's stack, and could start
 * a child in the middle of killing a tree. */
static void mvphp_job_on_start(mv_task_t *t, void *data) {
  (void)t;
  ((mvphp_job_t *)data)->has_slot = true;
}

void mvphp_job_queue_fork(mvphp_job_t *j, mvphp_loop_t *lw, const mvphp_fork_spec_t *spec) {
  j->fork = *spec;
  j->has_slot = false;
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.name = spec->name;
  o.on_start = mvphp_job_on_start;
  o.data = j;
  o.batch = j->batch;
  mv_task_t *t;
  mv_clear_error();
  int r = mv_task_reserve(lw->loop, &o, &t);
  if (r < 0) {
    mvphp_job_fail(j, spec->name, "fork", r, mv_last_error());
    return;
  }
  mvphp_job_started(j, lw, t, MVPHP_JOB_QUEUED);
  /* 1: a slot is free, and it is ours now. */
  if (r == 1) mvphp_job_fork(j, lw);
}

/* QUEUED with its slot: fork it. */
static int mvphp_job_fork_due(mvphp_job_t *j) {
  if (j->state != MVPHP_JOB_QUEUED || !j->has_slot || mvphp_job_foreign(j)) return 0;
  mvphp_job_fork(j, j->lw);
  return 1;
}

/* Not started yet and ours: QUEUED, or a worker in the loop's FIFO. */
static int mvphp_job_waiting(const mvphp_job_t *j) {
  if (j->state == MVPHP_JOB_QUEUED) return !mvphp_job_foreign(j);
  return j->state == MVPHP_JOB_RUNNING && !mvphp_job_foreign(j) && mv_task_queued(j->task);
}

void mvphp_job_withdraw(mvphp_job_t *j) {
  if (j->state != MVPHP_JOB_QUEUED && !mvphp_job_waiting(j)) return;
  mvphp_job_drop_task(j);
  j->has_slot = false;
  j->state = MVPHP_JOB_NEW;
}

static void mvphp_job_worker_outcome(mvphp_job_t *j, const mv_report_t *r) {
  if (r->status != MV_OK) {
    mvphp_exception_from_report(&j->error, r, NULL);
    return;
  }
  const char *why = NULL;
  if (mvphp_result_decode(&j->value, r->result.data, r->result.len, &why) == FAILURE) {
    char *msg = NULL;
    zend_spprintf(&msg, 0, "worker '%s' returned JSON that PHP cannot decode: %s", r->worker,
                  why);
    mvphp_exception_from_report(&j->error, r, msg);
    mvphp_exception_set_code(&j->error, MVPHP_CODE_BAD_RESULT);
    efree(msg);
  }
}

/* The task is done: take its report, decode it, free the task. */
static void mvphp_job_collect(mvphp_job_t *j) {
  mv_report_t r;
  if (mv_task_take_report(j->task, &r) < 0) {
    memset(&r, 0, sizeof(r));
    r.status = MV_ESUPERVISOR;
  }
  j->pid = r.pid;
  j->signal = r.signal;
  j->has_exit_code = r.end != MV_END_SPAWN_FAILED && r.signal == 0 && r.exit_code >= 0 &&
                     r.status != MV_ESUPERVISOR;
  j->exit_code = r.exit_code;
  if (j->kind == MVPHP_JOB_WORKER) mvphp_job_worker_outcome(j, &r);
  else mvphp_fork_outcome(j, &r);
  mv_report_dispose(&r);
  mvphp_job_drop_task(j);
  j->state = MVPHP_JOB_DONE;
}

int mvphp_job_poll(mvphp_job_t *j) {
  if (j->state != MVPHP_JOB_RUNNING) return j->state == MVPHP_JOB_DONE;
  if (mvphp_job_foreign(j)) return 0;
  if (!mv_task_done(j->task)) return 0;
  mvphp_job_collect(j);
  return 1;
}

void mvphp_job_cancel_wait(mvphp_job_t *j) {
  if (j->state != MVPHP_JOB_RUNNING || mvphp_job_foreign(j)) return;
  mv_task_cancel(j->task);
  mvphp_wait_done(j->lw, j->task);
  mvphp_job_collect(j);
}

void mvphp_job_dispose(mvphp_job_t *j) {
  if (j->state == MVPHP_JOB_RUNNING || j->state == MVPHP_JOB_QUEUED) mvphp_job_drop_task(j);
  zval_ptr_dtor(&j->value);
  zval_ptr_dtor(&j->error);
  ZVAL_UNDEF(&j->value);
  ZVAL_UNDEF(&j->error);
  j->state = MVPHP_JOB_DONE;
}

pid_t mvphp_job_pid(mvphp_job_t *j) {
  if (j->state == MVPHP_JOB_DONE) return j->pid > 0 ? j->pid : -1;
  if (j->state != MVPHP_JOB_RUNNING || mvphp_job_foreign(j)) return -1;
  /* The supervisor reports the root's pid once it runs: give it a moment. */
  for (int i = 0; i < 500 && mv_task_pid(j->task) <= 0 && !mv_task_done(j->task); i++)
    mv_loop_wait(j->lw->loop, j->task, 0.01);
  pid_t pid = mv_task_pid(j->task);
  if (pid > 0) j->pid = pid;
  return pid;
}

/* Batches ---------------------------------------------------------------- */

/*
 * A batch with more jobs than its limit gets a core batch (mv_batch_new):
 * its limit holds its own tasks only, and the loop's stays 0 (none). A
 * loop serves many calls in turn (MultiWorker's lives with the process for
 * its warm pools, a ProcessManager's with the object), and nothing a batch
 * leaves behind holds back the next call. A batch run inside another (a
 * signal handler's or a progress callable's call while the other waits)
 * keeps its own limit, and so does the outer one; their tasks wait in the
 * loop's one FIFO.
 */
static mv_batch_t *mvphp_batch_begin(mvphp_loop_t *lw, mvphp_job_t **jobs, size_t n,
                                     size_t limit) {
  if (n <= limit) return NULL; /* they all start at once */
  mv_batch_t *b = NULL;
  if (mv_batch_new(lw->loop, (int)MIN(MAX(limit, 1), (size_t)INT_MAX), &b) < 0) return NULL;
  /* Jobs started by hand before (ProcessManager's) count in its limit. */
  for (size_t i = 0; i < n; i++)
    if (jobs[i]->task && jobs[i]->lw == lw && !mvphp_job_foreign(jobs[i]))
      mv_batch_add(b, jobs[i]->task);
  return b;
}

/* Fork the QUEUED jobs whose turn came, in order. A fork that fails frees
 * its slot for the next one: go on until there is none. */
static void mvphp_jobs_fork_due(mvphp_job_t **jobs, size_t n) {
  int forked;
  do {
    forked = 0;
    for (size_t i = 0; i < n; i++) forked |= mvphp_job_fork_due(jobs[i]);
  } while (forked);
}

/* Collect what ended; 1 if any job is still QUEUED or RUNNING here. */
static int mvphp_jobs_pending(mvphp_job_t **jobs, size_t n) {
  int pending = 0;
  for (size_t i = 0; i < n; i++) {
    mvphp_job_t *j = jobs[i];
    if (j->state == MVPHP_JOB_RUNNING) mvphp_job_poll(j);
    /* Another process's (copied by a fork) never ends here. */
    if ((j->state == MVPHP_JOB_RUNNING || j->state == MVPHP_JOB_QUEUED) && !mvphp_job_foreign(j))
      pending = 1;
  }
  return pending;
}

/* Take back every job that has not started: those waiting for a slot
 * first, so that no slot freed after them starts one, then those holding
 * one. */
static void mvphp_jobs_withdraw(mvphp_job_t **jobs, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (mvphp_job_waiting(jobs[i]) && !jobs[i]->has_slot) mvphp_job_withdraw(jobs[i]);
  for (size_t i = 0; i < n; i++) mvphp_job_withdraw(jobs[i]);
}

/* A signal handler threw: nothing else starts, and what runs is killed
 * before the exception goes on. */
static void mvphp_jobs_abort(mvphp_job_t **jobs, size_t n) {
  mvphp_jobs_withdraw(jobs, n);
  for (size_t i = 0; i < n; i++) mvphp_job_cancel_wait(jobs[i]);
}

/* Progress ---------------------------------------------------------------- */

mvphp_progress_t *mvphp_progress_init(mvphp_progress_t *p, zend_fcall_info *fci,
                                      zend_fcall_info_cache *fcc, const size_t *weights,
                                      size_t n) {
  if (fci->size == 0) return NULL;
  memset(p, 0, sizeof(*p));
  p->fci = *fci;
  p->fcc = *fcc;
  p->weights = weights;
  for (size_t i = 0; i < n; i++) p->total += weights ? weights[i] : 1;
  return p;
}

/* Tell the callable how much has ended, if that grew since the last call.
 * FAILURE: it threw (or exit()ed); the exception is pending. */
static zend_result mvphp_progress_update(mvphp_progress_t *p, mvphp_job_t **jobs, size_t n) {
  size_t done = 0;
  for (size_t i = 0; i < n; i++)
    if (jobs[i]->state == MVPHP_JOB_DONE) done += p->weights ? p->weights[i] : 1;
  if (done <= p->reported) return SUCCESS;
  p->reported = done;
  zval args[2], ret;
  ZVAL_LONG(&args[0], (zend_long)done);
  ZVAL_LONG(&args[1], (zend_long)p->total);
  ZVAL_UNDEF(&ret);
  zend_fcall_info fci = p->fci;
  fci.params = args;
  fci.param_count = 2;
  fci.named_params = NULL;
  fci.retval = &ret;
  zend_result r = zend_call_function(&fci, &p->fcc);
  zval_ptr_dtor(&ret);
  return r == SUCCESS && !EG(exception) ? SUCCESS : FAILURE;
}

static zend_result mvphp_jobs_wait_progress(mvphp_loop_t *lw, mvphp_job_t **jobs, size_t n,
                                            mvphp_progress_t *progress) {
  for (;;) {
    /* The callable hears of what ended before anything else starts, so
     * that an exception it throws stops the batch where it is. User code
     * runs here, between two looks at the loop: it may make calls of its
     * own (a nested batch, as a signal handler's can). */
    if (progress) mvphp_jobs_pending(jobs, n);
    if (progress && mvphp_progress_update(progress, jobs, n) == FAILURE) goto stopped;
    mvphp_jobs_fork_due(jobs, n);
    int pending = mvphp_jobs_pending(jobs, n);
    /* A fork that failed just now has ended too. */
    if (progress && mvphp_progress_update(progress, jobs, n) == FAILURE) goto stopped;
    if (!pending) return SUCCESS;
    /* Returns when a task ended (and maybe gave its slot to a QUEUED one)
     * or a signal was handled. */
    int r = mvphp_wait(lw, NULL, -1);
    if (r == MVPHP_WAIT_EXCEPTION || (r < 0 && r != MV_ETIMEDOUT && r != MV_EINTR)) {
      if (r != MVPHP_WAIT_EXCEPTION)
        mvphp_throw_code(mvphp_code_of(r, false), "", "waiting for tasks failed: %s",
                         mv_last_error());
      mvphp_jobs_abort(jobs, n);
      return FAILURE;
    }
  }
stopped:
  if (!EG(exception))
    zend_throw_exception(mvphp_ce_WorkerException, "the progress callable could not be called",
                         0);
  mvphp_jobs_abort(jobs, n);
  return FAILURE;
}

zend_result mvphp_jobs_wait(mvphp_loop_t *lw, mvphp_job_t **jobs, size_t n) {
  return mvphp_jobs_wait_progress(lw, jobs, n, NULL);
}

zend_result mvphp_jobs_run(mvphp_loop_t *lw, mvphp_job_t **jobs, size_t n, size_t limit,
                           mvphp_job_starter start, void *ctx, mvphp_progress_t *progress) {
  mv_batch_t *batch = mvphp_batch_begin(lw, jobs, n, limit);
  if (batch == NULL && n > limit) {
    mvphp_throw_code(mvphp_code_of(MV_ENOMEM, false), "", "%s", mv_last_error());
    return FAILURE;
  }
  zend_result r = FAILURE;
  zend_try {
    /* All at once, in order: the first `limit` start now, the others wait
     * in the loop's FIFO in this order. */
    for (size_t i = 0; i < n; i++) {
      if (jobs[i]->state != MVPHP_JOB_NEW) continue;
      /* Read by the start only: a job withdrawn may start again later,
       * in another batch (ProcessManager::run). */
      jobs[i]->batch = batch;
      start(ctx, i);
      jobs[i]->batch = NULL;
    }
    r = mvphp_jobs_wait_progress(lw, jobs, n, progress);
  } zend_catch {
    /* A fatal error (max_execution_time, a signal handler's) ends the
     * request from here. What has not started must never start (shutdown
     * functions may still run the loop), and the limit goes with the
     * batch; what runs is left to the request's end (loops.c). */
    mvphp_jobs_withdraw(jobs, n);
    mv_batch_free(batch);
    zend_bailout();
  } zend_end_try();
  /* Tasks still in it (left running by a fatal error) keep it. */
  mv_batch_free(batch);
  return r;
}

int mvphp_jobs_throw_first(mvphp_job_t **jobs, size_t n, zval *keys, int batch) {
  zval errors, *first = NULL;
  ZVAL_UNDEF(&errors);
  for (size_t i = 0; i < n; i++) {
    if (Z_TYPE(jobs[i]->error) == IS_UNDEF) continue;
    if (first == NULL) {
      first = &jobs[i]->error;
      array_init(&errors);
    }
    Z_ADDREF(jobs[i]->error);
    zval *key = keys ? zend_hash_index_find(Z_ARRVAL_P(keys), i) : NULL;
    if (key) mvphp_array_put(&errors, key, &jobs[i]->error);
    else zend_hash_index_update(Z_ARRVAL(errors), i, &jobs[i]->error);
  }
  if (first == NULL) return 0;
  /* Only batches fill getErrors(); for a single call it would only repeat
   * the exception itself. */
  if (batch) mvphp_exception_set_errors(first, &errors);
  zval_ptr_dtor(&errors);
  mvphp_throw(first);
  return 1;
}
