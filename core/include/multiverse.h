/*
 * multiverse — supervised process workers.
 *
 * The public C API shared by the PHP and Python bindings and the CLI.
 *
 * Conventions (after libuv):
 *   - functions return 0 on success or a negative MV_E* code;
 *   - a thread-local detail message for the last failure is available from
 *     mv_last_error() (after libgit2's git_error_last()), so bindings can put
 *     a precise sentence into the exception they raise;
 *   - objects are opaque and created/freed by the library;
 *   - nothing here installs signal handlers, reaps children it did not
 *     start, or sets process-wide flags on the calling (host) process.
 *
 * Every task runs under its own supervisor process (see contain.c): the
 * supervisor is a child subreaper, enforces the timeout and limits, kills
 * the whole tree (setsid and double-fork escapees included) and follows the
 * host: if the host dies, even by SIGKILL, the tree dies.
 */
#ifndef MULTIVERSE_H
#define MULTIVERSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MV_VERSION_MAJOR 0
#define MV_VERSION_MINOR 1
#define MV_VERSION_PATCH 0
#define MV_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------
 * Errors
 */
#define MV_ERRNO_MAP(XX)                                                     \
  XX(EINVAL,    -1,  "invalid argument")                                     \
  XX(ENOMEM,    -2,  "out of memory")                                        \
  XX(ENOTFOUND, -3,  "worker not found")                                     \
  XX(ESPAWN,    -4,  "worker could not be started")                          \
  XX(EFORK,     -5,  "fork failed")                                          \
  XX(EMFILE,    -6,  "too many open files")                                  \
  XX(ETIMEDOUT, -7,  "timed out")                                            \
  XX(ECANCELED, -8,  "canceled")                                             \
  XX(EEXIT,     -9,  "worker exited with a non-zero status")                 \
  XX(ESIGNAL,   -10, "worker was killed by a signal")                        \
  XX(EPROTO,    -11, "worker result is not valid JSON")                      \
  XX(ENORESULT, -12, "worker produced no result")                            \
  XX(ETOOBIG,   -13, "worker output exceeded max_output")                    \
  XX(ELIMIT,    -14, "worker exceeded a resource limit")                     \
  XX(EREMOTE,   -15, "worker reported an error")                             \
  XX(ESUPERVISOR, -16, "supervisor failure")                                 \
  XX(EREGISTRY, -17, "registry failure")                                     \
  XX(EBUSY,     -18, "task still running")                                   \
  XX(EINTR,     -19, "interrupted")                                          \
  XX(EHOSTGONE, -20, "host process died")                                    \
  XX(ESYS,      -21, "system call failed")                                  \
  XX(EINTERP,   -22, "worker interpreter not found")

typedef enum {
#define XX(name, val, msg) MV_##name = val,
  MV_ERRNO_MAP(XX)
#undef XX
  MV_OK = 0
} mv_errno_t;

/* Static name ("MV_ETIMEDOUT") and description of an error code. */
const char *mv_err_name(int err);
const char *mv_strerror(int err);
/* Detail message of the last failure on this thread ("" if none). */
const char *mv_last_error(void);
/* Clear the thread's detail message. */
void mv_clear_error(void);

/* ------------------------------------------------------------------------
 * Configuration (one value per binding/process; the library keeps no
 * hidden copy of it).
 */
typedef enum {
  MV_CONTAIN_AUTO = 0,      /* cgroup when a delegated writable one exists, else subreaper */
  MV_CONTAIN_CGROUP = 1,    /* require cgroup v2 (fails if unavailable) */
  MV_CONTAIN_SUBREAPER = 2  /* supervisor subreaper + new session only */
} mv_containment_t;

/* Warm settings of a worker (API.md §1, "Warm workers"). */
typedef struct {
  int processes;         /* processes kept warm (>= 1) */
  int max_requests;      /* requests per process before it is replaced; 0 = no limit */
  double idle_timeout;   /* seconds idle before a process exits; 0 = never */
  double greet_timeout;  /* seconds a new process has to greet; 0 = MV_DEFAULT_GREET_TIMEOUT */
} mv_warm_t;

/* A warm process writes the greeting line {"multiverse":"ready"} on its
 * result channel before it reads a request. One that has not greeted
 * within this many seconds (or greet_timeout) does not speak the warm
 * protocol: it is killed with its tree and the requests waiting for it
 * fail at once (MV_ENORESULT, the message says why and how to fix it). */
#define MV_DEFAULT_GREET_TIMEOUT 10.0

/* A worker named in the configuration's warm settings. */
typedef struct {
  char *name;
  int warm;              /* 0: cold, whatever its multiverse.json says */
  mv_warm_t settings;
} mv_warm_entry_t;

