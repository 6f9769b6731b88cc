/*
 * multiverse PHP extension: declarations shared by its source files.
 *
 * One file per purpose:
 *   multiverse.c      module entry, INI, startup/shutdown, class registration
 *   config.c          INI + configure() -> mv_config_t, config()
 *   hosting.c         hosting restrictions: multiverse.enabled,
 *                     disable_functions, allow_fork, open_basedir, lock_config
 *   exceptions.c      WorkerException family: getters and builders from reports
 *   payload.c         JSON in (payload) and out (worker results)
 *   loops.c           event loops owned by this process, waiting, after-fork
 *   job.c             one task (worker or fork) from start to outcome, and
 *                     batches of them, each with its own concurrency limit
 *   fork_child.c      what a forked child does: run, send the outcome, _exit
 *   worker_call.c     MultiWorker::run/runMany/clear/running
 *   process.c         Process::* (chunked map/filter/reduce, run, fork, ...)
 *   fork_process.c    ForkProcess
 *   process_manager.c ProcessManager
 *   process_pool.c    ProcessPool
 */
#ifndef PHP_MULTIVERSE_H
#define PHP_MULTIVERSE_H

#include "php.h"
#include "multiverse.h"

#define PHP_MULTIVERSE_VERSION MV_VERSION_STRING

extern zend_module_entry multiverse_module_entry;
#define phpext_multiverse_ptr &multiverse_module_entry

/* ------------------------------------------------------------------------
 * Loops (loops.c)
 *
 * A loop belongs to the process that created it. Every loop the extension
 * holds for a request is on one list, so that a forked child can drop all
 * of its copies (mv_loop_forget) before it uses the library itself, and so
 * that loops left behind by a fatal error are reclaimed at request end.
 * MultiWorker's loop is the exception: the core keeps the warm pools in it
 * (mv_loop_warm_pool), and they live with the process, so it is kept apart
 * (MVPHP_G(worker_loop)).
 */
typedef struct mvphp_loop {
  mv_loop_t *loop;           /* NULL once forgotten or freed */
  pid_t owner;
  uint32_t refs;
  /* MultiWorker's loop: malloc'd and off the request's list, because the
   * warm pools in it outlive the request. */
  bool persistent;
  /* MultiWorker's loop: the core made a warm pool in it
   * (mv_loop_warm_pool), so it is kept across requests from then on. The
   * core does not say how many pools a loop holds, but it retires one only
   * to put its replacement in its place, so the loop keeps at least one
   * (unless making the replacement ran out of memory: then an empty loop
   * is kept, which costs only its fds). */
  bool warm_pools;
  struct mvphp_loop *prev, *next;
} mvphp_loop_t;

/* Create a loop with one reference; throws and returns NULL on failure. */
mvphp_loop_t *mvphp_loop_create(void);
/* Make *slot a loop this process can use: a loop of another process (an
 * object copied by a fork) is released, and a new one is created when
 * there is none. FAILURE (an exception thrown) if that fails. */
zend_result mvphp_loop_ensure(mvphp_loop_t **slot);
mvphp_loop_t *mvphp_loop_addref(mvphp_loop_t *l);
/* Drop a reference; the last one frees the loop (cancelling what still
 * runs, in the owner process; forgetting it in any other). */
void mvphp_loop_release(mvphp_loop_t *l);
/* The loop is usable by this process. */
int mvphp_loop_ours(const mvphp_loop_t *l);
/* In a forked child: forget every loop of the parent. */
void mvphp_loops_forget_all(void);
/* Request end: free every loop still on the list. */
void mvphp_loops_shutdown(void);

/* The process-wide loop MultiWorker uses, created lazily and recreated
 * when the process is not the one that created it (after pcntl_fork). The
 * core keeps the warm pools in it, so once it has one it lives across
 * requests. */
mvphp_loop_t *mvphp_worker_loop(void);
/* Request end: keep MultiWorker's loop for its warm pools, or free it
 * (it never had one, or a fatal error abandoned calls in it). */
