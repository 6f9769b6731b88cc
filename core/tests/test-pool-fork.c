/* Pools of forked servers: the pool engine of warm workers, with
 * processes the binding forks when the pool asks for them. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "multiverse.h"
#include "task.h"

static int read_full(int fd, void *buf, size_t len) {
  char *p = buf;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* The server: "sleep:S" sleeps S seconds, "orphan" leaves a process
 * behind, "deaf" ignores SIGTERM from then on (a kill takes kill_grace);
 * every answer is "<pid>:<request>". */
static void serve(mv_child_t *child) {
  int fd = mv_child_request_fd(child);
  for (;;) {
    unsigned char hdr[8];
    if (read_full(fd, hdr, 8) < 0) break;
    uint64_t n = 0;
    for (int i = 0; i < 8; i++) n |= (uint64_t)hdr[i] << (8 * i);
    char req[256] = "";
    if (n >= sizeof(req) || read_full(fd, req, (size_t)n) < 0) break;
    if (strncmp(req, "sleep:", 6) == 0) usleep((useconds_t)(atof(req + 6) * 1e6));
    if (strcmp(req, "deaf") == 0) signal(SIGTERM, SIG_IGN);
    if (strcmp(req, "orphan") == 0 && fork() == 0) {
      setsid();
      sleep(60);
      _exit(0);
    }
    mv_child_end_request(child);
    char answer[300];
    int len = snprintf(answer, sizeof(answer), "%d:%s", (int)getpid(), req);
    mv_child_send_frame(child, answer, (size_t)len);
  }
  mv_child_exit(child, 0);
}

typedef struct {
  int asked;
  int sync;   /* fork inside on_need, as a single-threaded binding would */
} need_t;

static void on_need(mv_pool_t *pool, void *data) {
  need_t *n = data;
  n->asked++;
  if (!n->sync) return;
  mv_child_t *child;
  int r = mv_pool_fork(pool, &child);
  if (r == MV_FORK_CHILD) serve(child);
}

static mv_task_t *call(mv_pool_t *pool, const char *payload, double timeout) {
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = timeout;
  mv_task_t *t = NULL;
  if (mv_pool_call(pool, payload, strlen(payload), &o, &t) < 0) abort();
  return t;
}

static int answer_pid(const mv_task_t *t) {
  const mv_report_t *r = mv_task_report(t);
  return r && r->status == MV_OK ? atoi(r->result.data) : -1;
}