typedef struct {
  char *workers_path;     /* directory holding workers; NULL = "." */
  char *python;           /* NULL = {workers_path}/python/venv/bin/python if present, else python3 */
  char *node;             /* NULL = "node" */
  char *php;              /* NULL = "php" */
  char *runtime_dir;      /* NULL = $XDG_RUNTIME_DIR/multiverse or /tmp/multiverse-<uid> */
  char *ns;               /* registry namespace (API.md §1, option `namespace`); NULL = "default" */
  double timeout;         /* seconds, 0 = unlimited */
  double kill_grace;      /* seconds between SIGTERM and SIGKILL */
  size_t max_output;      /* bytes kept per stream (stdout, stderr, result) */
  mv_containment_t containment;
  /* The worker's environment (API.md §1): the host's when inherit_env is
   * non-zero (the default), else only PATH, HOME, LANG, LC_*, TZ and
   * TMPDIR; then `env` ("NAME=value" strings, NULL-terminated; NULL =
   * none) adds or overrides; the MULTIVERSE_* variables come last. */
  int inherit_env;
  char **env;
  /* Workers made warm (or kept cold) by the configuration; the others
   * follow their multiverse.json. Set with mv_config_set_warm(). */
  mv_warm_entry_t *warm;
  size_t nwarm;
} mv_config_t;

#define MV_DEFAULT_KILL_GRACE 2.0
#define MV_DEFAULT_MAX_OUTPUT ((size_t)64 * 1024 * 1024)

/* Fill with defaults (all strings NULL). MULTIVERSE_CONTAINMENT in the
 * environment ("auto", "cgroup", "subreaper") sets the containment. */
void mv_config_init(mv_config_t *cfg);
/* Free strings owned by cfg (allocated with the helpers below). */
void mv_config_dispose(mv_config_t *cfg);
/* Replace a string field with a copy of value (NULL resets it). */
int mv_config_set_string(char **field, const char *value);
/* Deep copy. */
int mv_config_copy(mv_config_t *dst, const mv_config_t *src);
/* Validate numeric ranges (timeout/kill_grace finite and >= 0, ...). */
int mv_config_validate(const mv_config_t *cfg);
/* Effective runtime directory for cfg, written into buf. */
int mv_config_runtime_dir(const mv_config_t *cfg, char *buf, size_t size);
/* The namespace tasks of cfg are registered under: cfg->ns, or
 * MV_DEFAULT_NAMESPACE when it is NULL. */
#define MV_DEFAULT_NAMESPACE "default"
#define MV_NAMESPACE_MAX 64
const char *mv_config_namespace(const mv_config_t *cfg);
/* 0 if ns matches ^[A-Za-z0-9_.-]{1,64}$, else MV_EINVAL naming it. */
int mv_check_namespace(const char *ns);
/* Validate a timeout value from a binding: finite and >= 0. `what` names
 * the argument in the error detail ("timeout", "$timeout", ...). */
int mv_check_timeout(double seconds, const char *what);
/* Add or replace one `env` entry of cfg (name validated: letters, digits
 * and '_', not starting with a digit, no '='; MV_EINVAL names it). */
int mv_config_set_env(mv_config_t *cfg, const char *name, const char *value);
/* Drop every `env` entry. */
void mv_config_clear_env(mv_config_t *cfg);
/* 0 if name is a valid environment variable name (as above). */
int mv_check_env_name(const char *name);
/* Make worker `name` warm with settings (checked: processes >= 1,
 * max_requests >= 0, idle_timeout a valid duration; MV_EINVAL names the
 * setting; greet_timeout a valid duration too), or cold with settings NULL,
 * whatever its multiverse.json says. */
int mv_config_set_warm(mv_config_t *cfg, const char *name, const mv_warm_t *settings);
/* Drop every warm setting of the configuration. */
void mv_config_clear_warm(mv_config_t *cfg);
/* Whether worker `name` is warm for cfg, and how: the configuration's
 * setting, else its multiverse.json. 1 (out filled), 0 (cold), or
 * negative (a malformed multiverse.json). */
int mv_config_warm(const mv_config_t *cfg, const char *name, mv_warm_t *out);
/* 1 if two configurations start a worker the same way (everything but the
 * timeout and the warm settings; env compared as a set), else 0. */
int mv_config_same_start(const mv_config_t *a, const mv_config_t *b);

/* ------------------------------------------------------------------------
 * Worker lookup (API.md §1).
 */
typedef enum {
  MV_DRIVER_PYTHON = 0,
  MV_DRIVER_NODE = 1,
  MV_DRIVER_PHP = 2,
  MV_DRIVER_EXEC = 3,
  MV_DRIVER_FORK = 4
} mv_driver_t;

