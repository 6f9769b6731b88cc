/*
 * Event loops owned by this PHP process, and waiting on them.
 *
 * Who owns which loop:
 *   - MultiWorker uses one loop per process, created on first use and
 *     recreated when getpid() no longer matches its creator (the process
 *     was forked by pcntl_fork or by us). The core keeps the warm pools in
 *     it (mv_loop_warm_pool), so it lives as long as they do: across
 *     requests (FPM workers, the CLI server), until module shutdown. It is
 *     malloc'd and referenced by nothing a request allocates;
 *   - each ForkProcess and ProcessManager object owns one (a ForkProcess
 *     made by ProcessManager::add() shares the manager's);
 *   - Process::run/map/filter/reduce and ProcessPool's methods use a
 *     private loop for the call.
 * The request's loops are on one list (module globals). A forked child
 * walks it and forgets every loop (mv_loop_forget: close its fds, leave
 * its memory as copied, signal nothing), and MultiWorker's loop with its
 * pools, because those tasks belong to the parent. Copies of objects in
 * the child see that their loop is gone or not theirs and stay inert.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <unistd.h>

#include "php.h"
#include "zend_exceptions.h"
#include "zend_execute.h"

#include "php_multiverse.h"

static void mvphp_loop_unlink(mvphp_loop_t *l) {
  if (l->prev) l->prev->next = l->next;
  else if (MVPHP_G(loops) == l) MVPHP_G(loops) = l->next;
  if (l->next) l->next->prev = l->prev;
  l->prev = l->next = NULL;
}

static mvphp_loop_t *mvphp_loop_new(bool persistent) {
  mv_loop_t *loop;
  int r = mv_loop_new(&loop);
  if (r < 0) {
    mvphp_throw_code(mvphp_code_of(r, false), "", "cannot create an event loop: %s",
                     mv_last_error());
    return NULL;
  }
  mvphp_loop_t *l = pecalloc(1, sizeof(*l), persistent);
  l->loop = loop;
  l->owner = getpid();
  l->refs = 1;
  l->persistent = persistent;
  return l;
}

mvphp_loop_t *mvphp_loop_create(void) {
  mvphp_loop_t *l = mvphp_loop_new(false);
  if (l == NULL) return NULL;
  l->next = MVPHP_G(loops);
  if (l->next) l->next->prev = l;
  MVPHP_G(loops) = l;
  return l;
}

mvphp_loop_t *mvphp_loop_addref(mvphp_loop_t *l) {
  l->refs++;
  return l;
}

int mvphp_loop_ours(const mvphp_loop_t *l) {
  return l != NULL && l->loop != NULL && l->owner == getpid();
}

zend_result mvphp_loop_ensure(mvphp_loop_t **slot) {
  if (*slot && !mvphp_loop_ours(*slot)) {
    mvphp_loop_release(*slot);
    *slot = NULL;
  }
  if (*slot == NULL && (*slot = mvphp_loop_create()) == NULL) return FAILURE;
  return SUCCESS;
}

/* Free the core loop: in its owner this cancels what still runs and waits
 * for those trees to die; anywhere else the core only forgets it. */
static void mvphp_loop_close(mvphp_loop_t *l) {
  if (l->loop == NULL) return;
  mv_loop_t *loop = l->loop;
  l->loop = NULL;
  if (l->owner == getpid()) mv_loop_free(loop);
  else mv_loop_forget(loop);
}

void mvphp_loop_release(mvphp_loop_t *l) {
  if (l == NULL || --l->refs > 0) return;
  mvphp_loop_close(l);
  if (!l->persistent) mvphp_loop_unlink(l);
  if (MVPHP_G(worker_loop) == l) MVPHP_G(worker_loop) = NULL;
  pefree(l, l->persistent);
}

/* Drop MultiWorker's loop with its pools. In the owner the core retires
 * the pools' processes (mv_loop_free) and kills what else runs in the
 * loop; in a forked child both are forgotten (mv_loop_forget). `abandoned`:
 * the other references were held by calls a fatal error cut short, whose
 * memory went with the request. */
static void mvphp_worker_loop_drop(bool abandoned) {
  mvphp_loop_t *w = MVPHP_G(worker_loop);
  if (w == NULL) return;
  MVPHP_G(worker_loop) = NULL;
  mvphp_loop_close(w);
  if (abandoned) w->refs = 1;
  mvphp_loop_release(w);
}