void mvphp_worker_loop_request_end(void);
/* Module shutdown: retire the warm pools, free MultiWorker's loop. */
void mvphp_worker_loop_shutdown(void);

#define MVPHP_WAIT_EXCEPTION (-1000)
/* Wait for `task` (NULL: any completion) for up to `timeout` seconds (<0:
 * forever). Signals that interrupt the wait run PHP's interrupt handling
 * (pcntl signal handlers); if that leaves an exception pending the wait
 * returns MVPHP_WAIT_EXCEPTION. Otherwise 0, MV_ETIMEDOUT, or (task NULL
 * only) MV_EINTR after handlers ran: the caller checks its tasks again. */
int mvphp_wait(mvphp_loop_t *l, mv_task_t *task, double timeout);
/* Wait until `task` is done, whatever happens (used after a cancel). */
void mvphp_wait_done(mvphp_loop_t *l, mv_task_t *task);

/* ------------------------------------------------------------------------
 * Configuration (config.c)
 */
/* The effective configuration: INI values, overridden by configure(). */
void mvphp_config_build(mv_config_t *out);
void mvphp_config_request_shutdown(void);
void mvphp_config_configure(HashTable *options);
void mvphp_config_to_array(zval *out);

/* ------------------------------------------------------------------------
 * Exceptions (exceptions.c)
 */
extern zend_class_entry *mvphp_ce_WorkerException;
extern zend_class_entry *mvphp_ce_TimeoutException;
extern zend_class_entry *mvphp_ce_TaskException;

/* WorkerException::getCode(): the class constants of the stub, same
 * values (API.md §2). */
typedef enum {
  MVPHP_CODE_NOT_FOUND = 1,
  MVPHP_CODE_INTERPRETER_MISSING = 2,
  MVPHP_CODE_SPAWN_FAILED = 3,
  MVPHP_CODE_EXIT = 4,
  MVPHP_CODE_SIGNAL = 5,
  MVPHP_CODE_BAD_RESULT = 6,
  MVPHP_CODE_TOO_BIG = 7,
  MVPHP_CODE_LIMIT = 8,
  MVPHP_CODE_REMOTE = 9,
  MVPHP_CODE_CANCELLED = 10,
  MVPHP_CODE_TIMEOUT = 11,
  MVPHP_CODE_DISABLED = 12
} mvphp_code;

/* The code for a core status (MV_E*); `remote`: the worker's own error
 * (exception, traceback, fatal error) is known, which makes a non-zero
 * exit REMOTE. */
mvphp_code mvphp_code_of(int status, bool remote);
/* Build (not throw) the exception describing a failed report. `message`
 * NULL uses the report's own one-line message. Its code comes from the
 * report (mvphp_code_of). */
void mvphp_exception_from_report(zval *out, const mv_report_t *r, const char *message);
/* A WorkerException for a failure before anything ran (worker not found,
 * interpreter missing, fork failed, a hosting restriction). */
void mvphp_exception_simple(zval *out, zend_class_entry *ce, const char *worker,
                            const char *driver, mvphp_code code, const char *message);
/* Throw a WorkerException with `code`, no worker, and a formatted message. */
void mvphp_throw_code(mvphp_code code, const char *driver, const char *fmt, ...)
    ZEND_ATTRIBUTE_FORMAT(printf, 3, 4);
void mvphp_exception_set_code(zval *ex, mvphp_code code);
/* TaskException from the record a child sent about an exception. */
void mvphp_task_exception(zval *out, const mv_report_t *r, HashTable *record,
                          int serialize_failure);
/* TaskException for an exception a closure threw in this process, where
 * the API runs it as part of a forked operation (reduce's final fold):
 * the same class, message and fields as from a child, task `name`, driver
 * "fork", no exit code (no process ended). */
void mvphp_task_exception_here(zval *out, zend_object *ex, const char *name);
/* WorkerException for a PHP fatal error that ended a forked child. */
void mvphp_fatal_exception(zval *out, const mv_report_t *r, const char *type, const char *msg,
                           const char *file, long line);