const char *mv_driver_name(mv_driver_t d);   /* "python", "node", ... */

/* 0 if name matches ^[A-Za-z0-9_-]+$ (and is at most 255 bytes). */
int mv_validate_worker_name(const char *name);

typedef struct {
  mv_driver_t driver;
  char *script;          /* absolute path of the entry file */
  char *dir;             /* the worker's directory: its cwd */
  char **argv;           /* NULL-terminated argv to exec */
  char *warm_config;     /* contents of multiverse.json if present, else NULL */
} mv_worker_t;

/* Find a worker by name; MV_ENOTFOUND names every path tried, MV_EINTERP
 * names the driver's interpreter that is missing (or not executable) and
 * leaves out->driver set (the rest of *out is empty). */
int mv_worker_resolve(const mv_config_t *cfg, const char *name, mv_worker_t *out);
void mv_worker_dispose(mv_worker_t *w);

/* ------------------------------------------------------------------------
 * Reports: what a task did.
 */
typedef struct {
  char *file;
  long line;
  char *function;
} mv_frame_t;

typedef struct {
  char *type;            /* "ValueError", "TypeError", "RuntimeException"; NULL if none found */
  char *message;
  mv_frame_t *frames;    /* outermost first, as Python prints them */
  size_t nframes;
  char *language;        /* "python", "node", "php" */
} mv_remote_error_t;

/* Parse a Python traceback, Node stack or PHP fatal error out of text.
 * Returns 1 if an error was found, 0 if not, negative on failure. Never
 * reads past len; text need not be NUL-terminated. */
int mv_remote_error_parse(const char *text, size_t len, mv_remote_error_t *out);
void mv_remote_error_dispose(mv_remote_error_t *e);

typedef struct {
  char *data;            /* NUL-terminated for convenience; may hold NULs */
  size_t len;
  int truncated;         /* more bytes were produced than kept */
  size_t total;          /* bytes produced */
} mv_buf_t;

typedef enum {
  MV_END_EXITED = 0,     /* process exited by itself */
  MV_END_SIGNALED = 1,   /* died from a signal it did not get from us */
  MV_END_TIMEOUT = 2,    /* killed at its deadline */
  MV_END_CANCELED = 3,   /* killed by mv_task_cancel() */
  MV_END_CLEARED = 4,    /* killed by clear() from some process */
  MV_END_LIMIT = 5,      /* killed for exceeding max memory or cpu */
  MV_END_HOSTGONE = 6,   /* host died (only seen by the supervisor) */
  MV_END_SPAWN_FAILED = 7,
  MV_END_IDLE = 8        /* persistent task ended after its idle timeout */
} mv_end_t;

typedef enum {
  MV_RESULT_NONE = 0,
  MV_RESULT_CHANNEL = 1, /* fd 3 */
  MV_RESULT_STDOUT = 2,
  MV_RESULT_PIPE = 3     /* forked function's result blob */
} mv_result_source_t;

typedef struct {
  int status;            /* MV_OK or the MV_E* that describes the outcome */
  mv_end_t end;
  int exit_code;         /* -1 when killed by a signal */
  int signal;            /* 0 when exited */
  int spawn_errno;       /* errno of a failed exec (ENOENT, EACCES, ...) */
  char *spawn_what;      /* which file failed to exec */
  double elapsed;        /* seconds from start to exit */
  double timeout;        /* the effective timeout (0 = none) */
  long maxrss_kb;
  double utime, stime;   /* seconds */
  int leftovers;         /* processes left behind after exit that were killed */
  int breached;          /* processes of the task found outside its cgroup leaf
                            (they had moved themselves out; killed all the same) */
  const char *tier;      /* "cgroup" or "subreaper" */
  char limit[64];        /* which limit was exceeded ("memory", "cpu") */
  pid_t pid;             /* the task's root process */
  char task_id[40];
  char *worker;          /* worker name (or task name for forks) */
  mv_driver_t driver;
  mv_buf_t out;          /* stdout */
  mv_buf_t err;          /* stderr */
  mv_buf_t result;       /* result bytes (fd 3, stdout, or fork pipe) */
  mv_result_source_t result_source;
  mv_remote_error_t remote;   /* parsed from the structured error or stderr */
  char *message;         /* one-line description of a failure, "" on success */
} mv_report_t;

void mv_report_dispose(mv_report_t *r);

/* ------------------------------------------------------------------------
 * Tasks and the loop.
 *
 * A loop is one epoll set driven by the thread that calls mv_loop_wait().
 * Any number of tasks can run in one loop. A loop belongs to the process
 * that created it: after fork() the child must call mv_loop_forget() on
 * the copy (which closes its fds without touching the parent's tasks, and
 * leaves its memory unfreed: see mv_loop_forget) and use a new loop.
 */