TEST_IMPL(pool_fork_serves_requests_in_its_processes) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  need_t need = {0, 1};
  mv_fork_pool_opts_t po;
  memset(&po, 0, sizeof(po));
  po.name = "servers";
  po.size.processes = 2;
  po.on_need = on_need;
  po.data = &need;
  mv_pool_t *pool;
  ASSERT_EQ(mv_pool_new_forked(loop, &cfg, NULL, &pool), MV_EINVAL);
  ASSERT_OK(mv_pool_new_forked(loop, &cfg, &po, &pool));
  /* The first answer comes from a process already in the registry (a
   * process takes requests only once its supervisor registered it): a
   * clear() right after it finds the process. */
  mv_task_t *first = call(pool, "first", 5);
  while (!mv_task_done(first)) mv_loop_wait(loop, first, -1);
  ASSERT_EQ(mv_task_report(first)->status, MV_OK);
  mv_entry_t *entries;
  size_t n;
  ASSERT_OK(mv_registry_list(cfg.runtime_dir, NULL, "servers", &entries, &n));
  ASSERT_EQ(n, 1);
  ASSERT_EQ(entries[0].pid, answer_pid(first));
  free(entries);
  mv_task_free(first);
  mv_task_t *t[6];
  for (int i = 0; i < 6; i++) t[i] = call(pool, "sleep:0.05", 5);
  ASSERT_EQ(need.asked, 2); /* never more processes than the pool's size */
  int pids[6];
  for (int i = 0; i < 6; i++) {
    while (!mv_task_done(t[i])) mv_loop_wait(loop, t[i], -1);
    const mv_report_t *r = mv_task_report(t[i]);
    ASSERT_EQ(r->status, MV_OK);
    ASSERT_EQ(r->result_source, MV_RESULT_PIPE);
    ASSERT_CONTAINS(r->result.data, ":sleep:0.05");
    ASSERT_STR_EQ(r->worker, "servers");
    ASSERT_EQ(r->driver, MV_DRIVER_FORK);
    pids[i] = answer_pid(t[i]);
    ASSERT(pids[i] > 0);
    ASSERT_EQ(r->pid, pids[i]);
  }
  int distinct = 0;
  for (int i = 0; i < 6; i++) {
    int seen = 0;
    for (int j = 0; j < i; j++) seen |= pids[j] == pids[i];
    distinct += !seen;
  }
  ASSERT_EQ(distinct, 2);
  int idle, busy;
  mv_pool_stats(pool, &idle, &busy);
  ASSERT_EQ(idle, 2);
  ASSERT_EQ(busy, 0);
  ASSERT_OK(mv_registry_list(cfg.runtime_dir, NULL, "servers", &entries, &n));
  ASSERT_EQ(n, 2);
  for (size_t i = 0; i < n; i++)
    ASSERT(entries[i].pid == pids[0] || entries[i].pid == pids[1] || entries[i].pid == pids[2] ||
           entries[i].pid == pids[3] || entries[i].pid == pids[4] || entries[i].pid == pids[5]);
  free(entries);
  for (int i = 0; i < 6; i++) mv_task_free(t[i]);

  /* A request without a deadline: its supervisor is not told (no busy
   * flip); it is served all the same. */
  mv_task_t *free_run = call(pool, "no-deadline", 0);
  while (!mv_task_done(free_run)) mv_loop_wait(loop, free_run, -1);
  ASSERT_EQ(mv_task_report(free_run)->status, MV_OK);
  ASSERT_CONTAINS(mv_task_report(free_run)->result.data, ":no-deadline");
  mv_task_free(free_run);

  /* What a request leaves behind dies with it; the process serves on. */
  mv_task_t *o = call(pool, "orphan", 5);
  while (!mv_task_done(o)) mv_loop_wait(loop, o, -1);
  ASSERT_EQ(mv_task_report(o)->status, MV_OK);
  mv_task_free(o);

  /* A missed deadline kills the process's tree and fails that request
   * only; the next one gets a new process. */
  mv_task_t *slow = call(pool, "sleep:5", 0.3);
  while (!mv_task_done(slow)) mv_loop_wait(loop, slow, -1);
  const mv_report_t *r = mv_task_report(slow);
  ASSERT_EQ(r->status, MV_ETIMEDOUT);
  ASSERT_CONTAINS(r->message, "timed out after 0.3 s");
  pid_t killed = r->pid;
  ASSERT(killed > 0);
  mv_task_free(slow);
  mv_task_t *t2 = call(pool, "x", 5), *t3 = call(pool, "sleep:0.2", 5);
  while (!mv_task_done(t2) || !mv_task_done(t3)) mv_loop_wait(loop, NULL, -1);
  ASSERT_EQ(mv_task_report(t2)->status, MV_OK);
  ASSERT_EQ(mv_task_report(t3)->status, MV_OK);
  ASSERT(answer_pid(t2) != killed && answer_pid(t3) != killed);
  ASSERT_EQ(need.asked, 3);
  ASSERT(!th_alive(killed));
  mv_task_free(t2);
  mv_task_free(t3);

  /* Canceling a request in flight kills its process. While it runs, its
   * pid is the serving process's. */
  mv_task_t *c = call(pool, "sleep:5", 5);
  ASSERT(mv_task_pid(c) > 0);
  ASSERT(th_alive(mv_task_pid(c)));
  mv_loop_wait(loop, NULL, 0.1);
  ASSERT_EQ(mv_task_cancel(c), 1);
  while (!mv_task_done(c)) mv_loop_wait(loop, c, -1);
  ASSERT_EQ(mv_task_report(c)->status, MV_ECANCELED);
  mv_task_free(c);

  /* A cancel that lands after the answer was sent (not read yet): the
   * process is being killed, so it takes no other request, even one
   * waiting for a process when its answer is read. Two processes are
   * up first, so both requests go out at once. */
  mv_task_t *w1 = call(pool, "sleep:0.2", 5), *w2 = call(pool, "sleep:0.2", 5);
  while (!mv_task_done(w1) || !mv_task_done(w2)) mv_loop_wait(loop, NULL, -1);
  ASSERT(answer_pid(w1) > 0 && answer_pid(w2) > 0 && answer_pid(w1) != answer_pid(w2));
  mv_task_free(w1);
  mv_task_free(w2);
  mv_task_t *sleeper = call(pool, "sleep:1", 5);
  mv_task_t *quick = call(pool, "deaf", 5); /* its death comes after its answer */
  pid_t quick_pid = mv_task_pid(quick);
  ASSERT(quick_pid > 0 && quick_pid != mv_task_pid(sleeper));
  usleep(300 * 1000); /* answered, unread: the loop has not run */
  ASSERT_EQ(mv_task_cancel(quick), 1);
  mv_task_t *next = call(pool, "next", 5); /* both processes taken: it waits */
  while (!mv_task_done(next)) mv_loop_wait(loop, next, -1);
  ASSERT_EQ(mv_task_report(next)->status, MV_OK);
  ASSERT(answer_pid(next) != quick_pid);
  while (!mv_task_done(quick) || !mv_task_done(sleeper)) mv_loop_wait(loop, NULL, -1);
  ASSERT(!th_alive(quick_pid));
  mv_task_free(sleeper);
  mv_task_free(quick);
  mv_task_free(next);

  mv_pool_free(pool);
  mv_loop_free(loop);
  ASSERT(!th_has_children());
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(pool_fork_binding_forks_later) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  need_t need = {0, 0};
  mv_fork_pool_opts_t po;
  memset(&po, 0, sizeof(po));
  po.name = "later";
  po.size.processes = 4;
  po.size.max_requests = 2;
  po.on_need = on_need;
  po.data = &need;
  mv_pool_t *pool;
  ASSERT_OK(mv_pool_new_forked(loop, &cfg, &po, &pool));
  mv_task_t *t[3];
  for (int i = 0; i < 3; i++) t[i] = call(pool, "a", 5);
  ASSERT_EQ(need.asked, 3);
  ASSERT_EQ(mv_task_pid(t[0]), -1); /* no process serves it yet */
  ASSERT_EQ(mv_task_done(t[0]), 0);
  /* One process now: it serves the requests one after the other, two at
   * most (max_requests), and the pool asks for no more meanwhile. */
  mv_child_t *child;
  int r = mv_pool_fork(pool, &child);
  if (r == MV_FORK_CHILD) serve(child);
  ASSERT_OK(r);
  while (!mv_task_done(t[1])) mv_loop_wait(loop, t[1], -1);
  ASSERT_EQ(answer_pid(t[0]), answer_pid(t[1]));
  ASSERT_EQ(mv_task_done(t[2]), 0);
  r = mv_pool_fork(pool, &child);
  if (r == MV_FORK_CHILD) serve(child);
  ASSERT_OK(r);
  while (!mv_task_done(t[2])) mv_loop_wait(loop, t[2], -1);
  ASSERT(answer_pid(t[2]) > 0 && answer_pid(t[2]) != answer_pid(t[0]));
  for (int i = 0; i < 3; i++) mv_task_free(t[i]);
  /* Not a pool of forked processes. */
  mv_warm_t w = {1, 0, 0, 0};
  mv_pool_t *warm;
  ASSERT_OK(mv_pool_new(loop, &cfg, "warm_echo", &w, &warm));
  ASSERT_EQ(mv_pool_fork(warm, &child), MV_EINVAL);
  mv_pool_free(warm);
  mv_pool_free(pool);
  mv_loop_free(loop);
  ASSERT(!th_has_children());
  mv_config_dispose(&cfg);
  return 0;
}

