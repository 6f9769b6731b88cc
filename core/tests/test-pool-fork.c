/* Pools of forked servers: the pool engine of warm workers, with
 * processes the binding forks when the pool asks for them. */
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
