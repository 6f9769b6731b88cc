/*
 * The data flow of a call, host side (this file is where it all meets):
 *
 *  binding            queue.c            task_start.c          supervisor
 *  ───────            ───────            ────────────          ──────────
 *  spawn/fork/  ──▶   a slot free? ──no─▶ FIFO (mv_task_t,
 *  pool call          │yes               queued) ─┐ a slot frees
 *                     ▼                            ▼
 *                   start now ──────────▶ fork server / middle ─▶ adopts or
 *                                         process: pipes + ctl     spawns the
 *                                         socket into this loop    task, owns
 *                                                                  its tree
 *  pool.c: a request takes a slot, then an idle process of its pool
 *  (exec'd, or forked by the binding on on_need); the answer ends it.
 *
 *  mv_loop_wait ◀── epoll: stdout/stderr/result pipes, control socket ◀──
 *        │          (STARTED, EXITED = the tree is gone)
 *        ▼
 *  report.c builds the report ─▶ on_done ─▶ the slot goes to the next in
 *  the FIFO ─▶ the binding reads the report, raises or returns.
 *
 * The host's event loop: one epoll set over every task's pipes (stdout,
 * stderr, result) and control socket, driven by whichever thread calls
 * mv_loop_wait(). Timeouts are enforced by each task's supervisor, so the
 * loop needs no timers of its own: a task that nobody waits for still dies
 * at its deadline.
 *
 * A task is done when its supervisor closes the control socket (it does so
 * only after the whole tree is dead). The pipes are then drained without
 * waiting for EOF, so a stray copy of a write end held elsewhere can never
 * hang the host. The supervisor is reaped by pid: no waitpid(-1), no
 * SIGCHLD handler, nothing that would steal another child's status.
 */
#include "task_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MV__READ_CHUNK 65536
#define MV__READS_PER_EVENT 16   /* fairness between chatty tasks */

int mv_loop_new(mv_loop_t **out) {
  *out = NULL;
  mv_loop_t *l = calloc(1, sizeof(*l));
  if (l == NULL) return mv__error(MV_ENOMEM, "out of memory");
  l->owner = getpid();
  l->epfd = epoll_create1(EPOLL_CLOEXEC);
  l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (l->epfd < 0 || l->wakefd < 0) {
    int r = mv__syserror(MV_ESYS, "cannot create the event loop");
    if (l->epfd >= 0) close(l->epfd);
    if (l->wakefd >= 0) close(l->wakefd);
    free(l);
    return r;
  }
  /* The wake fd's events carry the loop itself; NULL marks an event
   * dropped because its task finished earlier in the same batch. */
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
  epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev);
  *out = l;
  return 0;
}

pid_t mv_loop_owner(const mv_loop_t *loop) { return loop->owner; }
size_t mv_loop_active(const mv_loop_t *loop) { return loop->running; }
int mv_loop_fd(const mv_loop_t *loop) { return loop->epfd; }

int mv_loop_wakeup(mv_loop_t *loop) {
  uint64_t one = 1;
  return write(loop->wakefd, &one, sizeof(one)) == (ssize_t)sizeof(one) ? 0 : MV_ESYS;
}

mv_task_t *mv__task_alloc(mv_loop_t *loop, const mv_task_opts_t *opts,
                          const char *worker, mv_driver_t d, double timeout) {
  mv_task_t *t = calloc(1, sizeof(*t));
  if (t == NULL) return NULL;
  t->loop = loop;
  for (int i = 0; i < MV__W_COUNT; i++) t->w[i] = (mv__watch_t){t, i, -1};
  t->spid = -1;
  t->driver = d;
  t->timeout = timeout;
  t->worker = mv__strdup(worker ? worker : "");
  if (t->worker == NULL) {
    free(t);
    return NULL;
  }
  if (opts && opts->task_id && *opts->task_id) {
    snprintf(t->task_id, sizeof(t->task_id), "%s", opts->task_id);
  } else {
    mv__random_id(t->task_id);
  }
  if (opts) {
    t->on_done = opts->on_done;
    t->data = opts->data;
    /* Persistent tasks take no slot: a batch would never hold them. */
    if (opts->batch && !(opts->flags & MV_TASK_PERSISTENT)) {
      t->batch = opts->batch;
      t->batch->tasks++;
    }
  }
  return t;
}

