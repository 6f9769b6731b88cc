/*
 * ForkProcess: one closure in a forked child.
 *
 * A ForkProcess made by new / Process::fork() owns its loop; one made by
 * ProcessManager::add() shares the manager's. Freeing a ForkProcess whose
 * child still runs kills the child's whole tree (SIGTERM, kill_grace,
 * SIGKILL) and waits for it: a child never outlives the object that
 * controls it. kill(15) and kill(9) act on the whole tree (with and without
 * the grace period); other signals go to the child itself.
 *
 * wait() returns the exit code (0 for a closure that returned, 255 for one
 * that threw, the status of exit(), 128 + signal for a child killed by a
 * signal). getOutput() returns the closure's value, or throws what the
 * closure threw (TaskException) or why the child failed (WorkerException).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <unistd.h>

#include "php.h"
#include "zend_exceptions.h"

#include "php_multiverse.h"

typedef struct {
  mvphp_job_t job;
  zval fn;
  zval args;                 /* array, or UNDEF */
  mvphp_loop_t *lw;          /* own or the manager's; NULL until needed */
  zend_object std;
} mvphp_fork_obj;

static zend_object_handlers mvphp_fork_handlers;

static inline mvphp_fork_obj *mvphp_fork_from(zend_object *obj) {
  return (mvphp_fork_obj *)((char *)obj - XtOffsetOf(mvphp_fork_obj, std));
}

mvphp_job_t *mvphp_fork_process_job(zend_object *obj) { return &mvphp_fork_from(obj)->job; }

static zend_object *mvphp_fork_create(zend_class_entry *ce) {
  mvphp_fork_obj *o = zend_object_alloc(sizeof(mvphp_fork_obj), ce);
  mvphp_job_init(&o->job, MVPHP_JOB_FORK);
  ZVAL_UNDEF(&o->fn);
  ZVAL_UNDEF(&o->args);
  o->lw = NULL;
  zend_object_std_init(&o->std, ce);
  object_properties_init(&o->std, ce);
  o->std.handlers = &mvphp_fork_handlers;
  return &o->std;
}

static void mvphp_fork_free(zend_object *obj) {
  mvphp_fork_obj *o = mvphp_fork_from(obj);
  mvphp_job_dispose(&o->job); /* kills a running tree (in its owner only) */
  zval_ptr_dtor(&o->fn);
  zval_ptr_dtor(&o->args);
  if (o->lw) mvphp_loop_release(o->lw);
  o->lw = NULL;
  zend_object_std_dtor(obj);
}

static HashTable *mvphp_fork_get_gc(zend_object *obj, zval **table, int *n) {
  mvphp_fork_obj *o = mvphp_fork_from(obj);
  zend_get_gc_buffer *buf = zend_get_gc_buffer_create();
  zend_get_gc_buffer_add_zval(buf, &o->fn);
  zend_get_gc_buffer_add_zval(buf, &o->args);
  zend_get_gc_buffer_add_zval(buf, &o->job.value);
  zend_get_gc_buffer_add_zval(buf, &o->job.error);
  zend_get_gc_buffer_use(buf, table, n);
  return zend_std_get_properties(obj);
}

void mvphp_fork_process_minit(zend_class_entry *ce) {
  ce->create_object = mvphp_fork_create;
  memcpy(&mvphp_fork_handlers, zend_get_std_object_handlers(), sizeof(zend_object_handlers));
  mvphp_fork_handlers.offset = XtOffsetOf(mvphp_fork_obj, std);
  mvphp_fork_handlers.free_obj = mvphp_fork_free;
  mvphp_fork_handlers.get_gc = mvphp_fork_get_gc;
  mvphp_fork_handlers.clone_obj = NULL;
}

static void mvphp_fork_set(mvphp_fork_obj *o, zval *fn, HashTable *args) {
  zval_ptr_dtor(&o->fn);
  zval_ptr_dtor(&o->args);
  ZVAL_COPY(&o->fn, fn);
  ZVAL_UNDEF(&o->args);
  if (args && zend_hash_num_elements(args)) ZVAL_ARR(&o->args, zend_array_dup(args));
}

void mvphp_fork_process_new(zval *out, zval *fn, HashTable *args, mvphp_loop_t *lw) {
  object_init_ex(out, mvphp_ce_ForkProcess);
  mvphp_fork_obj *o = mvphp_fork_from(Z_OBJ_P(out));
  mvphp_fork_set(o, fn, args);
  if (lw) o->lw = mvphp_loop_addref(lw);
}

/* In the child. */
static void mvphp_fork_body(void *arg, zval *result) {
  mvphp_fork_obj *o = arg;
  mvphp_call(&o->fn, Z_TYPE(o->args) == IS_ARRAY ? Z_ARRVAL(o->args) : NULL, result);
}