/* Requests handed over without the lock (mv_sched_request/submit), by
 * several threads at once, to a pool the event thread drives. */
#define SUBMITTERS 4
#define SUBMITS 25

typedef struct {
  int state;          /* 1: the loop took it in (on_start), 2: ended (atomic) */
  int in_order;       /* on_start came before on_done */
  int status;
  char payload[32];
  char answer[64];
  mv_task_t *task;
} handed_t;

typedef struct {
  mv_sched_t *s;
  handed_t *h;        /* SUBMITS of them */
} submitter_t;

static int ended_count;

static void handed_start(mv_task_t *t, void *data) {
  (void)t;
  __atomic_store_n(&((handed_t *)data)->state, 1, __ATOMIC_RELEASE);
}

static void handed_done(mv_task_t *t, void *data) {
  handed_t *h = data;
  const mv_report_t *r = mv_task_report(t);
  h->in_order = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE) == 1;
  h->status = r->status;
  snprintf(h->answer, sizeof(h->answer), "%s", r->result.data ? r->result.data : "");
  __atomic_store_n(&h->state, 2, __ATOMIC_RELEASE);
  __atomic_add_fetch(&ended_count, 1, __ATOMIC_SEQ_CST);
}

static int hand_over(mv_sched_t *s, handed_t *h, const char *payload) {
  snprintf(h->payload, sizeof(h->payload), "%s", payload);
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = 10;
  o.on_start = handed_start;
  o.on_done = handed_done;
  o.data = h;
  int r = mv_sched_request(s, h->payload, strlen(h->payload), &o, &h->task);
  if (r == 0) mv_sched_submit(s, h->task);
  return r;
}