static void mv__watch_close(mv_task_t *t, int k) {
  if (t->w[k].fd < 0) return;
  epoll_ctl(t->loop->epfd, EPOLL_CTL_DEL, t->w[k].fd, NULL);
  close(t->w[k].fd);
  t->w[k].fd = -1;
}

int mv__loop_add_task(mv_loop_t *loop, mv_task_t *t) {
  int r = mv__loop_watch(loop, t);
  if (r == 0) mv__loop_link(loop, t);
  return r;
}

int mv__loop_watch(mv_loop_t *loop, mv_task_t *t) {
  for (int k = 0; k < MV__W_COUNT; k++) {
    if (t->w[k].fd < 0) continue;
    mv__set_nonblock(t->w[k].fd, 1);
    /* The request pipe is watched for EPOLLOUT only while requests wait. */
    struct epoll_event ev = {.events = k == MV__W_IN ? 0 : EPOLLIN, .data.ptr = &t->w[k]};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, t->w[k].fd, &ev) < 0)
      return mv__syserror(MV_ESYS, "epoll_ctl");
  }
  return 0;
}

void mv__loop_link(mv_loop_t *loop, mv_task_t *t) {
  t->next = loop->head;
  if (loop->head) loop->head->prev = t;
  loop->head = t;
  loop->running++;
  loop->count++;
  t->t_start = mv__now();
}

/* Persistent tasks: append to the message buffer and hand every complete
 * message to on_message. */
static void mv__frames_feed(mv_task_t *t, const char *buf, size_t n) {
  if (t->flen + n > t->fcap) {
    size_t cap = t->fcap ? t->fcap : 4096;
    while (cap < t->flen + n) cap *= 2;
    char *p = realloc(t->fbuf, cap);
    if (p == NULL) return; /* the message is lost; the request will time out */
    t->fbuf = p;
    t->fcap = cap;
  }
  memcpy(t->fbuf + t->flen, buf, n);
  t->flen += n;
  size_t off = 0;
  for (;;) {
    const char *msg = t->fbuf + off;
    size_t avail = t->flen - off, mlen, used;
    if (t->frame == MV__FRAME_LINES) {
      const char *nl = memchr(msg, '\n', avail);
      if (nl == NULL) break;
      mlen = (size_t)(nl - msg);
      used = mlen + 1;
    } else {
      if (avail < 8) break;
      uint64_t len = 0;
      for (int i = 7; i >= 0; i--) len = (len << 8) | (unsigned char)msg[i];
      if (avail - 8 < len) break;
      mlen = (size_t)len;
      msg += 8;
      used = mlen + 8;
    }
    t->loop->delivered++;
    t->in_message = 1;
    if (t->on_message) t->on_message(t, msg, mlen, t->data);
    t->in_message = 0;
    off += used;
  }
  memmove(t->fbuf, t->fbuf + off, t->flen - off);
  t->flen -= off;
}