zend_result mvphp_fork_process_start(zend_object *obj, double timeout, mvphp_loop_t *lw,
                                     bool queue) {
  mvphp_fork_obj *o = mvphp_fork_from(obj);
  /* Waiting for its turn in a run() and wanted now: it leaves the queue
   * and starts as a process that was never queued would. */
  if (!queue) mvphp_job_withdraw(&o->job);
  if (o->job.state != MVPHP_JOB_NEW) return SUCCESS;
  if (mvphp_hosting_fork() == FAILURE) return FAILURE;
  if (Z_ISUNDEF(o->fn)) {
    zend_throw_error(NULL, "ForkProcess has no callable (its constructor was not called)");
    return FAILURE;
  }
  if (lw && lw != o->lw) {
    if (o->lw) mvphp_loop_release(o->lw);
    o->lw = mvphp_loop_addref(lw);
  }
  /* A loop from another process (this object was copied by a fork) is of
   * no use here: start with a loop of our own. */
  if (mvphp_loop_ensure(&o->lw) == FAILURE) return FAILURE;
  mvphp_fork_spec_t spec = {mvphp_fork_body, o, timeout, "closure"};
  if (queue) mvphp_job_queue_fork(&o->job, o->lw, &spec);
  else mvphp_job_start_fork(&o->job, o->lw, &spec);
  return o->job.state == MVPHP_JOB_DONE ? FAILURE : SUCCESS;
}

zend_result mvphp_fork_process_start_or_throw(zend_object *obj) {
  if (mvphp_fork_process_start(obj, -1, NULL, false) == SUCCESS) return SUCCESS;
  mvphp_job_t *j = mvphp_fork_process_job(obj);
  if (!EG(exception) && Z_TYPE(j->error) == IS_OBJECT) mvphp_throw(&j->error);
  return FAILURE;
}

/* The job of $this, after checking it belongs to this process. */
static mvphp_fork_obj *mvphp_fork_this(zval *this_ptr, int must_be_ours) {
  mvphp_fork_obj *o = mvphp_fork_from(Z_OBJ_P(this_ptr));
  if (must_be_ours && o->job.state == MVPHP_JOB_RUNNING && mvphp_job_foreign(&o->job)) {
    zend_throw_error(NULL, "this ForkProcess was started by process %d, not by this one",
                     (int)o->job.owner);
    return NULL;
  }
  return o;
}

/* Collect the outcome if the child ended, without blocking. */
static void mvphp_fork_refresh(mvphp_fork_obj *o) {
  if (o->job.state != MVPHP_JOB_RUNNING || mvphp_job_foreign(&o->job)) return;
  if (!mv_task_done(o->job.task)) mv_loop_wait(o->lw->loop, o->job.task, 0);
  mvphp_job_poll(&o->job);
}

/* Start a job not started yet on demand, then block until it is done. */
static zend_result mvphp_fork_finish(mvphp_fork_obj *o, double timeout) {
  if (mvphp_job_unstarted(&o->job) && mvphp_fork_process_start_or_throw(&o->std) == FAILURE)
    return FAILURE;
  if (o->job.state != MVPHP_JOB_RUNNING) return SUCCESS;
  int r = mvphp_wait(o->lw, o->job.task, timeout);
  if (r == MVPHP_WAIT_EXCEPTION) return FAILURE;
  if (r == MV_ETIMEDOUT && !mv_task_done(o->job.task)) {
    /* wait()'s own timeout: the child dies with its tree, and the outcome
     * says why. */
    mvphp_job_cancel_wait(&o->job);
    zval ex;
    char *msg = NULL;
    zend_spprintf(&msg, 0,
                  "task 'closure' did not finish within the %g s wait() timeout "
                  "(process tree killed)", timeout);
    mvphp_exception_simple(&ex, mvphp_ce_TimeoutException, "closure", "fork", MVPHP_CODE_TIMEOUT,
                           msg);
    efree(msg);
    mvphp_exception_set_timeout(&ex, timeout);
    zval_ptr_dtor(&o->job.value);
    ZVAL_UNDEF(&o->job.value);
    zval_ptr_dtor(&o->job.error);
    ZVAL_COPY_VALUE(&o->job.error, &ex);
    o->job.wait_timeout = timeout;
    return SUCCESS;
  }
  if (r < 0 && r != MV_ETIMEDOUT) {
    mvphp_throw_code(mvphp_code_of(r, false), "fork", "waiting for the task failed: %s",
                     mv_last_error());
    return FAILURE;
  }
  mvphp_job_poll(&o->job);
  return SUCCESS;
}

zend_result mvphp_check_signal_arg(zend_long sig, uint32_t arg_num) {
  if (sig < 1 || sig >= NSIG) {
    zend_argument_value_error(arg_num, "must be a signal number between 1 and %d, got " ZEND_LONG_FMT,
                              NSIG - 1, sig);
    return FAILURE;
  }
  return SUCCESS;
}

zend_result mvphp_signal_job(mvphp_job_t *j, zend_long sig) {
  if (j->state != MVPHP_JOB_RUNNING || mvphp_job_foreign(j) || mv_task_done(j->task)) return FAILURE;
  return mv_task_signal(j->task, (int)sig) > 0 ? SUCCESS : FAILURE;
}

