/*
 * multiverse._core — declarations shared by the extension's files.
 *
 * The module keeps no global mutable state: the types and the exception
 * class live in the module state (after CPython's Modules/_queuemodule.c),
 * and every object reaches it through its heap type.
 */
#ifndef MVPY_H
#define MVPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "multiverse.h"

typedef struct {
  PyTypeObject *loop_type;
  PyTypeObject *task_type;
  PyTypeObject *channel_type;
  PyObject *error;            /* multiverse._core.Error */
} mvpy_state;

typedef struct mvpy_task mvpy_task;
typedef struct mvpy_loop mvpy_loop;

/* A pool of forked processes (pool.c): the core's pool, and what the
 * binding counts about it. Under the loop's mu. */
typedef struct mvpy_fpool {
  struct mvpy_fpool *next;
  mvpy_loop *owner;
  mv_pool_t *pool;
  int size;                   /* processes at most */
  int need;                   /* processes it asked for (on_need) not forked yet */
  long out;                   /* requests made and not ended */
  int retired;                /* takes no new request; freed once `out` is 0 */
} mvpy_fpool;

/*
 * A Loop wraps one mv_loop_t. The core loop is single-threaded, so every
 * use of it happens under `mu`. wait() holds `mu` while it sleeps in epoll
 * with the GIL released; any other thread that needs the loop (to fork,
 * cancel, read a pid) wakes it through the core's wakeup fd and takes `mu`
 * while holding the GIL. Lock order that keeps this deadlock-free:
 *   - a thread holding the GIL may block on `mu`;
 *   - a thread holding `mu` without the GIL never waits for the GIL before
 *     releasing `mu` (wait() and close() drop `mu` first).
 * `wmu` guards only the `loop` pointer for those wakeups, so a wakeup never
 * touches a loop that close() is freeing. `qmu` (the inbox) and `emu`
 * (events for wait_events()) are taken alone or under `mu`, never the
 * other way round, and nothing waits while holding them but on `ecv`.
 */
struct mvpy_loop {
  PyObject_HEAD
  mv_loop_t *loop;            /* NULL once closed or forgotten */
  pid_t owner;                /* process that created the loop */
  pthread_mutex_t mu;
  pthread_mutex_t wmu;
  mvpy_task *running;         /* tasks started and not finished (strong refs) */
  mvpy_task *finished;        /* finished, not yet handed out by wait() (strong refs) */
  size_t nrunning;
  int lockers;                /* threads in mvpy_loop_lock() waiting for `mu` */
  /*
   * Event mode (pool.c), entered by the first wait_events(): an I/O thread
   * of the loop, which never takes the GIL, drives the core loop (holding
   * `mu` as wait() does) and collects what happened into `ready`,
   * `starts` and `need` under `emu`; wait_events() sleeps on `ecv` and
   * hands that to Python. So the core gives pool processes their next
   * request while the Python threads fight over the GIL. A thread that
   * needs `mu` (mvpy_loop_lock) wakes the I/O thread, which waits on `hcv`
   * until no such thread is left.
   */
  pthread_t io;
  int io_started;             /* the thread runs (it clears this when it ends) */
  int io_joinable;            /* a thread was started and not joined yet */
  int io_stop, io_failed;
  int kicked;                 /* under emu: a call was handed over while no thread ran */
  pthread_cond_t hcv;         /* with mu: lockers are done, or a task was added */
  pthread_mutex_t emu;
  pthread_cond_t ecv;         /* with emu: something for wait_events() */
  mvpy_task *ready;           /* under emu: ended and collected, not yet handed out */
  size_t nready;              /* under emu: how many */
  double ready_since;         /* under emu: when the oldest was collected */
  mvpy_task *starts, *starts_last; /* under emu: reserved tasks whose turn came (borrowed) */
  int need;                   /* under emu: pool processes asked for, not handed out */
  int procs;                  /* pool processes, as last seen (atomic) */
  unsigned long py_wakes;     /* wakeup() calls ... */
  unsigned long py_seen;      /* ... of which wait_events() returned for these */
  char io_error[256];
  /* Pooled calls handed over by any thread, for whoever holds `mu` next
   * to pass to the core (mv_pool_call), in order: a caller never waits
   * for the loop. Under `qmu`. */
  pthread_mutex_t qmu;
  mvpy_task *inbox, *inbox_last;
  size_t inbox_len;
  int in_epoll;               /* the I/O thread sleeps in the core loop ... */
  int want_calls;             /* ... and a call handed over could start at once */
  mvpy_fpool *pools;          /* under mu: the current pool first, then retired ones */
};