typedef struct mv_loop_s mv_loop_t;
typedef struct mv_task_s mv_task_t;
typedef struct mv_batch_s mv_batch_t;
typedef struct mv_pool_s mv_pool_t;
typedef void (*mv_done_cb)(mv_task_t *task, void *data);
typedef void (*mv_start_cb)(mv_task_t *task, void *data);

typedef struct {
  double timeout;          /* seconds; <0 = use cfg->timeout; 0 = none */
  long max_memory_kb;      /* 0 = none */
  long max_cpu_secs;       /* 0 = none */
  const char *task_id;     /* NULL = generated */
  const char *name;        /* report/registry name for forks (NULL = "fork") */
  mv_done_cb on_done;      /* called from mv_loop_wait() when the task ends */
  void *data;
  unsigned flags;          /* mv_task_flag_t */
  unsigned fork_flags;     /* mv_fork_flag_t */
  /* Persistent tasks (MV_TASK_PERSISTENT) only: */
  void (*on_message)(mv_task_t *task, const char *msg, size_t len, void *data);
  double idle_timeout;     /* the supervisor ends the task after this long idle; 0 = never */
  /* Reserved tasks (mv_task_reserve) only: called when a task that waited
   * gets its slot; the binding then forks it (mv_task_fork_reserved). */
  mv_start_cb on_start;
  /* The batch the task belongs to (mv_batch_new), or NULL: its limit
   * holds the task on top of the loop's. Not for persistent tasks. */
  mv_batch_t *batch;
} mv_task_opts_t;

/* mv_task_opts_t.flags: any task. */
typedef enum {
  MV_TASK_NO_REGISTRY = 0x01u,  /* do not record in runtime_dir */
  /* A long-lived task that serves requests (the processes of pools):
   * requests go in through mv_task_send() and each complete message on
   * the result channel is handed to opts.on_message. An exec'd worker gets
   * its requests on stdin and answers on fd 3, one JSON document per line
   * (and MULTIVERSE_WARM=1 in its environment); a forked task reads
   * requests from mv_child_request_fd() and answers with
   * mv_child_send_frame(), both framed as an 8-byte little-endian length
   * followed by the bytes. */
  MV_TASK_PERSISTENT = 0x02u
} mv_task_flag_t;

/* mv_task_opts_t.fork_flags: forked tasks only. */
typedef enum {
  MV_FORK_CAPTURE = 0x01u,      /* capture stdout/stderr instead of inheriting them */
  /* The task does not keep the host's close-on-exec pipe ends: each is
   * pointed at /dev/null before the caller's code runs (the fd number
   * stays taken, so nothing reuses it). A host whose other threads run
   * subprocesses needs this: a pipe another thread made for a child it is
   * starting would otherwise stay open in the task, and that thread would
   * wait for its end-of-file until the task ended. The task's own
   * channels are kept. */
  MV_FORK_CLOSE_PIPES = 0x02u
} mv_fork_flag_t;

/*
 * The concurrency limit: at most `limit` tasks of a loop run at once, and
 * the others wait their turn in one FIFO, whatever their kind: exec'd
 * workers (mv_task_spawn_worker/argv), requests to a pool (mv_pool_call)
 * and forks that wait for a slot (mv_task_reserve). A task that waits is a
 * task like any other (wait for it, cancel it, free it; its timeout and
 * elapsed time count from when it starts); mv_task_queued() says it has
 * not started yet. A queued exec'd worker that cannot start when its turn
 * comes ends with MV_END_SPAWN_FAILED. Persistent tasks (the processes of
 * pools) are not counted, and mv_task_fork() starts at once, counted even
 * beyond the limit. Queued tasks start from whatever call freed a slot
 * (mv_loop_wait, mv_task_cancel, mv_task_free, mv_loop_set_limit), which
 * is also where on_start of a reserved task is called.
 */
int mv_loop_new(mv_loop_t **out);
/* Cancel every task, wait for their trees to die, free everything. */
void mv_loop_free(mv_loop_t *loop);
/* In a forked child: drop the parent's loop without signalling anything.
 * Its fds are closed; its memory (tasks, pools) is kept, reachable, and
 * never freed: freeing it would copy every page it sits on from the
 * parent. Neither the loop nor its tasks may be used afterwards. */
void mv_loop_forget(mv_loop_t *loop);
/* The pid that owns this loop. */
pid_t mv_loop_owner(const mv_loop_t *loop);
/* Tasks started and not yet collected by mv_task_free(). */
size_t mv_loop_active(const mv_loop_t *loop);
/* Set the loop's concurrency limit (0 = none, the default; >= 0).
 * Raising it starts waiting tasks at once. */