static void *submitter(void *arg) {
  submitter_t *a = arg;
  for (int i = 0; i < SUBMITS; i++) {
    char payload[32];
    snprintf(payload, sizeof(payload), "p%p-%d", (void *)a, i);
    if (hand_over(a->s, &a->h[i], payload) < 0) abort();
  }
  return NULL;
}

static int all_ended(void *arg) {
  return __atomic_load_n(&ended_count, __ATOMIC_SEQ_CST) >= *(int *)arg;
}

/* Wait (without the lock, as Python's callers do) until h has ended;
 * 1 if it has. */
static int wait_ended(const handed_t *h, double seconds) {
  double until = th_now() + seconds;
  while (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != 2 && th_now() < until) usleep(200);
  return __atomic_load_n(&h->state, __ATOMIC_ACQUIRE) == 2;
}

/* A pool of forked servers that takes the requests handed to s. */
static int sched_pool(mv_sched_t *s, const mv_config_t *cfg, const char *name, int processes,
                      mv_pool_need_cb on_need, void *data, mv_pool_t **pool) {
  mv_fork_pool_opts_t po;
  memset(&po, 0, sizeof(po));
  po.name = name;
  po.size.processes = processes;
  po.on_need = on_need;
  po.data = data;
  mv_sched_lock(s);
  int r = mv_pool_new_forked(mv_sched_loop(s), cfg, &po, pool);
  if (r == 0) mv_sched_set_pool(s, *pool);
  mv_sched_unlock(s);
  return r;
}

/* Free the tasks of h[0..n), the pool and the scheduler. */
static void sched_pool_free(mv_sched_t *s, mv_pool_t *pool, handed_t *h, int n) {
  mv_sched_lock(s);
  for (int i = 0; i < n; i++) mv_task_free(h[i].task);
  mv_sched_set_pool(s, NULL);
  mv_pool_free(pool);
  mv_sched_unlock(s);
  mv_sched_free(s);
}

