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
  PyTypeObject *batch_type;
  PyObject *error;            /* multiverse._core.Error */
} mvpy_state;

typedef struct mvpy_task mvpy_task;
typedef struct mvpy_loop mvpy_loop;
typedef struct mvpy_batch mvpy_batch;

/* A pool of forked processes (pool.c): the core's pool, and what the
 * binding counts about it. Under the loop's lock. */
typedef struct mvpy_fpool {
  struct mvpy_fpool *next;
  mvpy_loop *owner;
  mv_pool_t *pool;
  int size;                   /* processes at most */
  int need;                   /* processes it asked for (on_need) not forked yet */
  int retired;                /* takes no new request; freed once `out` is 0 */
} mvpy_fpool;

/*
 * A Loop wraps one core scheduler (mv_sched_t) and its loop. The core
 * loop is single-threaded; the scheduler's lock (mvpy_loop_lock, which
 * wakes the thread driving the loop so that it steps aside) is held
 * around every use of it. Lock order that keeps this deadlock-free:
 *   - a thread holding the GIL may block on the loop's lock;
 *   - a thread holding the loop's lock never waits for the GIL before
 *     releasing it (wait(), wait_events() and close() release the GIL
 *     before they take it).
 * The core's callbacks (on_done, on_start, on_need) run with the lock
 * held: on the event thread in event mode, else in whichever thread
 * holds it (wait(), a cancel before the start, a failed pooled call).
 * They never take the GIL: they move reports into the objects and link
 * them into the hand-off lists under `emu`. wait() sleeps in the
 * scheduler (mv_sched_wait, which drives the loop); wait_events() sleeps
 * on `ecv`, which the callbacks signal, and takes the lock only for what
 * must not run in a callback (freeing a retired pool) or what no
 * callback tells (passing on a pooled call, counting pool processes).
 *
 * close() frees the scheduler while other threads may still hold a
 * pointer to this object (a Task's `loop`): a thread counts itself in
 * `users` before it reads `sched` (mvpy_loop_use) and close() clears
 * `sched`, then waits for `users` to drop to 0 before freeing it.
 *
 * `emu` (the hand-off lists) is taken alone or under the loop's lock,
 * never the other way round, and nothing waits while holding it but on
 * `ecv`.
 */
struct mvpy_loop {
  PyObject_HEAD
  mv_sched_t *sched;          /* NULL once closed or forgotten (atomic) */
  mv_loop_t *loop;            /* its loop, NULL likewise (cleared under the lock) */
  pid_t owner;                /* process that created the loop */
  int users;                  /* threads using `sched` (atomic) */
  int closing;                /* close() has begun (atomic) */
  int threaded;               /* event mode: the event thread drives the loop (atomic) */
  mvpy_task *running;         /* under the lock: started, not ended (strong refs) */
  size_t nrunning;            /* atomic */
  /* Forgotten in a forked child with tasks still listed: they stay as they
   * are (running, referenced by the loop, which keeps itself alive) and
   * count as done; see loop_forget(). Atomic. */
  int forgotten;
  mvpy_fpool *pools;          /* under the lock: the current pool first, then retired ones */
  int handed;                 /* atomic: pooled calls handed over, not taken in yet */
  int batching;               /* atomic: calls wait for a process (ends go out in batches) */
  int procs;                  /* atomic: pool processes, as last counted */
  /* Handed over to wait() and wait_events(), under `emu`; `ecv` says
   * something is there (and that `users` dropped, for close()). */
  pthread_mutex_t emu;
  pthread_cond_t ecv;
  mvpy_task *ready, *ready_last; /* ended and collected, not handed out (strong refs) */
  size_t nready;
  double ready_since;         /* when the oldest of `ready` ended */
  mvpy_task *starts, *starts_last; /* reserved tasks whose turn came (borrowed) */
  int need;                   /* pool processes asked for, not handed out */
  int reap;                   /* a retired pool has no call left: free it */
  int procs_gone;             /* the last pool process ended (under emu) */
  int sched_failed;           /* the event thread stopped: its loop failed (under emu) */
  unsigned long py_wakes;     /* wakeup() calls ... */
  unsigned long py_seen;      /* ... of which wait_events() returned for these */
  /* Batches let go of while the loop closed, freed by its closer once the
   * loop is gone; from then on (batches_unguarded) a batch let go of is
   * freed at once. Under `emu` (batch.c). */
  mv_batch_t **orphans;
  size_t norphans;
  int batches_unguarded;
};

enum { MVPY_TASK_NEW = 0, MVPY_TASK_RUNNING = 1, MVPY_TASK_DONE = 2 };

/*
 * A Task refers to its mv_task_t only while it runs; when it finishes,
 * the loop's on_done moves the report into the Task and frees the core
 * task, so a Task object that outlives its loop never points into freed
 * memory.
 */
struct mvpy_task {
  PyObject_HEAD
  mvpy_loop *loop;            /* borrowed, set while running */
  mv_task_t *task;            /* set while running */
  mvpy_task *prev, *next;     /* links in the loop's running list, or of `ready` (next) */
  int state;
  int have_report;
  mv_report_t report;
  pid_t pid;
  double t_start;             /* CLOCK_MONOTONIC seconds */
  char task_id[40];
  PyObject *name;             /* str */
  PyObject *data;             /* free slot for the binding's bookkeeping */
  int pooled;                 /* a pooled call (pool.c): its pid is its process's of the moment */
  mvpy_task *qnext;           /* link of the loop's `starts` */
};