void mvphp_exception_set_errors(zval *ex, zval *errors);
void mvphp_exception_set_timeout(zval *ex, double timeout);
/* Throw an exception zval (takes a new reference). */
void mvphp_throw(zval *ex);

/* ------------------------------------------------------------------------
 * Hosting restrictions (hosting.c): what the server's configuration
 * forbids. Each check returns SUCCESS, or FAILURE with a WorkerException
 * (code DISABLED) thrown that names the entry point and the directive.
 */
/* multiverse.enabled: every entry point. */
zend_result mvphp_hosting_enabled(void);
/* Starting worker processes (MultiWorker::run/runMany): enabled, and
 * proc_open not in disable_functions. */
zend_result mvphp_hosting_spawn(void);
/* Forking this process (the Process family): enabled, pcntl_fork not in
 * disable_functions, multiverse.allow_fork. */
zend_result mvphp_hosting_fork(void);
/* The same as a yes/no, throwing nothing (Process::isSupported). */
bool mvphp_hosting_fork_allowed(void);
/* open_basedir: the workers_path of cfg, the worker's entry file and the
 * program exec'd for it (its interpreter, or the executable `main`) must
 * be inside it. `w` is the resolved worker (NULL: check workers_path
 * only). */
zend_result mvphp_hosting_paths(const mv_config_t *cfg, const char *name, const mv_worker_t *w);
/* multiverse.lock_config: configure() may not set option `key`. */
zend_result mvphp_hosting_configure(const char *key);

/* ------------------------------------------------------------------------
 * JSON (payload.c)
 */
/* Encode a worker payload: [] -> "{}". On failure throws ValueError naming
 * the argument and returns NULL. */
zend_string *mvphp_payload_encode(zval *payload, uint32_t arg_num, const char *entry);
/* Take `_timeout` out of a payload (a copy is made when it is present).
 * *timeout is set when the key holds a number; returns FAILURE (with a
 * ValueError/TypeError thrown) on a bad value. */
zend_result mvphp_payload_take_timeout(zval *payload, zval *copy, double *timeout,
                                       uint32_t arg_num, const char *entry);
/* Decode a worker result; on failure returns FAILURE and sets *why. */
zend_result mvphp_result_decode(zval *out, const char *data, size_t len, const char **why);
/* Validate a timeout argument (seconds, finite, >= 0); throws ValueError. */
zend_result mvphp_check_timeout_arg(double t, uint32_t arg_num);
/* A string as an error message shows it: at most `max` bytes of s, with
 * NUL, control characters, '"' and '\' escaped as in a JSON or C string
 * ("a\0b"). PHP's messages are C strings and would end at a NUL, hiding
 * what was actually given. */
zend_string *mvphp_printable(const char *s, size_t len, size_t max);

/* ------------------------------------------------------------------------
 * Array keys
 */
/* The key of a hash table entry as a zval (string or integer). */
static inline void mvphp_key_zval(zval *out, zend_string *skey, zend_ulong ikey) {
  if (skey) ZVAL_STR_COPY(out, skey);
  else ZVAL_LONG(out, (zend_long)ikey);
}

/* arr[key] = v, taking over the reference in v; key is a string or an
 * integer zval (as mvphp_key_zval makes). */
static inline void mvphp_array_put(zval *arr, zval *key, zval *v) {
  if (Z_TYPE_P(key) == IS_STRING) zend_hash_update(Z_ARRVAL_P(arr), Z_STR_P(key), v);
  else zend_hash_index_update(Z_ARRVAL_P(arr), (zend_ulong)Z_LVAL_P(key), v);
}

/* ------------------------------------------------------------------------
 * Jobs (job.c): one task, worker or fork, from start to outcome.
 *
 * QUEUED is a fork handed to the core's FIFO (mv_task_reserve) that has
 * not been forked yet: it runs nothing, and to the user it has not
 * started. A worker waiting in the loop's FIFO is RUNNING: the core starts
 * it by itself.
 */
