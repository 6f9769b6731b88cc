/*
 * Batch: the core's batch (mv_batch_new) for some of a loop's tasks, with
 * a concurrency limit of their own on top of the loop's (an Executor's
 * max_workers). Loop.batch(limit) makes one; reserve(), pool_call() and
 * fork_call() take it as `batch=`. The core holds the batch's tasks back
 * in the loop's one FIFO: the binding keeps no queue of its own.
 *
 * Its memory is the core's, guarded by the loop's lock: the object lets
 * go of it (mv_batch_free) under that lock while the loop is open. A
 * closed loop may still be freeing its tasks (which drop their batch) on
 * the thread that closes it: a batch let go of meanwhile is left to that
 * thread (`orphans`), which frees it once the loop is gone. In a forked
 * child the batch is the parent's copy: nothing is freed.
 */
#include "mvpy.h"

#include <stdlib.h>

struct mvpy_batch {
  PyObject_HEAD
  mvpy_loop *loop;            /* strong reference */
  mv_batch_t *batch;
};

PyObject *mvpy_batch_new(mvpy_loop *l, int limit) {
  mvpy_state *st = mvpy_state_of_type(Py_TYPE(l));
  if (limit < 1) {
    PyErr_Format(PyExc_ValueError, "a batch's limit must be >= 1, got %d", limit);
    return NULL;
  }
  if (mvpy_loop_check(l) < 0) return NULL;
  mvpy_batch *b = PyObject_New(mvpy_batch, st->batch_type);
  if (b == NULL) return NULL;
  b->batch = NULL;
  Py_INCREF(l);
  b->loop = l;
  /* Touches nothing the loop's lock guards. */
  int r = mv_batch_new(l->loop, limit, &b->batch);
  if (r < 0) {
    Py_DECREF(b);
    return mvpy_raise(st, r);
  }
  return (PyObject *)b;
}

mv_batch_t *mvpy_batch_of(mvpy_loop *l, PyObject *obj) {
  if (obj == NULL || obj == Py_None) return NULL;
  mvpy_state *st = mvpy_state_of_type(Py_TYPE(l));
  if (!PyObject_TypeCheck(obj, st->batch_type)) {
    PyErr_Format(PyExc_TypeError, "batch must be a Batch or None, not %s", Py_TYPE(obj)->tp_name);
    return NULL;
  }
  mvpy_batch *b = (mvpy_batch *)obj;
  if (b->loop != l) {
    PyErr_SetString(PyExc_ValueError, "the batch belongs to another loop");
    return NULL;
  }
  return b->batch;
}

void mvpy_batches_orphaned_free(mvpy_loop *l) {
  pthread_mutex_lock(&l->emu);
  l->batches_unguarded = 1;
  mv_batch_t **orphans = l->orphans;
  size_t n = l->norphans;
  l->orphans = NULL;
  l->norphans = 0;
  pthread_mutex_unlock(&l->emu);
  for (size_t i = 0; i < n; i++) mv_batch_free(orphans[i]);
  free(orphans);
}

static void batch_let_go(mvpy_batch *b) {
  mvpy_loop *l = b->loop;
  if (b->batch == NULL || l->owner != mvpy_getpid()) return;
  mv_sched_t *s = mvpy_loop_lock(l);
  if (s != NULL) {
    mv_batch_free(b->batch);
    mvpy_loop_unlock(l, s);
    return;
  }
  /* Closed, or closing: its closer frees the batch once the loop is gone,
   * unless that is done already. */
  pthread_mutex_lock(&l->emu);
  int now = l->batches_unguarded;
  if (!now) {
    mv_batch_t **grown = realloc(l->orphans, (l->norphans + 1) * sizeof(*grown));
    if (grown != NULL) {
      grown[l->norphans++] = b->batch;
      l->orphans = grown;
    } /* else: out of memory, the batch's few bytes stay */
  }
  pthread_mutex_unlock(&l->emu);
  if (now) mv_batch_free(b->batch);
}

static void batch_dealloc(mvpy_batch *self) {
  PyTypeObject *tp = Py_TYPE(self);
  if (self->loop) {
    batch_let_go(self);
    Py_CLEAR(self->loop);
  }
  PyObject_Free(self);
  Py_DECREF(tp);
}

static PyObject *batch_get_limit(mvpy_batch *self, void *closure) {
  (void)closure;
  return PyLong_FromLong(self->batch ? mv_batch_limit(self->batch) : 0);
}

static PyGetSetDef batch_getset[] = {
    {"limit", (getter)batch_get_limit, NULL, "How many of its tasks run at once, at most.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot batch_slots[] = {
    {Py_tp_dealloc, batch_dealloc},
    {Py_tp_getset, batch_getset},
    {Py_tp_doc, "Tasks of a loop with a concurrency limit of their own (Loop.batch())."},
    {0, NULL},
};

PyType_Spec mvpy_batch_spec = {
    .name = "multiverse._core.Batch",
    .basicsize = sizeof(mvpy_batch),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = batch_slots,
};