/* The task's state as its owner sees it: one still running in a loop
 * forgotten in a forked child is done here (loop_forget left it as it
 * was). */
static inline int mvpy_task_state(mvpy_task *t) {
  int state = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
  if (state != MVPY_TASK_RUNNING) return state;
  mvpy_loop *l = __atomic_load_n(&t->loop, __ATOMIC_ACQUIRE);
  return l && __atomic_load_n(&l->forgotten, __ATOMIC_ACQUIRE) ? MVPY_TASK_DONE : state;
}

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

/* batch.c */
extern PyType_Spec mvpy_batch_spec;
/* Loop.batch(limit). */
PyObject *mvpy_batch_new(mvpy_loop *l, int limit);
/* The core batch of a `batch=` argument (None: NULL, no error); NULL with
 * an exception when it is not a Batch of this loop. */
mv_batch_t *mvpy_batch_of(mvpy_loop *l, PyObject *obj);
/* The loop is gone (close(), after the scheduler was freed): free the
 * batches let go of meanwhile, and free later ones at once. */
void mvpy_batches_orphaned_free(mvpy_loop *l);

/* loop.c */
extern PyType_Spec mvpy_loop_spec;
/* Take the loop's lock (any thread; with the GIL or without). Returns the
 * scheduler, for mvpy_loop_unlock(), or NULL (nothing taken) once the
 * loop is closed; with the lock, l->loop is open. */
mv_sched_t *mvpy_loop_lock(mvpy_loop *l);
void mvpy_loop_unlock(mvpy_loop *l, mv_sched_t *s);
/* Use the scheduler without its lock (a wait, a wakeup): NULL once
 * closed; else mvpy_loop_unuse() when done. */
mv_sched_t *mvpy_loop_use(mvpy_loop *l);
void mvpy_loop_unuse(mvpy_loop *l);
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
/* Count `obj` as running in the loop (the lock held; the GIL is not
 * needed). The caller has given the loop its reference (Py_INCREF)
 * beforehand, and wait() or wait_events() hands it out. A pooled call is
 * linked before its core task exists: the request may end inside
 * mv_pool_call(). */
void mvpy_loop_link(mvpy_loop *l, mvpy_task *obj);
/* Undo mvpy_loop_link() when the core task could not be made (the lock
 * held); the caller drops the loop's reference once it holds the GIL. */
void mvpy_loop_unlink(mvpy_loop *l, mvpy_task *obj);
/* After mv_pool_call() made `core` for the linked `t`: point t at it,
 * unless t already ended inside the call (the lock held). */
void mvpy_loop_adopt_core(mvpy_task *t, mv_task_t *core);
/* The core's on_done for tasks of a loop (data = the mvpy_task). */
void mvpy_loop_on_done(mv_task_t *core, void *data);
PyObject *mvpy_chain_to_list(mvpy_task *chain);
/* End `t` (linked in the loop, without a core task) with an error of its
 * own (the lock held, no GIL). */
void mvpy_loop_fail(mvpy_loop *l, mvpy_task *t, int status, const char *message);

/* pool.c: event mode and the pool of forked processes (the core's pool
 * engine) */
/* Note whether calls wait for a process and how many processes the pools
 * have (the lock held; on every end and unlock). */
void mvpy_pool_settle(mvpy_loop *l);
void mvpy_pool_on_round(void *loop);
/* A task ended (from mvpy_loop_on_done): a retired pool whose calls have
 * all ended is freed soon. */
void mvpy_pool_request_ended(mvpy_loop *l);
/* The core's on_start of a reserved task: hand it to wait_events(). */
void mvpy_on_start(mv_task_t *core, void *data);
/* Hand an ended, collected task to wait() or wait_events(). */
void mvpy_hand_off(mvpy_loop *l, mvpy_task *t);
/* The ended tasks not handed out yet, as a chain (emu taken inside). */
mvpy_task *mvpy_take_ready(mvpy_loop *l);
/* Take t alone out of the hand-off list; 1 if it was there (the caller
 * then owns the loop's reference). */
int mvpy_take_ready_one(mvpy_loop *l, mvpy_task *t);
/* close() has begun: a wait_events() of another thread returns. */
void mvpy_events_close(mvpy_loop *l);
/* Free every pool (close(): their processes retired, the requests
 * canceled; a forked child: forgotten). The lock held, no GIL. */
void mvpy_pools_free(mvpy_loop *l);
/* The next pool that asked for a process (its need taken), or NULL (the
 * lock held). */
mvpy_fpool *mvpy_pool_needing(mvpy_loop *l);
/* Forked child, or closed loop: forget the events not handed out, and
 * the pools. */
void mvpy_pool_forget(mvpy_loop *l);
PyObject *mvpy_loop_wait_events(mvpy_loop *l, PyObject *args, PyObject *kwds);
PyObject *mvpy_loop_pool_setup(mvpy_loop *l, PyObject *args, PyObject *kwds);
PyObject *mvpy_loop_pool_call(mvpy_loop *l, PyObject *args, PyObject *kwds);
PyObject *mvpy_loop_get_processes(mvpy_loop *l, void *closure);

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
 * loop's lock, without the GIL. */
void mvpy_task_collect(mvpy_task *t);

#endif /* MVPY_H */