typedef enum {
  MVPHP_JOB_NEW = 0,
  MVPHP_JOB_RUNNING = 1,
  MVPHP_JOB_DONE = 2,
  MVPHP_JOB_QUEUED = 3
} mvphp_job_state;
typedef enum { MVPHP_JOB_WORKER = 0, MVPHP_JOB_FORK = 1 } mvphp_job_kind;

/* Runs in the forked child: fill *result, or leave an exception pending. */
typedef void (*mvphp_child_body)(void *arg, zval *result);

/* What a fork runs and how: kept in the job while it is QUEUED. */
typedef struct {
  mvphp_child_body body;
  void *arg;
  double timeout;            /* < 0: the configured timeout */
  const char *name;          /* static */
} mvphp_fork_spec_t;

typedef struct {
  mvphp_job_kind kind;
  mvphp_job_state state;
  mvphp_loop_t *lw;          /* reference held while QUEUED or RUNNING */
  mv_task_t *task;
  mv_batch_t *batch;         /* while mvphp_jobs_run() starts it: its batch, or NULL */
  mvphp_fork_spec_t fork;    /* QUEUED */
  bool has_slot;             /* QUEUED: its turn came; fork it now */
  pid_t owner;               /* the process that started it */
  pid_t pid;                 /* the task's root process, once known */
  zend_long exit_code;       /* valid when DONE and has_exit_code */
  int has_exit_code;
  int signal;                /* when DONE: signal that ended it, or 0 */
  zval value;                /* DONE: the result (UNDEF on failure) */
  zval error;                /* DONE: the exception (UNDEF on success) */
  double wait_timeout;       /* ForkProcess::wait() timeout that killed it, or 0 */
} mvphp_job_t;

void mvphp_job_init(mvphp_job_t *j, mvphp_job_kind kind);
/* End a job that could not start: DONE, with a WorkerException saying
 * `message`, its code that of the core's `status`. */
void mvphp_job_fail(mvphp_job_t *j, const char *name, const char *driver, int status,
                    const char *message);
/* Start a worker (through `pool` when it is warm). Failures that happen
 * before anything runs (not found, missing interpreter) leave the job DONE
 * with the error set. */
void mvphp_job_start_worker(mvphp_job_t *j, mvphp_loop_t *lw, const mv_config_t *cfg,
                            const char *name, zend_string *payload, double timeout,
                            mv_pool_t *pool);
/* The driver of worker `name` for an error that happened before it ran:
 * "python" ... "exec" when it was found (its interpreter may be what is
 * missing), "" when it was not. */
const char *mvphp_worker_driver(const mv_config_t *cfg, const char *name);
/* Fork a child that runs spec->body(spec->arg) now, even beyond the
 * limits (ForkProcess::start). Returns only in the parent. A failed
 * fork leaves the job DONE with the error set. */
void mvphp_job_start_fork(mvphp_job_t *j, mvphp_loop_t *lw, const mvphp_fork_spec_t *spec);
/* The same in its turn of its batch (j->batch): forked now if a slot is free,
 * else QUEUED until mvphp_jobs_wait() forks it. */
void mvphp_job_queue_fork(mvphp_job_t *j, mvphp_loop_t *lw, const mvphp_fork_spec_t *spec);
/* Not started yet, to the user: NEW or QUEUED. */
static inline int mvphp_job_unstarted(const mvphp_job_t *j) {
  return j->state == MVPHP_JOB_NEW || j->state == MVPHP_JOB_QUEUED;
}
/* Take back a job that has not started (QUEUED, or a worker still in the
 * loop's FIFO): it is NEW again, as if never handed over. */