/* Read what is available; returns 1 at EOF or error (watch closed). */
static int mv__drain(mv_task_t *t, int k, int max_reads) {
  char buf[MV__READ_CHUNK];
  for (int i = 0; max_reads < 0 || i < max_reads; i++) {
    ssize_t n = read(t->w[k].fd, buf, sizeof(buf));
    if (n > 0) {
      if (k == MV__W_RES && t->frame) mv__frames_feed(t, buf, (size_t)n);
      else mv__capture_append(&t->cap[k], buf, (size_t)n);
      /* A short read emptied the pipe: epoll is level-triggered and says
       * when more comes, so skip the read that would only see EAGAIN. */
      if (max_reads >= 0 && (size_t)n < sizeof(buf)) return 0;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return 0;
    mv__watch_close(t, k);
    return 1;
  }
  return 0;
}

/* The supervisor died without its final report (an administrator or the
 * OOM killer sent it SIGKILL): what it left is ours to kill. An exec'd
 * worker's reaper has done it already (it holds the control socket, so we
 * get here only after it); a forked task's tree is found through its
 * root, which is a subreaper, and through its leaf (which the host made). */
static void mv__task_orphaned(mv_task_t *t) {
  char *leaf = t->leaf ? mv__strdup(t->leaf) : NULL;
  if (leaf == NULL && t->leaf_name[0]) {
    char *parent = mv__cgroup_parent();
    if (parent) leaf = mv__asprintf("%s/%s", parent, t->leaf_name);
    free(parent);
  }
  mv__contain_t c;
  if (mv__contain_adopt(&c, leaf, mv__cgroup_mount_len(), -1) < 0)
    mv__contain_adopt(&c, NULL, 0, 0);
  free(leaf);
  mv__contain_set_root(&c, t->root_start ? t->root : 0, t->root_start);
  mv__contain_kill_sync(&c, 1.0);
  /* The leaf can go once its last process is reaped (by init: the root
   * was the supervisor's child). */
  for (int i = 0; i < 50 && c.cgroup_path && rmdir(c.cgroup_path) < 0 && errno == EBUSY; i++) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  mv__contain_dispose(&c);
}

static void mv__task_finish(mv_task_t *t) {
  /* Everything the tree wrote is in the pipes now: take it and close. */
  for (int k = MV__W_OUT; k <= MV__W_RES; k++) {
    if (t->w[k].fd >= 0) {
      mv__drain(t, k, -1);
      mv__watch_close(t, k);
    }
  }
  mv__watch_close(t, MV__W_CTL);
  mv__watch_close(t, MV__W_IN);
  if (t->frame == MV__FRAME_LINES && t->flen > 0 && t->on_message) {
    /* a last answer without its newline still counts */
    t->loop->delivered++;
    t->on_message(t, t->fbuf, t->flen, t->data);
    t->flen = 0;
  }
  if (t->spid > 0) {
    int st;
    while (waitpid(t->spid, &st, 0) < 0 && errno == EINTR) {
    }
    t->spid = -1;
  }
  if (!t->exited) mv__task_orphaned(t);
  if (t->leaf_after_reap && t->leaf) {
    /* Empty now (the supervisor, its last member, is reaped); a moment's
     * retry covers the kernel finishing the exit of a member. */
    for (int i = 0; i < 100 && rmdir(t->leaf) < 0 && errno == EBUSY; i++) {
      struct timespec ts = {0, 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
  t->t_end = mv__now(); /* the report may need it */
  mv__report_build(t);
  mv__task_complete(t);
}

void mv__task_complete(mv_task_t *t) {
  mv_loop_t *loop = t->loop;
  if (t->t_end == 0) t->t_end = mv__now();
  t->done = 1;
  loop->running--;
  loop->completed++;
  if (t->kind == MV__TASK_REQUEST) mv__pool_request_ended(t);
  /* Drop this task's events still pending in the current batch. */
  for (int i = 0; i < loop->batch_n; i++) {
    mv__watch_t *w = loop->batch[i].data.ptr;
    if (w && w->task == t) loop->batch[i].data.ptr = NULL;
  }
  /* The next task waiting gets the slot first: on_done may free t. */
  mv__slot_give(t);
  if (t->on_done) t->on_done(t, t->data);
}

void mv__task_fail(mv_task_t *t, int status, mv_end_t end, const char *message) {
  mv_report_t *r = &t->report;
  mv_report_dispose(r);
  memset(r, 0, sizeof(*r));
  r->status = status;
  r->end = end;
  r->exit_code = -1;
  r->pid = -1;
  r->timeout = t->timeout;
  r->worker = mv__strdup(t->worker);
  r->driver = t->driver;
  r->tier = "";
  r->message = mv__strdup(message && *message ? message : mv_strerror(status));
  snprintf(r->task_id, sizeof(r->task_id), "%s", t->task_id);
  t->queued = 0;
  t->reserved = 0;
  t->t_end = mv__now();
  mv__task_complete(t);
}

static void mv__on_ctl(mv_task_t *t) {
  for (;;) {
    mv__msg_t m;
    ssize_t n = recv(t->w[MV__W_CTL].fd, &m, sizeof(m), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    /* The supervisor exited with messages of ours unread (a warm process
     * marked busy just as it ended): the kernel reports ECONNRESET once,
     * ahead of what the supervisor sent before exiting, its final report
     * included. Read on: EOF follows. */
    if (n < 0 && errno == ECONNRESET) continue;
    if (n <= 0) { /* EOF: the supervisor is gone */
      mv__task_finish(t);
      return;
    }
    if (n != (ssize_t)sizeof(m) || m.version != MV__PROTO_VERSION) continue;
    switch (m.type) {
      case MV__MSG_STARTED:
        t->started = 1;
        t->root = m.pid;
        t->root_start = m.start;
        t->tier = m.tier;
        snprintf(t->leaf_name, sizeof(t->leaf_name), "%.63s", m.text);
        if (t->on_started) t->on_started(t);
        break;
      case MV__MSG_SPAWN_FAILED:
        t->spawn_failed = 1;
        t->spawn_err = m.value;
        snprintf(t->spawn_stage, sizeof(t->spawn_stage), "%.60s", m.text);
        break;
      case MV__MSG_EXITED:
        t->exited = 1;
        t->exit_msg = m;
        /* Its last word: the tree is gone. A supervisor from the fork
         * server is not ours to reap, and the server keeps a copy of this
         * socket (for when a supervisor dies without this message), so the
         * report, not end-of-file, ends the task. */
        if (t->spid <= 0) {
          mv__task_finish(t);
          return;
        }
        break;
      default:
        break;
    }
  }
}

/* Write queued requests; stop watching for EPOLLOUT when done. */
static void mv__flush_input(mv_task_t *t) {
  int fd = t->w[MV__W_IN].fd;
  if (fd < 0) return;
  while (t->inoff < t->inlen) {
    ssize_t n = send(fd, t->inbuf + t->inoff, t->inlen - t->inoff, MSG_NOSIGNAL);
    if (n > 0) {
      t->inoff += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    /* The reader is gone: the task is ending; its report tells why. */
    t->inoff = t->inlen;
    mv__watch_close(t, MV__W_IN);
    return;
  }
  int pending = t->inoff < t->inlen;
  if (!pending) {
    t->inoff = t->inlen = 0;
    if (t->close_input) {
      mv__watch_close(t, MV__W_IN);
      return;
    }
  }
  /* Only on a change: a request that fits the socket at once (the usual
   * case) costs no epoll_ctl. */
  if (pending == t->in_armed) return;
  t->in_armed = pending;
  struct epoll_event ev = {.events = pending ? EPOLLOUT : 0, .data.ptr = &t->w[MV__W_IN]};
  epoll_ctl(t->loop->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void mv__task_poll(mv_task_t *t) {
  int fd = t->w[MV__W_CTL].fd;
  /* Not from inside its own on_message: its end would free it under the
   * caller (the loop sees that end right after). */
  if (t->done || fd < 0 || t->in_message) return;
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, 0) == 1) mv__on_ctl(t);
}

static void mv__dispatch(mv__watch_t *w) {
  mv_task_t *t = w->task;
  if (w->kind == MV__W_CTL) {
    mv__on_ctl(t);
  } else if (w->kind == MV__W_IN) {
    mv__flush_input(t);
  } else {
    mv__drain(t, w->kind, MV__READS_PER_EVENT);
  }
}

void mv__loop_nudge(mv_loop_t *loop) { loop->nudges++; }

int mv__loop_doze(mv_loop_t *loop) {
  struct pollfd p = {.fd = loop->wakefd, .events = POLLIN};
  if (poll(&p, 1, -1) < 0 && errno != EINTR) return mv__syserror(MV_ESYS, "poll");
  uint64_t v;
  if (read(loop->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
    return mv__syserror(MV_ESYS, "read");
  return 0;
}

int mv_loop_wait(mv_loop_t *loop, mv_task_t *task, double timeout) {
  if (loop->in_wait) return mv__error(MV_EBUSY, "mv_loop_wait() is not re-entrant");
  if (task ? task->done : loop->running == 0) return 0;
  unsigned long gen = loop->completed, delivered = loop->delivered, nudges = loop->nudges;
  double deadline = timeout >= 0 ? mv__now() + timeout : 0;
  struct epoll_event evs[64];
  int rc = 0;
  loop->in_wait = 1;
  for (;;) {
    int ms = -1;
    if (timeout >= 0) {
      double left = deadline - mv__now();
      ms = left <= 0 ? 0 : (int)(left * 1000.0) + 1;
    }
    int n = epoll_wait(loop->epfd, evs, (int)MV__ARRAY_SIZE(evs), ms);
    if (n < 0) {
      rc = errno == EINTR ? MV_EINTR : mv__syserror(MV_ESYS, "epoll_wait");
      break;
    }
    int woke = 0;
    loop->batch = evs;
    loop->batch_n = n;
    /* The awaited task may be freed by an on_done callback: watch for its
     * completion through the generation counter and a flag. */
    int awaited_done = 0;
    for (int i = 0; i < n; i++) {
      if (evs[i].data.ptr == loop) {
        uint64_t v;
        if (read(loop->wakefd, &v, sizeof(v)) == (ssize_t)sizeof(v)) woke = 1;
        continue;
      }
      mv__watch_t *w = evs[i].data.ptr;
      if (w == NULL) continue;
      mv_task_t *t = w->task;
      int was_done = t->done;
      mv__dispatch(w);
      if (!was_done && t == task && loop->completed != gen) awaited_done = 1;
    }
    loop->batch = NULL;
    loop->batch_n = 0;
    if (task ? (awaited_done || task->done)
             : (loop->completed != gen || loop->delivered != delivered ||
                loop->nudges != nudges))
      break;
    if (woke) {
      rc = MV_EINTR;
      break;
    }
    if (timeout >= 0 && mv__now() >= deadline) {
      rc = MV_ETIMEDOUT;
      break;
    }
  }
  loop->in_wait = 0;
  return rc;
}

int mv_task_cancel(mv_task_t *t) {
  if (t->done) return 0;
  if (t->queued || t->reserved) {
    /* It never started: it ends now. */
    mv__loop_dequeue(t);
    char *msg = mv__asprintf("%s '%s' was canceled before it started",
                             t->driver == MV_DRIVER_FORK ? "task" : "worker", t->worker);
    mv__task_fail(t, MV_ECANCELED, MV_END_CANCELED, msg);
    free(msg);
    return 1;
  }
  if (t->kind == MV__TASK_REQUEST) return mv__pool_cancel(t);
  if (t->done || t->cancel_sent) return t->done ? 0 : 1;
  mv__msg_t m;
  memset(&m, 0, sizeof(m));
  m.version = MV__PROTO_VERSION;
  m.type = MV__MSG_KILL;
  m.value = -1; /* the supervisor's own kill_grace */
  t->cancel_sent = 1;
  send(t->w[MV__W_CTL].fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
  return 1;
}

int mv_task_signal(mv_task_t *t, int signum) {
  if (signum <= 0 || signum >= _NSIG) return mv__error(MV_EINVAL, "invalid signal %d", signum);
  if (t->done) return 0;
  if (t->queued || t->reserved)
    return signum == SIGTERM || signum == SIGKILL ? mv_task_cancel(t) : 0;
  if (t->kind == MV__TASK_REQUEST) return signum == SIGTERM || signum == SIGKILL ? mv__pool_cancel(t) : 0;
  if (signum == SIGTERM) return mv_task_cancel(t);
  mv__msg_t m;
  memset(&m, 0, sizeof(m));
  m.version = MV__PROTO_VERSION;
  if (signum == SIGKILL) {
    m.type = MV__MSG_KILL;
    m.value = 0; /* no grace */
    t->cancel_sent = 1;
  } else {
    m.type = MV__MSG_SIGNAL;
    m.value = signum;
  }
  send(t->w[MV__W_CTL].fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
  return 1;
}

int mv_task_send(mv_task_t *t, const void *msg, size_t len) {
  if (!t->frame) return mv__error(MV_EINVAL, "task %s is not persistent", t->task_id);
  if (t->done || t->close_input || t->w[MV__W_IN].fd < 0)
    return mv__error(MV_ECANCELED, "task %s no longer accepts requests", t->task_id);
  size_t extra = t->frame == MV__FRAME_LINES ? 1 : 8;
  if (len > SIZE_MAX - t->inlen - extra) return mv__error(MV_ENOMEM, "request too large");
  char *p = realloc(t->inbuf, t->inlen + len + extra);
  if (p == NULL) return mv__error(MV_ENOMEM, "out of memory queueing a request");
  t->inbuf = p;
  char *dst = p + t->inlen;
  if (t->frame == MV__FRAME_LINES) {
    /* Raw newlines can only be whitespace in valid JSON: flatten them so
     * the request is one line. */
    const char *src = msg;
    for (size_t i = 0; i < len; i++) dst[i] = (src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
    dst[len] = '\n';
  } else {
    uint64_t n = len;
    for (int i = 0; i < 8; i++) dst[i] = (char)((n >> (8 * i)) & 0xff);
    memcpy(dst + 8, msg, len);
  }
  t->inlen += len + extra;
  mv__flush_input(t);
  return 0;
}

int mv_task_close_input(mv_task_t *t) {
  if (!t->frame) return mv__error(MV_EINVAL, "task %s is not persistent", t->task_id);
  t->close_input = 1;
  if (t->w[MV__W_IN].fd >= 0 && t->inoff >= t->inlen) mv__watch_close(t, MV__W_IN);
  return 0;
}

int mv_task_set_busy(mv_task_t *t, int busy, double deadline) {
  if (!t->frame) return mv__error(MV_EINVAL, "task %s is not persistent", t->task_id);
  if (t->done) return 0;
  mv__msg_t m;
  memset(&m, 0, sizeof(m));
  m.version = MV__PROTO_VERSION;
  m.type = MV__MSG_BUSY;
  m.value = busy ? 1 : 0;
  m.elapsed_ns = deadline > 0 ? (int64_t)(deadline * 1e9) : 0;
  send(t->w[MV__W_CTL].fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
  return 0;
}

int mv_task_take_output(mv_task_t *t, mv_buf_t *out, mv_buf_t *err) {
  /* An answer can be read before the logs printed ahead of it: whatever
   * the pipes hold now was written before, so take it too. */
  for (int k = MV__W_OUT; k <= MV__W_ERR; k++)
    if (t->w[k].fd >= 0) mv__drain(t, k, -1);
  if (mv__capture_finish(&t->cap[MV__W_OUT], out) < 0 ||
      mv__capture_finish(&t->cap[MV__W_ERR], err) < 0)
    return mv__error(MV_ENOMEM, "out of memory");
  size_t limit = t->cap[MV__W_OUT].limit;
  mv__capture_init(&t->cap[MV__W_OUT], limit, 0);
  mv__capture_init(&t->cap[MV__W_ERR], limit, 1);
  return 0;
}

int mv_task_done(const mv_task_t *t) { return t->done; }
pid_t mv_task_pid(const mv_task_t *t) {
  if (t->kind == MV__TASK_REQUEST) return mv__pool_request_pid(t);
  return t->root > 0 ? t->root : -1;
}
const char *mv_task_id(const mv_task_t *t) { return t->task_id; }
void *mv_task_data(const mv_task_t *t) { return t->data; }

double mv_task_elapsed(const mv_task_t *t) {
  return (t->done ? t->t_end : mv__now()) - t->t_start;
}

const mv_report_t *mv_task_report(const mv_task_t *t) {
  return t->done && !t->report_taken ? &t->report : NULL;
}

int mv_task_take_report(mv_task_t *t, mv_report_t *out) {
  if (!t->done) return mv__error(MV_EBUSY, "task %s is still running", t->task_id);
  if (t->report_taken) return mv__error(MV_EINVAL, "report of task %s already taken", t->task_id);
  *out = t->report;
  memset(&t->report, 0, sizeof(t->report));
  t->report_taken = 1;
  return 0;
}

void mv__task_destroy(mv_task_t *t) {
  mv__batch_drop(t);
  for (int k = 0; k < MV__W_COUNT; k++) {
    if (t->w[k].fd >= 0) close(t->w[k].fd);
    if (k < 3) mv__capture_dispose(&t->cap[k]);
  }
  mv_report_dispose(&t->report);
  mv__deferred_free(t->deferred);
  free(t->payload);
  free(t->inbuf);
  free(t->fbuf);
  free(t->worker);
  free(t->script);
  free(t->leaf);
  free(t);
}

static void mv__unlink(mv_task_t *t) {
  mv_loop_t *l = t->loop;
  if (t->prev) t->prev->next = t->next;
  else l->head = t->next;
  if (t->next) t->next->prev = t->prev;
  l->count--;
}

void mv_task_free(mv_task_t *t) {
  if (t == NULL) return;
  if (t->queued || t->reserved || (t->kind == MV__TASK_REQUEST && !t->done)) mv_task_cancel(t);
  if (!t->done) {
    mv_task_cancel(t);
    while (!t->done) {
      int r = mv_loop_wait(t->loop, t, -1);
      if (r == MV_EBUSY) break; /* called from a callback: leave it running */
    }
    if (!t->done) return;
  }
  mv__unlink(t);
  mv__task_destroy(t);
}

void mv_loop_free(mv_loop_t *loop) {
  if (loop == NULL) return;
  if (loop->owner != getpid()) {
    mv_loop_forget(loop);
    return;
  }
  /* Those waiting first, so that no slot freed below starts one. */
  mv_task_t *q;
  while ((q = mv__loop_first_queued(loop)) != NULL) mv_task_cancel(q);
  for (;;) { /* a canceled task's on_done may free it: look again each time */
    mv_task_t *t = loop->head;
    while (t && !t->reserved) t = t->next;
    if (t == NULL) break;
    mv_task_cancel(t);
  }
  while (loop->pools) mv_pool_free(loop->pools); /* retired: their trees gone */
  for (mv_task_t *t = loop->head; t; t = t->next)
    if (!t->done) mv_task_cancel(t);
  while (loop->running > 0) {
    int r = mv_loop_wait(loop, NULL, -1);
    if (r < 0 && r != MV_EINTR) break;
  }
  /* What is left is memory and fds. */
  while (loop->pools) mv__pool_forget(loop->pools);
  while (loop->head) {
    mv_task_t *t = loop->head;
    mv__unlink(t);
    mv__task_destroy(t);
  }
  close(loop->epfd);
  close(loop->wakefd);
  free(loop);
}

/* Loops forgotten in this process (a forked child): kept reachable, never
 * freed. */
static mv_loop_t *mv__forgotten;

void mv_loop_forget(mv_loop_t *loop) {
  if (loop == NULL) return;
  /* The tasks and pools belong to the parent: nothing is signalled, and
   * only the fds are closed (a copy of a task's control socket held here
   * would hide the parent's closing it from that task's supervisor). The
   * memory is left as it is: freeing it would write to every page it sits
   * on, which the kernel then copies from the parent; in a task forked
   * while a thousand others run, that was most of the task's start. */
  for (mv_task_t *t = loop->head; t; t = t->next)
    for (int k = 0; k < MV__W_COUNT; k++)
      if (t->w[k].fd >= 0) close(t->w[k].fd);
  close(loop->epfd);
  close(loop->wakefd);
  loop->forgotten_next = mv__forgotten;
  mv__forgotten = loop;
}