TEST_IMPL(pool_fork_requests_handed_over_without_the_lock) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_sched_t *s;
  ASSERT_OK(mv_sched_new(&s));
  need_t need = {0, 1};
  mv_pool_t *pool;
  ended_count = 0;
  /* Without a pool a request ends at once, saying so. */
  handed_t lone;
  memset(&lone, 0, sizeof(lone));
  ASSERT_OK(hand_over(s, &lone, "lone")); /* no event thread: passed on at once */
  ASSERT_EQ(lone.state, 2);
  ASSERT(lone.in_order);
  ASSERT_EQ(lone.status, MV_EINVAL);
  ASSERT_CONTAINS(mv_task_report(lone.task)->message, "no pool");
  ASSERT_EQ(mv_task_report(lone.task)->end, MV_END_SPAWN_FAILED);
  mv_sched_lock(s);
  mv_task_free(lone.task);
  mv_sched_unlock(s);
  ASSERT_OK(sched_pool(s, &cfg, "handed", 2, on_need, &need, &pool));
  ASSERT_OK(mv_sched_start_thread(s));
  handed_t h[SUBMITTERS][SUBMITS];
  memset(h, 0, sizeof(h));
  submitter_t a[SUBMITTERS];
  pthread_t th[SUBMITTERS];
  for (int i = 0; i < SUBMITTERS; i++) {
    a[i].s = s;
    a[i].h = h[i];
    if (pthread_create(&th[i], NULL, submitter, &a[i]) != 0) abort();
  }
  for (int i = 0; i < SUBMITTERS; i++) pthread_join(th[i], NULL);
  int want = 1 + SUBMITTERS * SUBMITS;
  ASSERT_OK(mv_sched_wait_until(s, all_ended, &want, 60));
  ASSERT_EQ(mv_sched_submitted(s), 0);
  mv_sched_lock(s);
  for (int i = 0; i < SUBMITTERS; i++) {
    for (int j = 0; j < SUBMITS; j++) {
      ASSERT(h[i][j].in_order);
      ASSERT_EQ(h[i][j].status, MV_OK);
      /* "<pid>:<payload>": its own answer. */
      const char *colon = strchr(h[i][j].answer, ':');
      ASSERT(colon != NULL);
      ASSERT_STR_EQ(colon + 1, h[i][j].payload);
      ASSERT_STR_EQ(mv_task_report(h[i][j].task)->worker, "handed");
      mv_task_free(h[i][j].task);
    }
  }
  ASSERT_EQ(mv_pool_requests(pool), 0);
  ASSERT(need.asked <= 2); /* never more processes than the pool's size */
  mv_sched_set_pool(s, NULL);
  mv_pool_free(pool);
  mv_sched_unlock(s);
  /* With the event thread, too, one for no pool ends at once (it wakes
   * the loop: nothing else would pass it on). */
  handed_t late;
  memset(&late, 0, sizeof(late));
  usleep(100 * 1000); /* the event thread has gone idle */
  ASSERT_OK(hand_over(s, &late, "late"));
  ASSERT(wait_ended(&late, 5)); /* nobody takes the lock meanwhile */
  ASSERT_EQ(late.status, MV_EINVAL);
  mv_sched_lock(s);
  mv_task_free(late.task);
  mv_sched_unlock(s);
  mv_sched_free(s);
  ASSERT(!th_has_children());
  mv_config_dispose(&cfg);
  return 0;
}

/* One request at a time, handed over and waited for without ever taking
 * the lock (as Python's callers do): each must be passed on without
 * anyone's help, whatever the moment it arrives at (a request handed over
 * while the loop passes others on, and told then that none would start,
 * must still be passed on once one would). */
