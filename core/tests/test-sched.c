/* A loop shared by threads (mv_sched_t): run under ThreadSanitizer too
 * (scripts/test-core.sh). */
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "multiverse.h"
#include "task.h"

#define THREADS 4
#define PER_THREAD 5

typedef struct {
  mv_sched_t *sched;
  mv_config_t *cfg;
  int index;
  int ok;
} worker_arg_t;

/* Counts what runs at once (the tasks' on_done run with the lock held). */
static int running_now, running_max, callbacks_off_main;
static pthread_t main_thread;

static void on_done(mv_task_t *t, void *data) {
  (void)t;
  (void)data;
  running_now--;
  if (!pthread_equal(pthread_self(), main_thread)) callbacks_off_main++;
}

static void *submit_and_wait(void *p) {
  worker_arg_t *a = p;
  char *argv[] = {"/bin/sh", "-c", "sleep 0.05; echo 1", NULL};
  mv_task_t *t[PER_THREAD];
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = -1;
  o.flags = MV_TASK_NO_REGISTRY;
  o.on_done = on_done;
  for (int i = 0; i < PER_THREAD; i++) {
    mv_sched_lock(a->sched);
    if (mv_task_spawn_argv(mv_sched_loop(a->sched), a->cfg, argv, NULL, "", 0, &o, &t[i]) < 0)
      abort();
    running_now++;
    int started = running_now - (int)mv_loop_queued(mv_sched_loop(a->sched));
    if (started > running_max) running_max = started;
    mv_sched_unlock(a->sched);
  }
  a->ok = 0;
  for (int i = 0; i < PER_THREAD; i++) {
    while (mv_sched_wait(a->sched, t[i], -1) == MV_EINTR) {
    }
    mv_sched_lock(a->sched);
    const mv_report_t *r = mv_task_report(t[i]);
    a->ok += r && r->status == MV_OK;
    mv_task_free(t[i]);
    mv_sched_unlock(a->sched);
  }
  return NULL;
}

static int run_threads(mv_sched_t *s, mv_config_t *cfg) {
  pthread_t th[THREADS];
  worker_arg_t args[THREADS];
  for (int i = 0; i < THREADS; i++) {
    args[i] = (worker_arg_t){s, cfg, i, 0};
    if (pthread_create(&th[i], NULL, submit_and_wait, &args[i]) != 0) abort();
  }
  int ok = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(th[i], NULL);
    ok += args[i].ok;
  }
  return ok;
}

TEST_IMPL(sched_threads_share_one_loop_and_limit) {
  main_thread = pthread_self();
  for (int with_thread = 0; with_thread < 2; with_thread++) {
    mv_config_t cfg;
    th_config(&cfg);
    mv_sched_t *s;
    ASSERT_OK(mv_sched_new(&s));
    if (with_thread) ASSERT_OK(mv_sched_start_thread(s));
    mv_sched_lock(s);
    ASSERT_OK(mv_loop_set_limit(mv_sched_loop(s), 3));
    running_now = running_max = callbacks_off_main = 0;
    mv_sched_unlock(s);
    ASSERT_EQ(run_threads(s, &cfg), THREADS * PER_THREAD);
    mv_sched_lock(s);
    ASSERT(running_max <= 3);
    ASSERT_EQ(running_now, 0);
    /* Every callback ran on a thread other than this one: the event
     * thread, or (without it) the submitting threads that waited. */
    ASSERT_EQ(callbacks_off_main, THREADS * PER_THREAD);
    ASSERT_EQ(mv_loop_active(mv_sched_loop(s)), 0);
    mv_sched_unlock(s);
    mv_sched_free(s);
    ASSERT(!th_has_children());
    mv_config_dispose(&cfg);
  }
  return 0;
}

/* A reserved fork whose slot comes on the event thread: the binding is
 * told there (on_start, lock held) and forks from its own thread. */
typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  mv_task_t *ready;
} ready_t;

