/*
 * The host-side task and loop structures, shared by loop.c (events),
 * task_start.c (starting tasks) and report.c (outcomes).
 */
#ifndef MV_TASK_INTERNAL_H
#define MV_TASK_INTERNAL_H

#include "internal.h"
#include "protocol.h"

#include <sys/epoll.h>

enum { MV__W_OUT = 0, MV__W_ERR = 1, MV__W_RES = 2, MV__W_CTL = 3, MV__W_IN = 4, MV__W_COUNT = 5 };

/* How messages on a persistent task's result channel are delimited. */
enum { MV__FRAME_LINES = 1, MV__FRAME_LENGTH = 2 };

typedef struct {
  mv_task_t *task;
  int kind;
  int fd;
} mv__watch_t;

/* What a task is. Every kind is a task of the loop like any other (wait
 * for it, cancel it, free it, read its report); what differs is where its
 * process comes from. */
typedef enum {
  MV__TASK_EXEC = 0,     /* a program exec'd under its supervisor (a worker, an argv) */
  MV__TASK_FORK = 1,     /* a fork of the host adopted by its supervisor */
  MV__TASK_REQUEST = 2   /* a request served by a process of a pool: none of its own */
} mv__task_kind_t;

struct mv_task_s {
  mv__task_kind_t kind;
  mv_loop_t *loop;
  mv_task_t *prev, *next;
  char task_id[40];
  char *worker;
  mv_driver_t driver;
  double timeout;
  double t_start, t_end;
  int done;
  mv_done_cb on_done;
  void *data;
  mv_report_t report;
  int report_taken;

  /* EXEC and FORK: the process, its supervisor, their channels. */
  mv__watch_t w[MV__W_COUNT];
  pid_t spid;                 /* supervisor (our direct child) */
  pid_t root;                 /* the task's root process, once STARTED (REQUEST:
                                 the process that served it) */
  unsigned long long root_start; /* its start time (clock ticks), once STARTED */
  char *leaf;                 /* fork tasks in the cgroup tier: the leaf the host made */
  char leaf_name[64];         /* exec'd tasks: the supervisor's leaf, below our cgroup */
  int leaf_after_reap;        /* the supervisor lived in `leaf`: remove it after reaping */
  int started, exited, spawn_failed, cancel_sent;
  int spawn_err;
  char spawn_stage[64];
  mv__msg_t exit_msg;
  mv__capture_t cap[3];       /* out, err, result */
  char *script;               /* what was exec'd (for exec errors) */
  int tier;                   /* from STARTED: 1 cgroup, 2 subreaper */
  /* ... persistent ones (the processes of pools) */
  int frame;                  /* 0 = not persistent, else MV__FRAME_* */
  void (*on_message)(mv_task_t *, const char *, size_t, void *);
  char *inbuf;                /* requests not yet written to W_IN */
  size_t inlen, inoff;
  int close_input;            /* close W_IN once inbuf is flushed */
  int in_armed;               /* W_IN is watched for EPOLLOUT */
  char *fbuf;                 /* partial message read from W_RES */
  size_t flen, fcap;
  size_t max_message;
  int in_message;             /* its on_message is running */
  void (*on_started)(mv_task_t *); /* a pool's process: it is registered and runs */

  /* REQUEST: the pool, the payload until a process takes it. */
  struct mv_pool_s *pool;
  char *payload;
  size_t payload_len;
  struct mv__proc_s *proc;    /* the process serving it, while in flight */
  int canceled;

  /* Every kind: the loop's concurrency limit (queue.c). */
  int queued;                 /* waiting in the loop's FIFO for a slot */
  int has_slot;               /* counted in the loop's limit (and its batch's) */
  mv_task_t *qnext;
  unsigned long qseq;         /* arrival number while queued: one FIFO across queues */
  mv_batch_t *batch;          /* opts.batch, or NULL */
  int (*begin)(mv_task_t *);  /* starts it when its turn comes */
  struct mv__deferred_s *deferred; /* what begin needs: an exec'd task's start */
  mv_start_cb on_start;       /* a reserved FORK: the binding forks it ... */
  int reserved;               /* ... and has not yet */
};

/* A queue of waiting tasks, linked through qnext (queue.c). */
typedef struct {
  mv_task_t *head, *tail;
} mv__fifo_t;

/* Tasks under a limit of their own, within the loop's (queue.c). */
struct mv_batch_s {
  mv_loop_t *loop;
  int limit;
  size_t slots;               /* its tasks holding a slot */
  size_t tasks;               /* its tasks not yet freed */
  int released;               /* mv_batch_free() was called: freed with its last task */
  mv__fifo_t fifo;            /* its tasks waiting */
  struct mv_batch_s *next_waiting; /* in loop->waiting while fifo is not empty */
};