int mv_loop_set_limit(mv_loop_t *loop, int limit);
int mv_loop_limit(const mv_loop_t *loop);
/* Tasks waiting for a slot. */
size_t mv_loop_queued(const mv_loop_t *loop);

/* A batch: tasks of one loop given a concurrency limit of their own
 * (opts.batch), as a call that starts many at once with "at most N at a
 * time" needs. A task of a batch starts when the loop has a slot and so
 * does its batch; it waits in the same FIFO as every other task, but a
 * full batch holds back only its own tasks: batches started one inside
 * another (a callback's batch while the caller's waits) each keep their
 * limit, and neither changes the loop's. limit >= 1. mv_batch_free() lets
 * go of it: tasks still in it keep it (those waiting start under its
 * limit) and it is freed with the last of them; it may be called after
 * the loop is freed. */
int mv_batch_new(mv_loop_t *loop, int limit, mv_batch_t **out);
int mv_batch_limit(const mv_batch_t *batch);
/* Count a task of the batch's loop that holds a slot (one started, or a
 * reserved fork given its slot) in the batch from now on, instead of the
 * batch it was in (whose next task may then start): "processes started by
 * hand count" in a batch's limit. Returns 1 if it was added, 0 if it was
 * already in it or holds no slot (it waits, or ended: left as it is). */
int mv_batch_add(mv_batch_t *batch, mv_task_t *task);
void mv_batch_free(mv_batch_t *batch);
/* An fd that becomes readable when mv_loop_wait() has work (for asyncio
 * or external loops). */
int mv_loop_fd(const mv_loop_t *loop);

/* Make a concurrent mv_loop_wait() (in another thread) return MV_EINTR.
 * Safe to call from any thread. */
int mv_loop_wakeup(mv_loop_t *loop);

/* Run the loop until `task` is done (or, when NULL, until any task is
 * done or a persistent task's message was handed to its on_message), or
 * until timeout seconds pass (<0 = forever, 0 = poll once). Returns 0 when
 * the awaited event happened, MV_ETIMEDOUT, or MV_EINTR when a signal
 * interrupted the wait (the binding checks its signal handlers and calls
 * again). */
int mv_loop_wait(mv_loop_t *loop, mv_task_t *task, double timeout);

/* Start a worker (API.md §1): resolve, exec under a supervisor, payload on
 * stdin. Fails before anything starts on a bad name, missing worker or bad
 * option. */
int mv_task_spawn_worker(mv_loop_t *loop, const mv_config_t *cfg,
                         const char *name, const char *payload, size_t len,
                         const mv_task_opts_t *opts, mv_task_t **out);

/* Start an arbitrary argv (used by tests and the CLI's exec driver). */
int mv_task_spawn_argv(mv_loop_t *loop, const mv_config_t *cfg,
                       char *const argv[], const char *cwd,
                       const char *payload, size_t len,
                       const mv_task_opts_t *opts, mv_task_t **out);

/* Fork the calling process into a supervised task.
 *
 * Returns 0 in the parent (with *out set), MV_FORK_CHILD in the child (with
 * *child set), or a negative error. In the child the caller runs its work,
 * sends the result with mv_child_send() and ends with mv_child_exit(): the
 * child never returns into the host's shutdown path. Language bindings wrap
 * this call with their own before/after-fork hooks. */
#define MV_FORK_CHILD 1
typedef struct mv_child_s mv_child_t;
int mv_task_fork(mv_loop_t *loop, const mv_config_t *cfg,
                 const mv_task_opts_t *opts, mv_task_t **out,
                 mv_child_t **child);
/* A fork that waits for its turn in the loop's limit. Returns 1 if the task
 * holds a slot now (fork it at once with mv_task_fork_reserved()), 0 if it
 * waits in the FIFO (opts.on_start(task, data) is called when it gets its
 * slot; fork it then, from whatever thread may fork), or a negative error.
 * opts sets on_done, data, task_id and name; the fork's own options are
 * given to mv_task_fork_reserved(). Until then the task runs nothing: a
 * binding that cannot fork it must still call mv_task_fork_reserved() or
 * cancel it, or its slot stays taken. */
int mv_task_reserve(mv_loop_t *loop, const mv_task_opts_t *opts, mv_task_t **out);
/* Fork a reserved task that holds its slot: like mv_task_fork() (same
 * return values; opts gives timeout, limits and flags). On failure the
 * task ends at once with the error as its report (MV_END_SPAWN_FAILED),
 * and its on_done is called. */
int mv_task_fork_reserved(mv_task_t *task, const mv_config_t *cfg,
                          const mv_task_opts_t *opts, mv_child_t **child);
