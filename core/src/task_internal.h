/*
 * The host-side task and loop structures, shared by loop.c (events),
 * task_start.c (starting tasks) and report.c (outcomes).
 */
#ifndef MV_TASK_INTERNAL_H
#define MV_TASK_INTERNAL_H

#include "internal.h"
#include "protocol.h"

#include <sys/epoll.h>

enum { MV__W_OUT = 0, MV__W_ERR = 1, MV__W_RES = 2, MV__W_CTL = 3, MV__W_COUNT = 4 };

typedef struct {
  mv_task_t *task;
  int kind;
  int fd;
} mv__watch_t;

struct mv_task_s {
  mv_loop_t *loop;
  mv_task_t *prev, *next;
  mv__watch_t w[MV__W_COUNT];
  pid_t spid;                 /* supervisor (our direct child) */
  pid_t root;                 /* the task's root process, once STARTED */
  int started, exited, spawn_failed, done, cancel_sent;
  int spawn_err;
  char spawn_stage[64];
  mv__msg_t exit_msg;
  mv__capture_t cap[3];       /* out, err, result */
  double t_start, t_end;
  double timeout;
  int is_fork;
  mv_driver_t driver;
  char *worker;
  char *script;               /* what was exec'd (for exec errors) */
  char task_id[40];
  mv_done_cb on_done;
  void *data;
  mv_report_t report;
  int report_taken;
};

struct mv_loop_s {
  int epfd;
  int wakefd;
  pid_t owner;
  mv_task_t *head;
  size_t running;             /* started and not done */
  size_t count;               /* not yet freed */
  unsigned long completed;    /* completions so far */
  int in_wait;
  /* The batch being dispatched, so a task finished (and maybe freed by a
   * callback) mid-batch has its pending events dropped. */
  struct epoll_event *batch;
  int batch_n;
};

/* loop.c */
int mv__loop_add_task(mv_loop_t *loop, mv_task_t *t);
mv_task_t *mv__task_alloc(mv_loop_t *loop, const mv_task_opts_t *opts,
                          const char *worker, mv_driver_t d, double timeout);
void mv__task_destroy(mv_task_t *t);

/* report.c */
void mv__report_build(mv_task_t *t);

#endif