struct mv_loop_s {
  int epfd;
  int wakefd;
  pid_t owner;
  mv_task_t *head;
  size_t running;             /* started and not done */
  size_t count;               /* not yet freed */
  unsigned long completed;    /* completions so far */
  unsigned long delivered;    /* persistent tasks' messages handed to on_message so far */
  unsigned long nudges;       /* mv__loop_nudge() calls so far */
  struct mv_pool_s *pools;    /* the loop's own warm pools (mv_loop_warm_pool) */
  int in_wait;
  /* The batch being dispatched, so a task finished (and maybe freed by a
   * callback) mid-batch has its pending events dropped. */
  struct epoll_event *batch;
  int batch_n;
  /* The concurrency limit (queue.c): tasks holding a slot, and those
   * waiting for one, first come first served. */
  int limit;                  /* 0 = none */
  size_t slots;
  mv__fifo_t fifo;            /* waiting tasks of no batch */
  mv_batch_t *waiting;        /* batches with tasks waiting */
  unsigned long qseq;         /* arrivals so far */
  size_t queued;              /* waiting tasks, all queues */
  int admitting;
  struct mv_loop_s *forgotten_next; /* mv_loop_forget(): the child's list of copies */
};

/* loop.c */
int mv__loop_add_task(mv_loop_t *loop, mv_task_t *t);
/* Watch the fds of a task already linked (a queued task that starts). */
int mv__loop_watch(mv_loop_t *loop, mv_task_t *t);
/* Handle what the supervisor already said, without waiting (a warm
 * process that died while idle is noticed before it gets a request). */
void mv__task_poll(mv_task_t *t);
/* Count a task as running in the loop (without fds: warm requests). */
void mv__loop_link(mv_loop_t *loop, mv_task_t *t);
/* loop.c: something changed that may let work handed over to a scheduler
 * start (a pool process became ready): an mv_loop_wait() for no task in
 * particular returns after this batch of events, so that its caller looks
 * (mv_sched_t passes on its inbox after every round). */
void mv__loop_nudge(mv_loop_t *loop);
/* loop.c: sleep until mv_loop_wakeup() (a loop with no task: nothing else
 * can happen). */
int mv__loop_doze(mv_loop_t *loop);
mv_task_t *mv__task_alloc(mv_loop_t *loop, const mv_task_opts_t *opts,
                          const char *worker, mv_driver_t d, double timeout);
void mv__task_destroy(mv_task_t *t);

/* report.c */
void mv__report_build(mv_task_t *t);
/* Status and message of an answer: structured error, size, emptiness,
 * JSON validity. `detail` is appended to a structured error's message. */
void mv__report_result(mv_report_t *r, const char *what, int have_remote, const char *detail);
/* ": Type: first line of message" of a remote error, for messages. */
void mv__remote_line(const mv_remote_error_t *e, char *buf, size_t size);

/* pool.c: the pid of the process serving a request (its report's once it
 * ended, -1 while it waits). */
pid_t mv__pool_request_pid(const mv_task_t *req);
/* pool.c: a request made without a pool (mv_sched_request), or NULL. */
mv_task_t *mv__request_alloc(mv_loop_t *loop, const char *payload, size_t len,
                             const mv_task_opts_t *opts, double timeout);
/* pool.c: the pool takes a request (mv_pool_call's part after it was
 * made): it waits in the loop's FIFO, or goes to a process. On failure
 * nothing holds it and the caller destroys it. */
int mv__pool_take(struct mv_pool_s *p, mv_task_t *req);
/* pool.c: 1 if a request handed to p now would start at once (nothing
 * waits before it, and a process is idle or one more may start). */
int mv__pool_startable(const struct mv_pool_s *p);
/* pool.c: a request ended (counted out of its pool's requests). */
void mv__pool_request_ended(mv_task_t *req);
/* pool.c: cancel a request of a warm pool. */
int mv__pool_cancel(mv_task_t *req);
/* pool.c: free a pool's memory without touching its processes. */
void mv__pool_forget(struct mv_pool_s *p);

/* loop.c: end a task that has no process of its own (a warm request). */
void mv__task_complete(mv_task_t *t);
/* loop.c: end a task that never started (queued, or its start failed)
 * with `status` and its own report. */
void mv__task_fail(mv_task_t *t, int status, mv_end_t end, const char *message);

/* queue.c: the loop's limit. A task that needs no slot (a persistent
 * one) never calls these. */
/* 1 if t may start now: a slot is free, in its batch too, and no task
 * that waits may take it first. */
int mv__loop_room(const mv_loop_t *loop, const mv_task_t *t);
/* The task that has waited longest, whatever its batch (NULL: none). */
mv_task_t *mv__loop_first_queued(const mv_loop_t *loop);
/* queue.c: 1 if a task of no batch added now would start at once (a slot
 * is free and no waiting task may take it first; a full batch's tasks
 * hold back only their own). */
int mv__loop_room_now(const mv_loop_t *loop);
/* MV_EINVAL if opts.batch belongs to another loop. */
int mv__batch_check(const mv_loop_t *loop, const mv_task_opts_t *opts);
/* t is freed: it leaves its batch (freed with its last task once released). */
void mv__batch_drop(mv_task_t *t);
/* Count t in the limit (it starts now). */
void mv__slot_take(mv_task_t *t);
/* Link t into the loop and put it at the end of the FIFO; `begin` starts
 * it when its turn comes. */
void mv__loop_enqueue(mv_loop_t *loop, mv_task_t *t, int (*begin)(mv_task_t *));
/* Take t out of the FIFO (canceled or freed before its turn). */
void mv__loop_dequeue(mv_task_t *t);
/* t ended: give its slot to the next task waiting. */
void mv__slot_give(mv_task_t *t);
/* Start queued tasks while slots are free. */
void mv__loop_admit(mv_loop_t *loop);
/* task_start.c: an exec'd task's deferred start. */
void mv__deferred_free(struct mv__deferred_s *d);

#endif