/* Append bytes to the child's result blob (blocking, any size). */
int mv_child_send(mv_child_t *child, const void *buf, size_t len);
/* End the child: _exit(code) without running atexit or destructors. */
void mv_child_exit(mv_child_t *child, int code) __attribute__((noreturn));

/* Persistent tasks: queue one request (framed as described above; for
 * line framing, newlines in msg are replaced by spaces, which is harmless
 * in JSON). Never blocks: the loop writes it as the task reads. */
int mv_task_send(mv_task_t *task, const void *msg, size_t len);
/* Persistent tasks: stop accepting requests; the task sees end-of-file on
 * its request channel and is expected to exit. */
int mv_task_close_input(mv_task_t *task);
/* Persistent tasks: arm a deadline for the request in flight (seconds;
 * 0 disarms) and mark the task busy or idle. The supervisor enforces both:
 * a missed deadline kills the tree (end MV_END_TIMEOUT), and an idle task
 * is ended after opts.idle_timeout. The registry shows the state. */
int mv_task_set_busy(mv_task_t *task, int busy, double deadline);
/* Persistent tasks: drop what stdout/stderr captured so far (the next
 * request starts with empty buffers) and take it into out/err. */
int mv_task_take_output(mv_task_t *task, mv_buf_t *out, mv_buf_t *err);

/* Fork child of a persistent task: read requests here, answer with
 * mv_child_send_frame(). */
int mv_child_request_fd(const mv_child_t *child);
int mv_child_send_frame(mv_child_t *child, const void *buf, size_t len);
/* Fork child of a persistent task, after each request: kill and reap
 * every process the request left behind, as a supervisor does when a task
 * ends (the task's root is a child subreaper, so they are all its
 * descendants). Returns how many were killed; with none (the usual case)
 * it costs one system call. */
int mv_child_end_request(mv_child_t *child);

/* Kill the task's tree (SIGTERM, grace, SIGKILL). Returns at once; the
 * task ends with MV_END_CANCELED. Returns 1 if a kill was sent, 0 if the
 * task had already ended. */
int mv_task_cancel(mv_task_t *task);
/* Send a signal to the task's root process (ForkProcess::kill with a
 * non-default signal). SIGTERM/SIGKILL go to the whole tree via cancel. */
int mv_task_signal(mv_task_t *task, int signum);
int mv_task_done(const mv_task_t *task);
/* 1 while the task waits for a slot of the loop's limit (or, reserved,
 * for the binding to fork it). */
int mv_task_queued(const mv_task_t *task);
/* 1 while the task waits for a slot: its turn has not come (a reserved
 * task given its slot is being started, not waiting). */
int mv_task_waiting(const mv_task_t *task);
/* The task's root process (-1 until it runs); for a pool's request, the
 * process serving it (-1 while it waits for one). */
pid_t mv_task_pid(const mv_task_t *task);
const char *mv_task_id(const mv_task_t *task);
void *mv_task_data(const mv_task_t *task);
/* Monotonic seconds since the task started (frozen once it ends). */
double mv_task_elapsed(const mv_task_t *task);
/* The report; NULL until done. Owned by the task. */
const mv_report_t *mv_task_report(const mv_task_t *task);
/* Move the report out of the task (caller disposes it). */
int mv_task_take_report(mv_task_t *task, mv_report_t *out);
/* Free a task. A running task is canceled and waited for first. */
void mv_task_free(mv_task_t *task);

/* Convenience: run one worker to completion in a private loop. */
int mv_run_worker(const mv_config_t *cfg, const char *name,
                  const char *payload, size_t len, double timeout,
                  mv_report_t *out);

/* ------------------------------------------------------------------------
 * A loop shared by threads.
 *
 * The loop and its tasks are single-threaded. A scheduler makes one loop
 * usable from any thread: take its lock (mv_sched_lock, which wakes the
 * thread driving the loop so that it steps aside) around any mv_* call on
 * its loop, tasks and pools. With the event thread (mv_sched_start_thread)
 * the loop is always driven, and the callbacks of its tasks and pools
 * (on_done, on_start, on_need, on_message) run on that thread with the
 * lock held: they may use the loop directly, and must not block or take
 * the lock. Without it, mv_sched_wait() drives the loop in the caller.
 */
typedef struct mv_sched_s mv_sched_t;
int mv_sched_new(mv_sched_t **out);
mv_loop_t *mv_sched_loop(mv_sched_t *sched);
int mv_sched_start_thread(mv_sched_t *sched);
void mv_sched_lock(mv_sched_t *sched);
void mv_sched_unlock(mv_sched_t *sched);
/* Wait until `task` is done (or, when NULL, until a round of the loop:
 * some task ended or a message arrived), or timeout seconds (<0 =
 * forever). 0, MV_ETIMEDOUT, MV_EINTR (a signal, or mv_sched_wakeup()). */