void mvphp_job_withdraw(mvphp_job_t *j);
/* If the task is done, collect its outcome. Returns 1 when DONE. */
int mvphp_job_poll(mvphp_job_t *j);
/* The job belongs to another process (a copy after fork). */
int mvphp_job_foreign(const mvphp_job_t *j);
/* Kill the job's tree and wait until it is gone, then collect. */
void mvphp_job_cancel_wait(mvphp_job_t *j);
/* Release everything; a running job's tree is killed first. */
void mvphp_job_dispose(mvphp_job_t *j);
/* Learn the root pid of a running task (waits briefly for the supervisor's
 * report that it started). */
pid_t mvphp_job_pid(mvphp_job_t *j);

/* A batch's `progress` callable (API.md §2): called in the parent as
 * callable(int $done, int $total) each time more of the batch has ended,
 * failures included. Job i counts weights[i] items (NULL: 1 each; a map
 * chunk counts its items); total is their sum. An exception it throws
 * stops the batch: nothing more starts, what runs is killed and waited
 * for, and the exception goes on (the jobs' own outcomes are dropped). */
typedef struct {
  zend_fcall_info fci;
  zend_fcall_info_cache fcc;
  const size_t *weights;
  size_t total;
  size_t reported;           /* `done` of the last call */
} mvphp_progress_t;

/* Set up *p from a callable parsed with Z_PARAM_FUNC_OR_NULL; returns p,
 * or NULL when no callable was given (fci.size == 0). */
mvphp_progress_t *mvphp_progress_init(mvphp_progress_t *p, zend_fcall_info *fci,
                                      zend_fcall_info_cache *fcc, const size_t *weights,
                                      size_t n);

/* Run jobs[0..n) on lw with at most `limit` running at once, started in
 * order: a core batch with that limit and the loop's FIFO schedule them.
 * start(ctx, i) hands job i (NEW) to the core: mvphp_job_start_worker,
 * mvphp_job_queue_fork. Jobs already running on lw count in the limit. `progress` (NULL: none) is
 * told as jobs end. Returns as mvphp_jobs_wait(). */
typedef void (*mvphp_job_starter)(void *ctx, size_t i);
zend_result mvphp_jobs_run(mvphp_loop_t *lw, mvphp_job_t **jobs, size_t n, size_t limit,
                           mvphp_job_starter start, void *ctx, mvphp_progress_t *progress);
/* Wait until none of jobs[0..n) is QUEUED or RUNNING (in this process),
 * forking the QUEUED ones as their turn comes. SUCCESS when they are all
 * DONE (or NEW); FAILURE when an exception is pending (a signal handler
 * or the progress callable threw): then those not started are withdrawn
 * and the others killed. */
zend_result mvphp_jobs_wait(mvphp_loop_t *lw, mvphp_job_t **jobs, size_t n);
/* Throw the first failed job (in order) with getErrors() = key => exception
 * for every failure (only when `batch`); keys[i] names job i (NULL: use
 * i). Returns 1 if something was thrown. */
int mvphp_jobs_throw_first(mvphp_job_t **jobs, size_t n, zval *keys, int batch);

/* ------------------------------------------------------------------------
 * Forked children (fork_child.c)
 */
ZEND_NORETURN void mvphp_child_main(mv_child_t *child, mvphp_child_body body, void *arg);
/* Parent side: turn the child's blob into j->value or j->error. */
void mvphp_fork_outcome(mvphp_job_t *j, const mv_report_t *r);
/* Call a callable with arguments (list and/or named) inside the child. */
void mvphp_call(zval *callable, HashTable *args, zval *result);
/* What a TaskException is made from: the class, message, code, file, line
 * and trace (as a string) of an exception, as an array. */
void mvphp_exception_record(zval *rec, zend_object *ex);

/* ------------------------------------------------------------------------
 * Classes (process.c, fork_process.c, process_manager.c, process_pool.c)
 */
extern zend_class_entry *mvphp_ce_ForkProcess;
extern zend_class_entry *mvphp_ce_ProcessManager;
extern zend_class_entry *mvphp_ce_ProcessPool;