void mvphp_loops_forget_all(void) {
  mvphp_worker_loop_drop(false);
  for (mvphp_loop_t *l = MVPHP_G(loops); l; l = l->next) {
    if (l->loop) mv_loop_forget(l->loop);
    l->loop = NULL;
  }
}

void mvphp_loops_shutdown(void) {
  /* Loops still referenced by live objects are released by the objects
   * (freed after RSHUTDOWN); a loop nobody can release any more is one a
   * fatal error abandoned mid-call. Close them all here: what runs now has
   * no one left to wait for it. The wrappers stay for their references. */
  for (mvphp_loop_t *l = MVPHP_G(loops); l; l = l->next) mvphp_loop_close(l);
  /* Forget the list itself: the wrappers still referenced are released
   * by their objects later, the others go with the request's memory, and
   * the next request (FPM) must not find either on the list. */
  mvphp_loop_t *next;
  for (mvphp_loop_t *l = MVPHP_G(loops); l; l = next) {
    next = l->next;
    l->prev = l->next = NULL;
  }
  MVPHP_G(loops) = NULL;
}

mvphp_loop_t *mvphp_worker_loop(void) {
  mvphp_loop_t *w = MVPHP_G(worker_loop);
  if (w && !mvphp_loop_ours(w)) {
    /* Made by the process we were forked from: its pools are copies. */
    mvphp_worker_loop_drop(false);
    w = NULL;
  }
  if (w == NULL) {
    w = MVPHP_G(worker_loop) = mvphp_loop_new(true);
  } else if (w->refs == 1) {
    /* No call is waiting on it (a signal handler may call us from inside
     * one): take in what ended since the last call, such as warm processes
     * their supervisors ended after idle_timeout between requests, so their
     * supervisors are reaped now rather than on the pool's next call. */
    mv_loop_wait(w->loop, NULL, 0);
  }
  return w;
}

void mvphp_worker_loop_request_end(void) {
  mvphp_loop_t *w = MVPHP_G(worker_loop);
  if (w == NULL) return;
  /* Between requests only the pools' processes may run in the loop, and
   * nothing but the module globals may refer to it. A reference beyond
   * ours belongs to a call cut short by a fatal error: its tasks (cold
   * workers, requests queued or in flight) cannot be told apart from the
   * pools' any more, so everything goes, pools included. */
  bool abandoned = w->refs > 1;
  if (abandoned || !mvphp_loop_ours(w) || !w->warm_pools)
    mvphp_worker_loop_drop(abandoned);
}

void mvphp_worker_loop_shutdown(void) { mvphp_worker_loop_drop(false); }

/* What the VM does at an interrupt check: a timeout (max_execution_time)
 * or zend_interrupt_function, through which pcntl runs signal handlers. */
static int mvphp_handle_interrupt(void) {
  if (zend_atomic_bool_load_ex(&EG(vm_interrupt))) {
    zend_atomic_bool_store_ex(&EG(vm_interrupt), false);
    if (zend_atomic_bool_load_ex(&EG(timed_out))) {
      zend_timeout();
    } else if (zend_interrupt_function) {
      zend_interrupt_function(EG(current_execute_data));
    }
  }
  return EG(exception) != NULL;
}

static double mvphp_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int mvphp_wait(mvphp_loop_t *l, mv_task_t *task, double timeout) {
  double deadline = timeout >= 0 ? mvphp_now() + timeout : 0;
  for (;;) {
    double left = -1;
    if (timeout >= 0) {
      left = deadline - mvphp_now();
      if (left < 0) left = 0;
    }
    int r = mv_loop_wait(l->loop, task, left);
    if (r != MV_EINTR) return r;
    if (mvphp_handle_interrupt()) return MVPHP_WAIT_EXCEPTION;
    /* A handler may itself have run tasks on this loop and so consumed the
     * completion a wait for "any task" was for: let the caller look. */
    if (task == NULL) return MV_EINTR;
  }
}

void mvphp_wait_done(mvphp_loop_t *l, mv_task_t *task) {
  /* Signals are left for the VM to handle afterwards: nothing here may run
   * user code while a tree is being killed. */
  while (!mv_task_done(task)) {
    int r = mv_loop_wait(l->loop, task, -1);
    if (r < 0 && r != MV_EINTR && r != MV_ETIMEDOUT) break;
  }
}