TEST_IMPL(pool_fork_request_never_waits_for_a_lock_taker) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_sched_t *s;
  ASSERT_OK(mv_sched_new(&s));
  need_t need = {0, 1};
  mv_pool_t *pool;
  ASSERT_OK(sched_pool(s, &cfg, "alone", 2, on_need, &need, &pool));
  ASSERT_OK(mv_sched_start_thread(s));
  enum { ROUNDS = 400, PAIR = 3 };
  for (int i = 0; i < ROUNDS; i++) {
    /* A few at once, so that some arrive while others are passed on. */
    handed_t h[PAIR];
    memset(h, 0, sizeof(h));
    for (int k = 0; k < PAIR; k++) ASSERT_OK(hand_over(s, &h[k], "x"));
    for (int k = 0; k < PAIR; k++) {
      ASSERT(wait_ended(&h[k], 5));
      ASSERT_EQ(h[k].status, MV_OK);
    }
    mv_sched_lock(s);
    for (int k = 0; k < PAIR; k++) mv_task_free(h[k].task);
    mv_sched_unlock(s);
  }
  sched_pool_free(s, pool, NULL, 0);
  ASSERT(!th_has_children());
  mv_config_dispose(&cfg);
  return 0;
}

/* A process the pool asked for becomes ready (it started): a request
 * handed over meanwhile, told then that none would start, must be passed
 * on now, though nothing ends with that event; not when a request ends. */
static void count_need(mv_pool_t *pool, void *data) {
  (void)pool;
  __atomic_add_fetch((int *)data, 1, __ATOMIC_SEQ_CST);
}

static int wait_asked(const int *asked, int n, double seconds) {
  double until = th_now() + seconds;
  while (__atomic_load_n(asked, __ATOMIC_SEQ_CST) < n && th_now() < until) usleep(1000);
  return __atomic_load_n(asked, __ATOMIC_SEQ_CST) >= n;
}

static void fork_one(mv_sched_t *s, mv_pool_t *pool) {
  mv_child_t *child;
  mv_sched_lock(s);
  int r = mv_pool_fork(pool, &child);
  if (r == MV_FORK_CHILD) serve(child);
  if (r < 0) abort();
  mv_sched_unlock(s);
}

TEST_IMPL(pool_fork_request_passed_on_when_a_process_becomes_ready) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_sched_t *s;
  ASSERT_OK(mv_sched_new(&s));
  int asked = 0;
  mv_pool_t *pool;
  ASSERT_OK(sched_pool(s, &cfg, "ready", 3, count_need, &asked, &pool));
  ASSERT_OK(mv_sched_start_thread(s));
  handed_t h[3];
  memset(h, 0, sizeof(h));
  ASSERT_OK(hand_over(s, &h[0], "sleep:3"));
  ASSERT(wait_asked(&asked, 1, 5));
  fork_one(s, pool);
  /* The second waits in the pool for a second process (asked for once
   * the first process took the first request)... */
  ASSERT_OK(hand_over(s, &h[1], "sleep:3"));
  ASSERT(wait_asked(&asked, 2, 2));
  /* ... so the third would not start now: it stays handed over. */
  ASSERT_OK(hand_over(s, &h[2], "x"));
  fork_one(s, pool);
  /* The second process takes the second request when it has started; the
   * third could then start in a third process: the pool asks for it
   * without waiting for a request to end. */
  ASSERT(wait_asked(&asked, 3, 2));
  fork_one(s, pool);
  ASSERT(wait_ended(&h[2], 2));
  ASSERT_EQ(h[2].status, MV_OK);
  for (int i = 0; i < 2; i++) {
    ASSERT(wait_ended(&h[i], 10));
    ASSERT_EQ(h[i].status, MV_OK);
  }
  ASSERT(atoi(h[0].answer) != atoi(h[1].answer)); /* side by side */
  sched_pool_free(s, pool, h, 3);
  ASSERT(!th_has_children());
  mv_config_dispose(&cfg);
  return 0;
}
