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
  PyObject *error;            /* multiverse._core.Error */
} mvpy_state;

typedef struct mvpy_task mvpy_task;

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
};

/* module.c */
mvpy_state *mvpy_state_of_type(PyTypeObject *tp);
/* Raise the Python exception for a core error code (uses mv_last_error()). */
PyObject *mvpy_raise(mvpy_state *st, int code);
/* Same with a detail message saved earlier (Python code may have run
 * since the failure and the thread's detail may be stale). */
PyObject *mvpy_raise_msg(mvpy_state *st, int code, const char *detail);
double mvpy_monotonic(void);

/* config.c: fill cfg (already mv_config_init()ed) from a mapping or None.
 * Returns 0, or -1 with an exception set. */
int mvpy_config_from(PyObject *mapping, mv_config_t *cfg);

/* report.c: a dict describing a report. */
PyObject *mvpy_report_dict(const mv_report_t *r);
PyObject *mvpy_entry_dict(const mv_entry_t *e, double now);

/* loop.c */
extern PyType_Spec mvpy_loop_spec;
void mvpy_loop_lock(mvpy_loop *l);
void mvpy_loop_unlock(mvpy_loop *l);

/* task.c */
extern PyType_Spec mvpy_task_spec;
mvpy_task *mvpy_task_create(mvpy_state *st, PyObject *name, const char *task_id);
/* Move a finished core task's report into the object and free the core
 * task. Called under the loop's mu, without the GIL. */
void mvpy_task_collect(mvpy_task *t);

#endif /* MVPY_H */