enum { MVPY_TASK_NEW = 0, MVPY_TASK_RUNNING = 1, MVPY_TASK_DONE = 2 };

/*
 * A Task refers to its mv_task_t only while it runs; when it finishes,
 * wait() moves the report into the Task and frees the core task, so a Task
 * object that outlives its loop never points into freed memory.
 */
struct mvpy_task {
  PyObject_HEAD
  mvpy_loop *loop;            /* borrowed, set while running */
  mv_task_t *task;            /* set while running */
  mvpy_task *prev, *next;     /* links in the loop's running/finished list */
  int state;
  int have_report;
  mv_report_t report;
  pid_t pid;
  double t_start;             /* CLOCK_MONOTONIC seconds */
  char task_id[40];
  PyObject *name;             /* str */
  PyObject *data;             /* free slot for the binding's bookkeeping */
  /* A pooled call (pool.c): its request while it waits in the inbox, the
   * pool it went to (under mu, while it runs there), and the link of the
   * inbox or of the loop's `starts`. */
  char *payload;
  size_t payload_len;
  double timeout;
  mvpy_fpool *fpool;
  mvpy_task *qnext;
};

/* module.c */
mvpy_state *mvpy_state_of_type(PyTypeObject *tp);
/* Raise the Python exception for a core error code (uses mv_last_error()). */
PyObject *mvpy_raise(mvpy_state *st, int code);
/* Same with a detail message saved earlier (Python code may have run
 * since the failure and the thread's detail may be stale). */
PyObject *mvpy_raise_msg(mvpy_state *st, int code, const char *detail);
double mvpy_monotonic(void);
/* repr() of a str cut to its first 64 characters, for messages that name
 * a caller's value (which may hold NULs, escapes or megabytes). */
PyObject *mvpy_short_repr(PyObject *s);
/* Flush sys.stdout and sys.stderr, ignoring errors (a forked child before
 * it _exit()s). */
void mvpy_flush_std(void);
/* getpid() without a system call on every check (the owner checks run on
 * every pooled call): cached, and refreshed in the child of every fork(). */
pid_t mvpy_getpid(void);
/* The UTF-8 of a valid worker name (owned by the str), or NULL with a
 * TypeError/ValueError whose message starts with `what` ("" or "warm: ").
 * A NUL or a control character is refused here and shown as repr(): the
 * core would see a shorter name, or print it badly. */
const char *mvpy_worker_name(PyObject *arg, const char *what);

/* config.c: fill cfg (already mv_config_init()ed) from a mapping or None.
 * Returns 0, or -1 with an exception set. */
int mvpy_config_from(PyObject *mapping, mv_config_t *cfg);
/* The `warm` option (a dict, or None) -> mv_config_set_warm() calls,
 * replacing cfg's warm settings. Returns 0, or -1 with an exception set. */
int mvpy_config_set_warm(mv_config_t *cfg, PyObject *value);

/* report.c: a dict describing a report. */
PyObject *mvpy_report_dict(const mv_report_t *r);
PyObject *mvpy_entry_dict(const mv_entry_t *e, double now);

/* loop.c */
extern PyType_Spec mvpy_loop_spec;
void mvpy_loop_lock(mvpy_loop *l);
void mvpy_loop_unlock(mvpy_loop *l);
/* Make a thread sleeping in the core loop return (any thread; wmu taken
 * inside). */
void mvpy_loop_wakeup_core(mvpy_loop *l);
/* Publish the pids the supervisors announced so far (mu held). */
void mvpy_loop_publish_pids(mvpy_loop *l);
/* The loop is open and owned by this process. */
static inline int mvpy_loop_ours(const mvpy_loop *l) {
  return l->loop != NULL && l->owner == mvpy_getpid();
}
/* RuntimeError unless the loop is open and owned by this process. */
int mvpy_loop_check(mvpy_loop *l);
/* Parse a timeout argument: None -> -1 (the config's), else >= 0. */
int mvpy_loop_timeout(PyObject *timeout_obj, double *timeout);
/* Parse the timeout of wait()/wait_events(): None -> -1 (forever), else
 * >= 0. */