int mv_sched_wait(mv_sched_t *sched, mv_task_t *task, double timeout);
/* Wait until done(arg) is true, for any number of threads at once: with
 * the event thread each sleeps until a round ends; without it one of
 * them drives the loop while the others sleep, and the next takes over
 * when it stops (its own wait is over, or its timeout). done() is called
 * with or without the lock and must only read state a callback wrote
 * (atomically): a task object's "ended" flag, not the core task, which
 * its on_done may free. Returns 0 once done, MV_ETIMEDOUT, MV_EINTR
 * (mv_sched_wakeup()), or a loop error. A signal does not end the wait:
 * a binding that must handle signals waits in short timeouts. */
typedef int (*mv_sched_done_fn)(void *arg);
int mv_sched_wait_until(mv_sched_t *sched, mv_sched_done_fn done, void *arg, double timeout);
/* Make threads in mv_sched_wait() look again (any thread). */
int mv_sched_wakeup(mv_sched_t *sched);
/* Called after every round of the loop by the thread driving it, with the
 * lock held (the event thread, or a thread in mv_sched_wait()): the place
 * to pick up work other threads queued without taking the lock. Like the
 * callbacks, it must not block or take the lock. NULL removes it. */
typedef void (*mv_sched_round_fn)(void *data);
void mv_sched_on_round(mv_sched_t *sched, mv_sched_round_fn fn, void *data);
/* Non-zero once the event thread has stopped because its loop failed
 * (epoll itself: no task's fault). It runs the round hook one last time
 * when that happens, so a binding can look from there; mv_sched_wait()
 * returns MV_ESYS from then on. Any thread. */
int mv_sched_failed(const mv_sched_t *sched);
/* End the current round soon (any thread, without the lock): the round
 * hook runs. Cheaper than mv_sched_lock() + unlock. */
int mv_sched_poke(mv_sched_t *sched);

/* Requests to a pool handed over without the lock, from any thread.
 * mv_sched_request() makes one (not in the loop yet: opts gives timeout,
 * task_id, data, on_done, batch, and on_start, called under the lock when
 * the loop takes it in, before anything else happens to it); the caller
 * may note the task, then hands it over with mv_sched_submit(), after
 * which it belongs to the loop like any other task. Whoever holds the
 * lock next (mv_sched_lock first thing, the driver after each round)
 * passes it to the scheduler's pool (mv_sched_set_pool, lock held), in
 * the order they were handed over, as mv_pool_call() would; without a
 * pool it ends at once (MV_EINVAL, MV_END_SPAWN_FAILED), and one still
 * waiting when the scheduler is freed ends canceled. mv_sched_submit()
 * never waits for the loop when the event thread drives it: it wakes the
 * loop only when the request could start at once. mv_sched_submitted():
 * how many are handed over and not passed on yet. */
int mv_sched_request(mv_sched_t *sched, const char *payload, size_t len,
                     const mv_task_opts_t *opts, mv_task_t **out);
void mv_sched_submit(mv_sched_t *sched, mv_task_t *req);
void mv_sched_set_pool(mv_sched_t *sched, mv_pool_t *pool);
size_t mv_sched_submitted(const mv_sched_t *sched);
/* Stop the event thread, cancel every task and wait for the trees. */
void mv_sched_free(mv_sched_t *sched);
/* In a forked child: drop the parent's copy, signalling nothing. */
void mv_sched_forget(mv_sched_t *sched);

/* ------------------------------------------------------------------------
 * Warm workers: started once, reused for many calls (API.md §1).
 *
 * A warm worker reads one JSON payload per line on stdin and answers each
 * with one JSON line on fd 3 (or the structured error object); stdout and
 * stderr stay free for logs. MULTIVERSE_WARM=1 is set in its environment.
 * A pool belongs to the loop (and so to the process) it was made with; free
 * it before the loop.
 */

/* Parse a worker's multiverse.json: 1 if it asks to be warm (out filled),
 * 0 if not (or json is NULL), MV_EINVAL if malformed. */
int mv_warm_parse(const char *json, mv_warm_t *out);

int mv_pool_new(mv_loop_t *loop, const mv_config_t *cfg, const char *name,
                const mv_warm_t *warm, mv_pool_t **out);
/* Queue one call; the returned task ends like a cold worker's (wait on it
 * with mv_loop_wait, read mv_task_report, cancel it, free it). opts may set
 * timeout, task_id, on_done and data. */
