/*
 * A job is one task — a worker or a forked closure — from start to
 * outcome: it holds the core task while it runs and, once the task is
 * done, the decoded result or the exception that describes the failure.
 * Batches (runMany, Process::run, map chunks, ProcessManager::run) are
 * arrays of jobs driven by mvphp_jobs_run().
 *
 * Every operation first checks that the job belongs to this process: after
 * a fork the child holds copies of the parent's jobs, whose tasks it must
 * never touch.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

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

void mvphp_job_fail(mvphp_job_t *j, const char *name, const char *driver, const char *message) {
  j->state = MVPHP_JOB_DONE;
  mvphp_exception_simple(&j->error, mvphp_ce_WorkerException, name, driver, message);
}

static void mvphp_job_started(mvphp_job_t *j, mvphp_loop_t *lw, mv_task_t *t) {
  j->lw = mvphp_loop_addref(lw);
  j->task = t;
  j->owner = getpid();
  j->state = MVPHP_JOB_RUNNING;
}

void mvphp_job_start_worker(mvphp_job_t *j, mvphp_loop_t *lw, const mv_config_t *cfg,
                            const char *name, zend_string *payload, double timeout,
                            mv_pool_t *pool) {
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = timeout; /* < 0: the configured timeout */
  mv_task_t *t;
  mv_clear_error();
  int r = pool ? mv_pool_call(pool, ZSTR_VAL(payload), ZSTR_LEN(payload), &o, &t)
               : mv_task_spawn_worker(lw->loop, cfg, name, ZSTR_VAL(payload), ZSTR_LEN(payload),
                                      &o, &t);
  if (r < 0) mvphp_job_fail(j, name, "", mv_last_error());
  else mvphp_job_started(j, lw, t);
}

void mvphp_job_start_fork(mvphp_job_t *j, mvphp_loop_t *lw, double timeout, const char *name,
                          mvphp_child_body body, void *arg) {
  mv_config_t cfg;
  mvphp_config_build(&cfg);
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = timeout;
  o.name = name;
  mv_task_t *t = NULL;
  mv_child_t *child = NULL;
  mv_clear_error();
  int r = mv_task_fork(lw->loop, &cfg, &o, &t, &child);
  mv_config_dispose(&cfg);
  if (r == MV_FORK_CHILD) mvphp_child_main(child, body, arg); /* never returns */
  if (r < 0) mvphp_job_fail(j, name, "fork", mv_last_error());
  else mvphp_job_started(j, lw, t);
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
  mv_task_free(j->task);
  j->task = NULL;
  j->state = MVPHP_JOB_DONE;
  mvphp_loop_release(j->lw);
  j->lw = NULL;
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
  if (j->state == MVPHP_JOB_RUNNING) {
    /* Ours: kill the tree and wait for it (mv_task_free does both). A
     * copy in another process only drops its reference. */
    if (!mvphp_job_foreign(j)) mv_task_free(j->task);
    j->task = NULL;
    mvphp_loop_release(j->lw);
    j->lw = NULL;
  }
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

zend_result mvphp_jobs_run(mvphp_loop_t *lw, mvphp_job_t **jobs, size_t n, size_t limit,
                           mvphp_job_starter start, void *ctx) {
  size_t running = 0, next = 0;
  if (limit == 0) limit = 1;
  for (size_t i = 0; i < n; i++)
    if (jobs[i]->state == MVPHP_JOB_RUNNING && !mvphp_job_poll(jobs[i])) running++;
  for (;;) {
    while (running < limit && next < n) {
      mvphp_job_t *j = jobs[next];
      if (j->state == MVPHP_JOB_NEW) {
        start(ctx, next);
        if (j->state == MVPHP_JOB_RUNNING) running++;
      }
      next++;
    }
    if (running == 0 && next >= n) return SUCCESS;
    int r = mvphp_wait(lw, NULL, -1);
    if (r == MVPHP_WAIT_EXCEPTION || (r < 0 && r != MV_ETIMEDOUT && r != MV_EINTR)) {
      /* A signal handler threw (or the loop broke): nothing else starts,
       * and what runs is killed before the exception goes on. */
      if (r != MVPHP_WAIT_EXCEPTION)
        zend_throw_exception_ex(mvphp_ce_WorkerException, 0, "waiting for tasks failed: %s",
                                mv_last_error());
      for (size_t i = 0; i < n; i++) mvphp_job_cancel_wait(jobs[i]);
      return FAILURE;
    }
    /* Jobs past `next` may run too: started before this call. */
    for (size_t i = 0; i < n; i++) {
      if (jobs[i]->state == MVPHP_JOB_RUNNING && mvphp_job_poll(jobs[i])) running--;
    }
  }
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