void mvphp_fork_process_minit(zend_class_entry *ce);
void mvphp_process_manager_minit(zend_class_entry *ce);
void mvphp_process_pool_minit(zend_class_entry *ce);

/* Create a ForkProcess object (not started) bound to a loop (NULL: its
 * own loop, made on start). */
void mvphp_fork_process_new(zval *out, zval *fn, HashTable *args, mvphp_loop_t *lw);
/* The job inside a ForkProcess object. */
mvphp_job_t *mvphp_fork_process_job(zend_object *obj);
/* Start a ForkProcess object with a per-task timeout (<0: configured), on
 * `lw` when given (the object is rebound to it), else on its own loop:
 * at once, or in its turn of its batch when `queue` (a batch; it
 * may then be QUEUED). FAILURE: an exception was thrown, or the fork
 * failed and the job holds the error (not thrown). Starting a started one
 * is a no-op; a QUEUED one started at once leaves its turn. */
zend_result mvphp_fork_process_start(zend_object *obj, double timeout, mvphp_loop_t *lw,
                                     bool queue);
/* mvphp_fork_process_start() with the configured timeout, on the loop
 * the object is bound to (else its own); on FAILURE an exception is
 * pending, a failed fork's error included. */
zend_result mvphp_fork_process_start_or_throw(zend_object *obj);
/* Signal a running job (15 and 9: the whole tree). FAILURE if not running. */
zend_result mvphp_signal_job(mvphp_job_t *j, zend_long sig);
/* A signal number argument: 1 .. NSIG-1, else ValueError. */
zend_result mvphp_check_signal_arg(zend_long sig, uint32_t arg_num);

typedef enum { MVPHP_MAP = 0, MVPHP_FILTER = 1, MVPHP_REDUCE = 2 } mvphp_chunk_mode;
/* Process::map/filter/reduce over workers children; `initial` only for
 * reduce; pfci/pfcc (NULL: none) the progress callable. */
void mvphp_chunked(zval *return_value, HashTable *items, zend_fcall_info *fci,
                   zend_fcall_info_cache *fcc, mvphp_chunk_mode mode, zval *initial,
                   zend_long workers, zend_fcall_info *pfci, zend_fcall_info_cache *pfcc);
/* Resolve a worker count argument: null -> cores; < 1 -> ValueError. */
zend_result mvphp_worker_count(zend_long *out, zend_long value, bool is_null,
                               uint32_t arg_num);
/* Resolve a concurrency limit argument: 0 -> cores; < 0 -> ValueError. */
zend_result mvphp_concurrency_limit(size_t *out, zend_long value, uint32_t arg_num);
/* Create a ProcessPool object with `workers` (already checked). */
void mvphp_process_pool_new(zval *out, zend_long workers);

/* ------------------------------------------------------------------------
 * Module globals
 */
ZEND_BEGIN_MODULE_GLOBALS(multiverse)
  /* INI storage */
  char *ini_workers_path;
  char *ini_python;
  char *ini_node;
  char *ini_php;
  char *ini_runtime_dir;
  char *ini_namespace;
  double ini_timeout;
  double ini_kill_grace;
  zend_long ini_max_output;
  bool ini_inherit_env;
  /* hosting restrictions (hosting.c) */
  bool ini_enabled;
  bool ini_allow_fork;
  bool ini_lock_config;
  /* configure() overrides for this request: fields whose bit is set in
   * override_mask replace the INI value. */
  mv_config_t overrides;
  unsigned override_mask;
  /* loops */
  mvphp_loop_t *loops;
  mvphp_loop_t *worker_loop;
ZEND_END_MODULE_GLOBALS(multiverse)

ZEND_EXTERN_MODULE_GLOBALS(multiverse)
#define MVPHP_G(v) ZEND_MODULE_GLOBALS_ACCESSOR(multiverse, v)

#if defined(ZTS) && defined(COMPILE_DL_MULTIVERSE)
ZEND_TSRMLS_CACHE_EXTERN()
#endif

#endif /* PHP_MULTIVERSE_H */