static void on_start(mv_task_t *t, void *data) {
  ready_t *r = data;
  pthread_mutex_lock(&r->mu);
  r->ready = t;
  pthread_cond_signal(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

TEST_IMPL(sched_reserved_fork_from_the_binding_thread) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_sched_t *s;
  ASSERT_OK(mv_sched_new(&s));
  ASSERT_OK(mv_sched_start_thread(s));
  ready_t rd = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL};
  char *argv[] = {"/bin/sh", "-c", "sleep 0.2; echo 1", NULL};
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = -1;
  o.flags = MV_TASK_NO_REGISTRY;
  mv_task_t *first, *forked;
  mv_sched_lock(s);
  ASSERT_OK(mv_loop_set_limit(mv_sched_loop(s), 1));
  ASSERT_OK(mv_task_spawn_argv(mv_sched_loop(s), &cfg, argv, NULL, "", 0, &o, &first));
  o.on_start = on_start;
  o.data = &rd;
  ASSERT_EQ(mv_task_reserve(mv_sched_loop(s), &o, &forked), 0);
  mv_sched_unlock(s);
  pthread_mutex_lock(&rd.mu);
  while (rd.ready == NULL) pthread_cond_wait(&rd.cv, &rd.mu);
  pthread_mutex_unlock(&rd.mu);
  ASSERT(rd.ready == forked);
  mv_sched_lock(s);
  ASSERT(mv_task_done(first)); /* its slot was first's */
  mv_child_t *child;
  memset(&o, 0, sizeof(o));
  o.timeout = 5;
  o.flags = MV_TASK_NO_REGISTRY;
  int r = mv_task_fork_reserved(forked, &cfg, &o, &child);
  if (r == MV_FORK_CHILD) {
    mv_child_send(child, "forked", 6);
    mv_child_exit(child, 0);
  }
  ASSERT_OK(r);
  mv_sched_unlock(s);
  ASSERT_OK(mv_sched_wait(s, forked, -1));
  mv_sched_lock(s);
  ASSERT_STR_EQ(mv_task_report(forked)->result.data, "forked");
  mv_task_free(first);
  mv_task_free(forked);
  mv_sched_unlock(s);
  /* A wait with a timeout times out; freeing with tasks running kills
   * them. */
  mv_task_t *slow;
  char *sleep_argv[] = {"/bin/sleep", "30", NULL};
  mv_sched_lock(s);
  ASSERT_OK(mv_task_spawn_argv(mv_sched_loop(s), &cfg, sleep_argv, NULL, "", 0, &o, &slow));
  mv_sched_unlock(s);
  ASSERT_EQ(mv_sched_wait(s, slow, 0.2), MV_ETIMEDOUT);
  /* A waiter sleeps: a second's wait costs next to no CPU (a waiter that
   * woke on the round its own look at the task caused would spin). */
  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  ASSERT_EQ(mv_sched_wait(s, slow, 1.0), MV_ETIMEDOUT);
  getrusage(RUSAGE_SELF, &after);
  double cpu = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec) +
               (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6 +
               (double)(after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
               (double)(after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
  ASSERT(cpu < 0.3);
  /* mv_sched_wakeup() ends a wait with MV_EINTR, even one that starts
   * after it. */
  ASSERT_OK(mv_sched_wakeup(s));
  ASSERT_EQ(mv_sched_wait(s, slow, 5.0), MV_EINTR);
  mv_sched_free(s);
  ASSERT(!th_has_children());
  mv_config_dispose(&cfg);
  return 0;
}

/* Work queued by threads that never take the loop's lock (an inbox of
 * their own), picked up by the round hook: with the event thread idle,
 * busy in a round, and without the event thread. */
#define POKERS 4
#define POKES 3

typedef struct {
  pthread_mutex_t mu;
  int queued;            /* under mu: spawns asked for */
  int spawned;           /* under the loop's lock */
  mv_task_t *t[1 + POKERS * POKES];
  mv_config_t *cfg;
  mv_sched_t *s;
} inbox_t;

static void inbox_hook(void *data) {
  inbox_t *in = data;
  pthread_mutex_lock(&in->mu);
  int n = in->queued;
  in->queued = 0;
  pthread_mutex_unlock(&in->mu);
  char *argv[] = {"/bin/sh", "-c", "echo 1", NULL};
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = 10;
  o.flags = MV_TASK_NO_REGISTRY;
  for (int i = 0; i < n; i++) {
    if (mv_task_spawn_argv(mv_sched_loop(in->s), in->cfg, argv, NULL, "", 0, &o,
                           &in->t[in->spawned]) < 0)
      abort();
    in->spawned++;
  }
}

static void inbox_put(inbox_t *in) {
  pthread_mutex_lock(&in->mu);
  in->queued++;
  pthread_mutex_unlock(&in->mu);
  if (mv_sched_poke(in->s) < 0) abort();
}

/* Until the task ends: MV_EINTR is a locker's wakeup (or a poke). */
static int wait_task(mv_sched_t *s, mv_task_t *t) {
  int r;
  while ((r = mv_sched_wait(s, t, 10)) == MV_EINTR) {
  }
  return r;
}

static void *poker(void *p) {
  for (int i = 0; i < POKES; i++) {
    inbox_put(p);
    usleep(2000);
  }
  return NULL;
}

/* Waits (up to 5 s) until `want` tasks were spawned. */
static int inbox_wait(inbox_t *in, int want) {
  for (int i = 0; i < 500; i++) {
    mv_sched_lock(in->s);
    int n = in->spawned;
    mv_sched_unlock(in->s);
    if (n >= want) return n;
    usleep(10000);
  }
  return -1;
}

/* A task that keeps the loop busy (sleep 30, unregistered), or NULL. */
static mv_task_t *spawn_sleeper(mv_sched_t *s, const mv_config_t *cfg) {
  char *argv[] = {"/bin/sleep", "30", NULL};
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = -1;
  o.flags = MV_TASK_NO_REGISTRY;
  mv_task_t *t = NULL;
  mv_sched_lock(s);
  if (mv_task_spawn_argv(mv_sched_loop(s), cfg, argv, NULL, "", 0, &o, &t) < 0) t = NULL;
  mv_sched_unlock(s);
  return t;
}

TEST_IMPL(sched_round_hook_picks_up_work_queued_without_the_lock) {
  mv_config_t cfg;
  th_config(&cfg);
  for (int with_thread = 0; with_thread < 2; with_thread++) {
    inbox_t in;
    memset(&in, 0, sizeof(in));
    pthread_mutex_init(&in.mu, NULL);
    in.cfg = &cfg;
    ASSERT_OK(mv_sched_new(&in.s));
    mv_sched_on_round(in.s, inbox_hook, &in);
    if (!with_thread) {
      /* Nobody holds the loop: the poking thread runs the hook itself. */
      inbox_put(&in);
      ASSERT_EQ(in.spawned, 1);
      ASSERT_OK(wait_task(in.s, in.t[0]));
    } else {
      ASSERT_OK(mv_sched_start_thread(in.s));
      /* The event thread idles (nothing to drive). */
      inbox_put(&in);
      ASSERT_EQ(inbox_wait(&in, 1), 1);
      ASSERT_OK(wait_task(in.s, in.t[0]));
      /* The event thread sits in a round (a long task keeps the loop
       * busy) while threads poke. */
      mv_task_t *slow = spawn_sleeper(in.s, &cfg);
      ASSERT(slow != NULL);
      pthread_t th[POKERS];
      for (int i = 0; i < POKERS; i++)
        if (pthread_create(&th[i], NULL, poker, &in) != 0) abort();
      for (int i = 0; i < POKERS; i++) pthread_join(th[i], NULL);
      ASSERT_EQ(inbox_wait(&in, 1 + POKERS * POKES), 1 + POKERS * POKES);
      for (int i = 0; i < 1 + POKERS * POKES; i++) ASSERT_OK(wait_task(in.s, in.t[i]));
      mv_sched_lock(in.s);
      ASSERT(!mv_task_done(slow));
      mv_task_free(slow);
      mv_sched_unlock(in.s);
    }
    mv_sched_lock(in.s);
    for (int i = 0; i < in.spawned; i++) {
      ASSERT_EQ(mv_task_report(in.t[i])->status, MV_OK);
      mv_task_free(in.t[i]);
    }
    mv_sched_unlock(in.s);
    mv_sched_free(in.s);
    pthread_mutex_destroy(&in.mu);
    ASSERT(!th_has_children());
  }
  mv_config_dispose(&cfg);
  return 0;
}

/* mv_sched_wait_until(): threads each waiting for their own task, with
 * and without the event thread. Without it one of them drives at a time;
 * each must return once its task has ended (its flag, set by on_done, is
 * what it waits for: the core task may be freed by then). */
typedef struct {
  mv_sched_t *sched;
  mv_config_t *cfg;
  double sleep_s;
  int ended;       /* set by on_done (atomic) */
  int rc;
  double waited;
} until_arg_t;

static void on_done_flag(mv_task_t *t, void *data) {
  (void)t;
  __atomic_store_n(&((until_arg_t *)data)->ended, 1, __ATOMIC_RELEASE);
}

static int flag_done(void *arg) {
  return __atomic_load_n(&((until_arg_t *)arg)->ended, __ATOMIC_ACQUIRE);
}

static void *spawn_and_wait_until(void *p) {
  until_arg_t *a = p;
  char cmd[64];
  snprintf(cmd, sizeof(cmd), "sleep %.2f", a->sleep_s);
  char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = -1;
  o.flags = MV_TASK_NO_REGISTRY;
  o.on_done = on_done_flag;
  o.data = a;
  mv_task_t *t;
  mv_sched_lock(a->sched);
  int r = mv_task_spawn_argv(mv_sched_loop(a->sched), a->cfg, argv, NULL, "", 0, &o, &t);
  mv_sched_unlock(a->sched);
  if (r < 0) abort();
  double t0 = th_now();
  do {
    a->rc = mv_sched_wait_until(a->sched, flag_done, a, -1);
  } while (a->rc == MV_EINTR);
  a->waited = th_now() - t0;
  mv_sched_lock(a->sched);
  mv_task_free(t);
  mv_sched_unlock(a->sched);
  return NULL;
}

TEST_IMPL(sched_wait_until_many_threads_one_driver) {
  for (int with_thread = 0; with_thread < 2; with_thread++) {
    mv_config_t cfg;
    th_config(&cfg);
    mv_sched_t *s;
    ASSERT_OK(mv_sched_new(&s));
    if (with_thread) ASSERT_OK(mv_sched_start_thread(s));
    pthread_t th[THREADS];
    until_arg_t args[THREADS];
    for (int i = 0; i < THREADS; i++) {
      /* The first thread's task ends last: the others must not wait for
       * it, whoever drives. */
      args[i] = (until_arg_t){s, &cfg, i == 0 ? 2.0 : 0.1 * i, 0, -1, 0};
      ASSERT(pthread_create(&th[i], NULL, spawn_and_wait_until, &args[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++) {
      ASSERT_EQ(args[i].rc, 0);
      ASSERT(flag_done(&args[i]));
      ASSERT(args[i].waited >= args[i].sleep_s - 0.02);
      /* Well before the first one's end, even on a loaded machine. */
      if (i > 0) ASSERT(args[i].waited < args[0].sleep_s - 0.5);
    }
    /* A timeout: MV_ETIMEDOUT, the task still running. */
    until_arg_t slow = {s, &cfg, 5, 0, -1, 0};
    char *argv[] = {"/bin/sh", "-c", "sleep 5", NULL};
    mv_task_opts_t o;
    memset(&o, 0, sizeof(o));
    o.timeout = -1;
    o.flags = MV_TASK_NO_REGISTRY;
    o.on_done = on_done_flag;
    o.data = &slow;
    mv_task_t *t;
    mv_sched_lock(s);
    ASSERT_OK(mv_task_spawn_argv(mv_sched_loop(s), &cfg, argv, NULL, "", 0, &o, &t));
    mv_sched_unlock(s);
    double t0 = th_now();
    int r;
    do r = mv_sched_wait_until(s, flag_done, &slow, 0.2);
    while (r == MV_EINTR && th_now() - t0 < 0.2);
    ASSERT_EQ(r, MV_ETIMEDOUT);
    ASSERT(th_now() - t0 < 2);
    ASSERT(!flag_done(&slow));
    mv_sched_lock(s);
    mv_task_cancel(t);
    mv_sched_unlock(s);
    do r = mv_sched_wait_until(s, flag_done, &slow, -1);
    while (r == MV_EINTR);
    ASSERT_EQ(r, 0);
    mv_sched_lock(s);
    mv_task_free(t);
    mv_sched_unlock(s);
    mv_sched_free(s);
    ASSERT(!th_has_children());
    mv_config_dispose(&cfg);
  }
  return 0;
}

/* The event thread's loop fails (its epoll fd is made /dev/null behind
 * its back): the round hook runs once more and mv_sched_failed() says
 * so there, which is how a binding sleeping on a condition of its own
 * learns it; mv_sched_wait() returns MV_ESYS. The epoll fd is put back
 * for mv_sched_free(), which still ends the running task. */
typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  mv_sched_t *s;
  int saw_failed;
} fail_watch_t;

static void fail_hook(void *data) {
  fail_watch_t *w = data;
  if (!mv_sched_failed(w->s)) return;
  pthread_mutex_lock(&w->mu);
  w->saw_failed = 1;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

TEST_IMPL(sched_failed_event_thread_tells_the_round_hook) {
  mv_config_t cfg;
  th_config(&cfg);
  fail_watch_t w;
  memset(&w, 0, sizeof(w));
  pthread_mutex_init(&w.mu, NULL);
  pthread_cond_init(&w.cv, NULL);
  ASSERT_OK(mv_sched_new(&w.s));
  mv_sched_on_round(w.s, fail_hook, &w);
  mv_task_t *slow = spawn_sleeper(w.s, &cfg);
  ASSERT(slow != NULL);
  ASSERT_OK(mv_sched_start_thread(w.s));
  ASSERT(!mv_sched_failed(w.s));

  int epfd = mv_loop_fd(mv_sched_loop(w.s));
  int saved = dup(epfd);
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT(saved >= 0 && devnull >= 0);
  ASSERT(dup2(devnull, epfd) == epfd);
  close(devnull);
  ASSERT_OK(mv_sched_poke(w.s)); /* the round in epoll ends; the next one fails */

  pthread_mutex_lock(&w.mu);
  double until = th_now() + 10;
  while (!w.saw_failed && th_now() < until) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&w.cv, &w.mu, &ts);
  }
  int saw = w.saw_failed;
  pthread_mutex_unlock(&w.mu);
  ASSERT(saw);
  ASSERT(mv_sched_failed(w.s));
  ASSERT_EQ(mv_sched_wait(w.s, slow, 1), MV_ESYS);

  ASSERT(dup2(saved, epfd) == epfd);
  close(saved);
  mv_sched_on_round(w.s, NULL, NULL);
  mv_sched_free(w.s);
  ASSERT(!th_has_children());
  pthread_mutex_destroy(&w.mu);
  pthread_cond_destroy(&w.cv);
  mv_config_dispose(&cfg);
  return 0;
}