ZEND_METHOD(Multiverse_ForkProcess, __construct) {
  zend_fcall_info fci;
  zend_fcall_info_cache fcc;
  HashTable *args = NULL;
  ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_FUNC(fci, fcc)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_HT(args)
  ZEND_PARSE_PARAMETERS_END();
  if (mvphp_hosting_enabled() == FAILURE) RETURN_THROWS();
  mvphp_fork_obj *o = mvphp_fork_from(Z_OBJ_P(ZEND_THIS));
  if (!mvphp_job_unstarted(&o->job)) {
    zend_throw_error(NULL, "cannot call the constructor of a started ForkProcess");
    RETURN_THROWS();
  }
  mvphp_fork_set(o, &fci.function_name, args);
}

ZEND_METHOD(Multiverse_ForkProcess, start) {
  ZEND_PARSE_PARAMETERS_NONE();
  mvphp_fork_obj *o = mvphp_fork_from(Z_OBJ_P(ZEND_THIS));
  if (!mvphp_job_unstarted(&o->job)) RETURN_FALSE;
  if (mvphp_fork_process_start_or_throw(&o->std) == FAILURE) RETURN_THROWS();
  RETURN_TRUE;
}

ZEND_METHOD(Multiverse_ForkProcess, isRunning) {
  ZEND_PARSE_PARAMETERS_NONE();
  mvphp_fork_obj *o = mvphp_fork_this(ZEND_THIS, 0);
  mvphp_fork_refresh(o);
  RETURN_BOOL(o->job.state == MVPHP_JOB_RUNNING && !mvphp_job_foreign(&o->job));
}

ZEND_METHOD(Multiverse_ForkProcess, wait) {
  double timeout = -1;
  bool timeout_null = 1;
  ZEND_PARSE_PARAMETERS_START(0, 1)
    Z_PARAM_OPTIONAL
    Z_PARAM_DOUBLE_OR_NULL(timeout, timeout_null)
  ZEND_PARSE_PARAMETERS_END();
  if (!timeout_null && mvphp_check_timeout_arg(timeout, 1) == FAILURE) RETURN_THROWS();
  mvphp_fork_obj *o = mvphp_fork_this(ZEND_THIS, 1);
  if (o == NULL) RETURN_THROWS();
  if (mvphp_fork_finish(o, timeout_null ? -1 : timeout) == FAILURE) RETURN_THROWS();
  if (o->job.wait_timeout > 0 && Z_TYPE(o->job.error) == IS_OBJECT &&
      instanceof_function(Z_OBJCE(o->job.error), mvphp_ce_TimeoutException)) {
    mvphp_throw(&o->job.error);
    RETURN_THROWS();
  }
  if (o->job.has_exit_code) RETURN_LONG(o->job.exit_code);
  RETURN_LONG(o->job.signal ? 128 + o->job.signal : 255);
}

ZEND_METHOD(Multiverse_ForkProcess, getPid) {
  ZEND_PARSE_PARAMETERS_NONE();
  mvphp_fork_obj *o = mvphp_fork_this(ZEND_THIS, 0);
  pid_t pid = mvphp_job_pid(&o->job);
  if (pid <= 0) RETURN_NULL();
  RETURN_LONG(pid);
}

ZEND_METHOD(Multiverse_ForkProcess, getExitCode) {
  ZEND_PARSE_PARAMETERS_NONE();
  mvphp_fork_obj *o = mvphp_fork_this(ZEND_THIS, 0);
  mvphp_fork_refresh(o);
  if (o->job.state == MVPHP_JOB_DONE && o->job.has_exit_code) RETURN_LONG(o->job.exit_code);
  RETURN_NULL();
}

ZEND_METHOD(Multiverse_ForkProcess, kill) {
  zend_long sig = SIGTERM;
  ZEND_PARSE_PARAMETERS_START(0, 1)
    Z_PARAM_OPTIONAL
    Z_PARAM_LONG(sig)
  ZEND_PARSE_PARAMETERS_END();
  if (mvphp_check_signal_arg(sig, 1) == FAILURE) RETURN_THROWS();
  mvphp_fork_obj *o = mvphp_fork_this(ZEND_THIS, 0);
  mvphp_fork_refresh(o);
  RETURN_BOOL(mvphp_signal_job(&o->job, sig) == SUCCESS);
}

ZEND_METHOD(Multiverse_ForkProcess, getOutput) {
  ZEND_PARSE_PARAMETERS_NONE();
  mvphp_fork_obj *o = mvphp_fork_this(ZEND_THIS, 1);
  if (o == NULL) RETURN_THROWS();
  if (mvphp_fork_finish(o, -1) == FAILURE) RETURN_THROWS();
  if (Z_TYPE(o->job.error) == IS_OBJECT) {
    mvphp_throw(&o->job.error);
    RETURN_THROWS();
  }
  if (Z_ISUNDEF(o->job.value)) RETURN_NULL();
  RETURN_COPY(&o->job.value);
}
