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
#include <sys/types.h>

#include "multiverse.h"

typedef struct {
  PyTypeObject *loop_type;
  PyTypeObject *task_type;
  PyTypeObject *channel_type;
  PyObject *error;            /* multiverse._core.Error */
} mvpy_state;

typedef struct mvpy_task mvpy_task;

/* An answer of a pool server (prefork.c), queued until wait_events()
 * hands it out. `task` is borrowed: it is alive while it runs (the loop's
 * reference) and, once finished, until the same wait_events() hands it out. */
typedef struct mvpy_msg {
  struct mvpy_msg *next;
  mvpy_task *task;
  long long req;              /* the request it answers */
  double elapsed;             /* seconds from sending the request to the answer */
  size_t len;
  char data[];
} mvpy_msg;

/* A pooled call waiting for a pool server (prefork.c). */
typedef struct mvpy_req {
  struct mvpy_req *next;
  long long id;
  double timeout;             /* 0 = none */
  size_t len;
  char data[];
} mvpy_req;

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
 * touches a loop that close() is freeing.
 */
typedef struct {
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
   * Event mode (prefork.c), entered by the first wait_events(): an I/O
   * thread of the loop, which never takes the GIL, drives the core loop
   * (holding `mu` as wait() does), feeds queued pooled calls to idle pool
   * servers and collects what happened into `ready`/`msgs`/`need` under
   * `emu`; wait_events() sleeps on `ecv` and hands that to Python. So
   * servers keep getting calls while the Python threads fight over the
   * GIL. A thread that needs `mu` (mvpy_loop_lock) wakes the I/O thread,
   * which waits on `hcv` until no such thread is left.
   */
  pthread_t io;
  int io_started;             /* the thread runs (it clears this when it ends) */
  int io_joinable;            /* a thread was started and not joined yet */
  int io_stop, io_failed;
  int kicked;                 /* under emu: a call was queued while no thread ran */
  pthread_cond_t hcv;         /* with mu: lockers are done, or a task was added */
  pthread_mutex_t emu;
  pthread_cond_t ecv;         /* with emu: something for wait_events() */
  mvpy_task *ready;           /* under emu: ended and collected, not yet handed out */
  mvpy_msg *msgs, *msgs_last; /* under emu: answers of pool servers, oldest first */
  size_t nmsgs;               /* under emu: how many */
  double msgs_since;          /* under emu: when the oldest arrived */
  int need;                   /* under emu: pool servers to fork */
  unsigned long py_wakes;     /* wakeup() calls ... */
  unsigned long py_seen;      /* ... of which wait_events() returned for these */
  char io_error[256];
  /* Pooled calls waiting for a server: their own mutex, so that a caller
   * queues one without waiting for the loop. */
  pthread_mutex_t qmu;
  mvpy_req *q_head, *q_tail;  /* under qmu */
  size_t q_len;               /* under qmu */
  int in_epoll;               /* the I/O thread sleeps in the core loop ... */
  int want_calls;             /* ... and would give a queued call to a server at once */
  /* One concurrency limit for pooled calls and forked tasks: servers
   * busy + slots taken by forked tasks <= limit, less `hold` (one slot
   * kept free for forked calls waiting, so pooled calls cannot starve
   * them). Checked and counted under mu by this thread and take_slot(). */
  int limit;
  int hold;
  int forks;                  /* under mu: slots taken by forked tasks */
  int servers_max;            /* servers to keep */
  int servers_busy;           /* under mu */
} mvpy_loop;

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
  /* pool servers (prefork.c), under the loop's mu */
  int server;                 /* a persistent fork task of the pre-forked pool */
  int retiring;               /* no more requests: input closed once idle */
  int timed;                  /* a request deadline is armed in the supervisor */
  long long req;              /* request in flight, 0 = idle */
  double sent_at;
  long long ended_req;        /* request in flight when it ended, 0 = none */
  double ended_elapsed;
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

/* prefork.c: the host side of the pre-forked pool */
/* The core's on_message of a server: queue the answer, feed the server
 * its next request (mu held, no GIL). */
void mvpy_server_on_message(mv_task_t *core, const char *msg, size_t len, void *data);
/* A server ended (from the loop's on_done, mu held): note its request. */
void mvpy_server_ended(mvpy_loop *l, mvpy_task *t);
/* Free queued answers / requests. */
void mvpy_msgs_clear(mvpy_loop *l);
void mvpy_reqs_clear(mvpy_loop *l);
/* Event mode: stop and join the I/O thread (owner, no GIL, mu not held);
 * in a forked child, forget it (it does not exist there). */
void mvpy_io_stop(mvpy_loop *l);
void mvpy_io_forget(mvpy_loop *l);
/* The collected-task chain not handed out yet (emu taken inside). */
mvpy_task *mvpy_take_ready(mvpy_loop *l);
PyObject *mvpy_loop_wait_events(mvpy_loop *l, PyObject *args, PyObject *kwds);
PyObject *mvpy_loop_pool_submit(mvpy_loop *l, PyObject *args, PyObject *kwds);
PyObject *mvpy_loop_pool_cancel(mvpy_loop *l, PyObject *args, PyObject *kwds);
PyObject *mvpy_loop_pool_limits(mvpy_loop *l, PyObject *args);
PyObject *mvpy_loop_take_slot(mvpy_loop *l, PyObject *args, PyObject *kwds);
PyObject *mvpy_loop_give_slot(mvpy_loop *l, PyObject *unused);
PyObject *mvpy_loop_pool_pid(mvpy_loop *l, PyObject *arg);
PyObject *mvpy_loop_pool_stats(mvpy_loop *l, PyObject *unused);
/* loop.c helpers it uses */
mvpy_task *mvpy_loop_collect(mvpy_loop *l);
PyObject *mvpy_chain_to_list(mvpy_task *chain);

/* channel.c: the child side of a pool server */
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
 * task. Called under the loop's mu, without the GIL. */
void mvpy_task_collect(mvpy_task *t);

#endif /* MVPY_H */