int mvpy_wait_timeout(PyObject *timeout_obj, double *timeout);
/* The core's options for a task of the loop: the timeout (< 0: the
 * config's), the task id (NULL: a new one), and `obj` as the data of the
 * loop's on_done. */
void mvpy_task_opts(mv_task_opts_t *opts, double timeout, const char *task_id, mvpy_task *obj);
/* Count `obj` as running in the loop (mu held; the GIL is not needed).
 * The caller has given the loop its reference (Py_INCREF) beforehand, and
 * wait() hands it out. A warm call is linked before its core task exists:
 * the request may end inside mv_pool_call(). */
void mvpy_loop_link(mvpy_loop *l, mvpy_task *obj);
/* Undo mvpy_loop_link() when the core task could not be made (mu held);
 * the caller drops the loop's reference once it holds the GIL again. */
void mvpy_loop_unlink(mvpy_loop *l, mvpy_task *obj);
/* The core's on_done for tasks of a loop (data = the mvpy_task). */
void mvpy_loop_on_done(mv_task_t *core, void *data);

/* pool.c: event mode and the pool of forked processes (the core's pool
 * engine), as the loop's I/O thread drives them */
/* Pass the pooled calls handed over to the core, in order (mu held, no
 * GIL needed). mvpy_loop_lock() does it for every thread that takes mu. */
void mvpy_pool_drain(mvpy_loop *l);
/* The core's on_done of a pooled call (from mvpy_loop_on_done, mu held). */
void mvpy_pool_request_ended(mvpy_task *t);
/* The core's on_start of a reserved task: hand it to wait_events(). */
void mvpy_on_start(mv_task_t *core, void *data);
/* Free every pool (close(): their processes retired, the requests
 * canceled; a forked child: forgotten). mu held, no GIL. */
void mvpy_pools_free(mvpy_loop *l);
/* The next pool that asked for a process (its need taken), or NULL (mu
 * held). */
mvpy_fpool *mvpy_pool_needing(mvpy_loop *l);
/* Forked child: forget the calls handed over and not passed on (their
 * objects, as a chain to release), the events not handed out, and the
 * pools. */
mvpy_task *mvpy_pool_forget(mvpy_loop *l);
/* Event mode: stop and join the I/O thread (owner, no GIL, mu not held);
 * in a forked child, forget it (it does not exist there). */
void mvpy_io_stop(mvpy_loop *l);
void mvpy_io_forget(mvpy_loop *l);
/* The collected-task chain not handed out yet (emu taken inside). */
mvpy_task *mvpy_take_ready(mvpy_loop *l);
PyObject *mvpy_loop_wait_events(mvpy_loop *l, PyObject *args, PyObject *kwds);
PyObject *mvpy_loop_pool_setup(mvpy_loop *l, PyObject *args, PyObject *kwds);
PyObject *mvpy_loop_pool_call(mvpy_loop *l, PyObject *args, PyObject *kwds);
PyObject *mvpy_loop_get_processes(mvpy_loop *l, void *closure);
/* loop.c helpers it uses */
mvpy_task *mvpy_loop_collect(mvpy_loop *l);
PyObject *mvpy_chain_to_list(mvpy_task *chain);
/* End `t` (linked in the loop, without a core task) with an error of its
 * own (mu held, no GIL). */
void mvpy_loop_fail(mvpy_loop *l, mvpy_task *t, int status, const char *message);

/* channel.c: the child side of a pool process */
extern PyType_Spec mvpy_channel_spec;
/* Call serve(Channel) and _exit(). Never returns. */
void mvpy_server_child(PyObject *serve, mv_child_t *child, mvpy_state *st);

/* warm.c: warm workers, through the core loop's own pools */
PyObject *mvpy_loop_warm_call(mvpy_loop *l, PyObject *args, PyObject *kwds);
PyObject *mvpy_worker_warm(PyObject *module, PyObject *args, PyObject *kwds);
PyObject *mvpy_warm_settings(PyObject *module, PyObject *warm);
PyObject *mvpy_warm_replaces(PyObject *module, PyObject *args);

/* task.c */
extern PyType_Spec mvpy_task_spec;
mvpy_task *mvpy_task_create(mvpy_state *st, PyObject *name, const char *task_id);
/* Move a finished core task's report into the object and free the core
 * task (a task without one keeps the report it has). Called under the
 * loop's mu, without the GIL. */
void mvpy_task_collect(mvpy_task *t);

#endif /* MVPY_H */