int mv_pool_call(mv_pool_t *pool, const char *payload, size_t len,
                 const mv_task_opts_t *opts, mv_task_t **out);
void mv_pool_stats(const mv_pool_t *pool, int *idle, int *busy);
/* Requests the pool took and that have not ended (waiting or in flight). */
int mv_pool_requests(const mv_pool_t *pool);

/* A pool of forked servers: processes that are forks of the host, each a
 * persistent fork task (framed requests, mv_child_request_fd() and
 * mv_child_send_frame() in the child, mv_child_end_request() after each),
 * fed by mv_pool_call() like a warm worker's. A request's report holds the
 * server's answer as its result (MV_RESULT_PIPE, status MV_OK) or, when
 * its process died (timeout, cancel, crash, clear()), why; the process is
 * then replaced on demand. The pool never forks by itself: when it wants
 * a process it calls on_need(pool, data) (from whatever call queued or
 * ended a request), and the binding forks one with mv_pool_fork(), at once
 * or later from a thread that may fork. */
typedef void (*mv_pool_need_cb)(mv_pool_t *pool, void *data);
typedef struct {
  const char *name;        /* the processes' and requests' name (reports, registry) */
  mv_warm_t size;          /* processes at most, max_requests, idle_timeout */
  unsigned flags;          /* MV_TASK_NO_REGISTRY */
  unsigned fork_flags;     /* mv_fork_flag_t */
  mv_pool_need_cb on_need;
  void *data;
} mv_fork_pool_opts_t;
int mv_pool_new_forked(mv_loop_t *loop, const mv_config_t *cfg,
                       const mv_fork_pool_opts_t *opts, mv_pool_t **out);
/* Fork one server of the pool: 0 in the host, MV_FORK_CHILD in the server
 * (which serves until its request channel ends, then mv_child_exit()), or
 * an error; requests waiting fail with it when the pool has no process
 * left to serve them. */
int mv_pool_fork(mv_pool_t *pool, mv_child_t **child);
/* Retire every process (whole trees gone when it returns). */
void mv_pool_free(mv_pool_t *pool);

/* The loop's pool of worker `name` for cfg (mv_config_warm() decides
 * whether it is warm): one per worker name and workers_path (made
 * absolute, so a later change of directory does not matter), made on
 * first use, and replaced — the old one retired — when cfg or the warm
 * settings differ from those it was made with (mv_config_same_start()).
 * The loop owns it: mv_loop_free() retires it, mv_loop_forget() forgets
 * it. Returns 1 with *out, 0 if the worker is cold, negative on error. */
int mv_loop_warm_pool(mv_loop_t *loop, const mv_config_t *cfg, const char *name,
                      mv_pool_t **out);

/* ------------------------------------------------------------------------
 * Registry of running workers (per user, any process).
 */
typedef struct {
  pid_t pid;             /* the worker's root process */
  pid_t supervisor_pid;
  pid_t host_pid;
  char worker[256];
  char task_id[40];
  char kind[16];         /* "exec", "fork", "warm" */
  char state[16];        /* "running", "idle", "busy" */
  double started_at;     /* unix time */
  /* The namespace the task was registered under (entries written by a
   * build without namespaces read as MV_DEFAULT_NAMESPACE). */
  char ns[MV_NAMESPACE_MAX + 1];
} mv_entry_t;

/* Both calls see the entries of namespace `ns` only (checked with
 * mv_check_namespace; a binding passes mv_config_namespace(cfg)), or of
 * every namespace when ns is NULL; and of every worker, or only those
 * named `worker` exactly. */

/* List live entries. Stale and corrupt entries are skipped (stale ones are
 * removed). */
int mv_registry_list(const char *runtime_dir, const char *ns, const char *worker,
                     mv_entry_t **entries, size_t *count);
/* Kill live entries' trees (SIGTERM, grace, SIGKILL, done by each entry's
 * supervisor) and wait until they are gone. *killed = number of trees. */
int mv_registry_clear(const char *runtime_dir, const char *ns, const char *worker,
                      double wait_timeout, int *killed);
/* How long beyond kill_grace a kill may take to be confirmed: whoever
 * waits for killed trees (a clear, a canceled task, a shutdown) waits
 * kill_grace + MV_KILL_MARGIN. Each tree needs at most kill_grace after
 * SIGTERM; the margin covers supervisors that are busy or slow to be
 * scheduled. */
#define MV_KILL_MARGIN 10.0

/* ------------------------------------------------------------------------
 * Misc
 */
int mv_cpu_count(void);
/* Containment tier this process would get ("cgroup" / "subreaper"). */
const char *mv_containment_probe(mv_containment_t want);

#ifdef __cplusplus
}
#endif
#endif /* MULTIVERSE_H */
