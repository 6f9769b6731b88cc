/*
 * Pools: processes started once and reused, one request at a time each.
 * The processes of a warm worker are exec'd here (mv_pool_new); those of
 * a pool of forked servers are forked by the binding when the pool asks
 * for one (mv_pool_new_forked: on_need, then mv_pool_fork), because only
 * the binding knows how to fork its runtime and what the child serves.
 * Everything else is the same for both and written once below: which
 * process takes a request, its deadline, what a process that dies does to
 * its request, replacing it, retiring it.
 *
 * Warm workers: processes of one worker started once and reused.
 *
 * Each warm process is a persistent task under its own supervisor, exactly
 * as contained as a cold one. A call is a "request task": it has no process
 * of its own, but it is a task of the loop like any other (wait, cancel,
 * report), so the bindings call warm and cold workers the same way.
 *
 * Greeting: an exec'd warm process first writes {"multiverse":"ready"} on
 * fd 3, and takes requests only then. Until it has, the supervisor holds
 * it busy with the greeting's deadline (greet_timeout, default
 * MV_DEFAULT_GREET_TIMEOUT); a process that misses it, writes something
 * else first or ends before greeting fails the requests waiting for it at
 * once, saying it does not speak the warm protocol. Without the greeting,
 * a plain worker marked warm (it reads stdin to end of file, which never
 * comes) would hang every call until its timeout, or forever without one.
 * The processes of a pool of forked servers are the binding's own code:
 * they need no greeting.
 *
 * Per request: the process is marked busy with the request's deadline (the
 * supervisor kills the tree if it is missed), the payload is written as one
 * line, and the first line on fd 3 is the answer; stdout and stderr written
 * meanwhile belong to the request. A process that dies with a request in
 * flight fails that request with the reason (crash, timeout, clear) and is
 * replaced on demand. After max_requests the process is retired (its stdin
 * is closed); after idle_timeout the supervisor ends it.
 */
#include "task_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct mv__proc_s {
  struct mv_pool_s *pool;
  mv_task_t *task;
  mv_task_t *req;           /* request in flight, NULL when idle */
  int flipped;              /* its supervisor was told it is busy */
  int served;
  int retiring;
  int greeted;              /* it wrote the greeting (forked servers: always) */
  int greet_by_request;     /* its greeting deadline was a waiting request's timeout */
  char *refused;            /* why it was killed before greeting, if it was */
  char *sent;               /* payload of the request in flight */
  size_t sent_len;
  struct mv__proc_s *next;
} mv__proc_t;

struct mv_pool_s {
  mv_loop_t *loop;
  mv_config_t cfg;
  char *name;
  mv_warm_t warm;
  mv__proc_t *procs;
  int nprocs;
  unsigned long ends;       /* processes ended so far (a walk that saw one starts over) */
  size_t requests;           /* requests taken and not ended */
  mv_task_t **queue;        /* requests waiting for a process, FIFO */
  size_t qhead, qlen, qcap;
  int in_loop;              /* one of the loop's own pools (mv_loop_warm_pool) */
  struct mv_pool_s *next_in_loop;
  /* A pool of forked servers (mv_pool_new_forked): the binding forks
   * each process when the pool asks (on_need -> mv_pool_fork). */
  int forked;
  unsigned flags, fork_flags;
  mv_pool_need_cb on_need;
  void *need_data;
  int starting;             /* asked for, not forked yet */
};

static void mv__pool_dispatch(mv_pool_t *p);
static mv_task_t *mv__queue_pop(mv_pool_t *p);
static void mv__req_finish(mv_task_t *req);
static void mv__proc_opts(mv_pool_t *p, struct mv__proc_s *pr, mv_task_opts_t *o);
static void mv__proc_on_started(mv_task_t *t);

static void mv__buf_copy(mv_buf_t *dst, const mv_buf_t *src) {
  *dst = *src;
  dst->data = malloc(src->len + 1);
  if (dst->data == NULL) {
    dst->len = 0;
    return;
  }
  if (src->len) memcpy(dst->data, src->data, src->len);
  dst->data[src->len] = '\0';
}

/* multiverse.json --------------------------------------------------------- */

static int mv__warm_number(const cJSON *obj, const char *key, double min, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (v == NULL) return 0;
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < min)
    return mv__error(MV_EINVAL, "warm option '%s' must be a number >= %g", key, min);
  *out = v->valuedouble;
  return 0;
}

int mv_warm_parse(const char *json, mv_warm_t *out) {
  memset(out, 0, sizeof(*out));
  out->processes = 1;
  if (json == NULL) return 0;
  cJSON *root = cJSON_Parse(json);
  if (root == NULL) return mv__error(MV_EINVAL, "multiverse.json is not valid JSON");
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "warm");
  int r = 0;
  if (w == NULL || cJSON_IsFalse(w) || cJSON_IsNull(w)) {
    r = 0;
  } else if (cJSON_IsTrue(w)) {
    r = 1;
  } else if (cJSON_IsObject(w)) {
    double procs = 1, maxreq = 0, idle = 0, greet = 0;
    if ((r = mv__warm_number(w, "processes", 1, &procs)) == 0 &&
        (r = mv__warm_number(w, "max_requests", 0, &maxreq)) == 0 &&
        (r = mv__warm_number(w, "idle_timeout", 0, &idle)) == 0 &&
        (r = mv__warm_number(w, "greet_timeout", 0, &greet)) == 0) {
      out->processes = procs > 1024 ? 1024 : (int)procs;
      out->max_requests = maxreq > 1e9 ? 1000000000 : (int)maxreq;
      out->idle_timeout = idle;
      out->greet_timeout = greet;
      r = 1;
    }
  } else {
    r = mv__error(MV_EINVAL, "multiverse.json: \"warm\" must be an object or a boolean");
  }
  cJSON_Delete(root);
  return r;
}

/* Next to mv_warm_parse(): the supervisor, which links config.c, has no
 * JSON parser. */
int mv_config_warm(const mv_config_t *cfg, const char *name, mv_warm_t *out) {
  memset(out, 0, sizeof(*out));
  for (size_t i = 0; i < cfg->nwarm; i++) {
    if (strcmp(cfg->warm[i].name, name) != 0) continue;
    if (!cfg->warm[i].warm) return 0;
    *out = cfg->warm[i].settings;
    return 1;
  }
  /* The worker's own multiverse.json. A worker that cannot be resolved is
   * left to the cold path, which says why. */
  mv_worker_t w;
  if (mv_worker_resolve(cfg, name, &w) < 0) {
    mv_clear_error();
    return 0;
  }
  int r = w.warm_config ? mv_warm_parse(w.warm_config, out) : 0;
  mv_worker_dispose(&w);
  return r;
}

/* Pool ----------------------------------------------------------------- */

int mv_pool_new(mv_loop_t *loop, const mv_config_t *cfg, const char *name,
                const mv_warm_t *warm, mv_pool_t **out) {
  *out = NULL;
  int r = mv_validate_worker_name(name);
  if (r < 0) return r;
  if ((r = mv__warm_check(name, warm)) < 0) return r;
  mv_pool_t *p = calloc(1, sizeof(*p));
  if (p == NULL) return mv__error(MV_ENOMEM, "out of memory");
  p->loop = loop;
  p->warm = *warm;
  p->name = mv__strdup(name);
  if (p->name == NULL || mv_config_copy(&p->cfg, cfg) < 0) {
    free(p->name);
    free(p);
    return mv__error(MV_ENOMEM, "out of memory");
  }
  *out = p;
  return 0;
}

int mv_pool_new_forked(mv_loop_t *loop, const mv_config_t *cfg,
                       const mv_fork_pool_opts_t *opts, mv_pool_t **out) {
  *out = NULL;
  if (opts == NULL || opts->on_need == NULL)
    return mv__error(MV_EINVAL, "a pool of forked processes needs on_need");
  if ((opts->flags & ~(unsigned)MV_TASK_NO_REGISTRY) ||
      (opts->fork_flags & ~(unsigned)(MV_FORK_CAPTURE | MV_FORK_CLOSE_PIPES)))
    return mv__error(MV_EINVAL, "a pool's flags may only be MV_TASK_NO_REGISTRY, its "
                                "fork_flags MV_FORK_CAPTURE and MV_FORK_CLOSE_PIPES");
  int r = mv_pool_new(loop, cfg, opts->name ? opts->name : "pool", &opts->size, out);
  if (r < 0) return r;
  (*out)->forked = 1;
  (*out)->flags = opts->flags;
  (*out)->fork_flags = opts->fork_flags;
  (*out)->on_need = opts->on_need;
  (*out)->need_data = opts->data;
  return 0;
}

int mv_pool_fork(mv_pool_t *p, mv_child_t **child) {
  *child = NULL;
  if (!p->forked) return mv__error(MV_EINVAL, "pool '%s' is not a pool of forked processes",
                                   p->name);
  if (p->starting > 0) p->starting--;
  mv__proc_t *pr = calloc(1, sizeof(*pr));
  int r = pr ? 0 : mv__error(MV_ENOMEM, "out of memory");
  if (r == 0) {
    pr->pool = p;
    pr->greeted = 1;
    mv_task_opts_t o;
    mv__proc_opts(p, pr, &o);
    r = mv_task_fork(p->loop, &p->cfg, &o, &pr->task, child);
    if (r == MV_FORK_CHILD) return r; /* the binding serves requests here */
  }
  if (r < 0) {
    free(pr);
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", mv_last_error());
    /* Without a process, or one on its way, nothing would serve the
     * requests waiting: they fail with the reason. */
    while (p->nprocs == 0 && p->starting == 0 && p->qlen > 0) {
      mv_task_t *req = mv__queue_pop(p);
      req->report.status = r;
      req->report.end = MV_END_SPAWN_FAILED;
      req->report.message = mv__strdup(msg);
      mv__req_finish(req);
    }
    return mv__error(r, "%s", msg);
  }
  pr->task->on_started = mv__proc_on_started;
  pr->next = p->procs;
  p->procs = pr;
  p->nprocs++;
  mv__pool_dispatch(p);
  return 0;
}

static int mv__queue_push(mv_pool_t *p, mv_task_t *req) {
  if (p->qhead + p->qlen == p->qcap) {
    if (p->qhead > 0) {
      memmove(p->queue, p->queue + p->qhead, p->qlen * sizeof(*p->queue));
      p->qhead = 0;
    } else {
      size_t cap = p->qcap ? p->qcap * 2 : 16;
      mv_task_t **q = realloc(p->queue, cap * sizeof(*q));
      if (q == NULL) return -1;
      p->queue = q;
      p->qcap = cap;
    }
  }
  p->queue[p->qhead + p->qlen++] = req;
  return 0;
}

static mv_task_t *mv__queue_pop(mv_pool_t *p) {
  if (p->qlen == 0) return NULL;
  p->qlen--;
  return p->queue[p->qhead++];
}

static void mv__queue_remove(mv_pool_t *p, mv_task_t *req) {
  for (size_t i = 0; i < p->qlen; i++) {
    if (p->queue[p->qhead + i] == req) {
      memmove(p->queue + p->qhead + i, p->queue + p->qhead + i + 1,
              (p->qlen - i - 1) * sizeof(*p->queue));
      p->qlen--;
      return;
    }
  }
}

/* Fill a request's report from the answer line (a forked server's answer
 * is the binding's to read: its bytes are the result). */
static void mv__req_answered(mv_task_t *req, mv__proc_t *pr, const char *msg, size_t len) {
  mv_report_t *r = &req->report;
  r->end = MV_END_EXITED;
  r->result.data = malloc(len + 1);
  if (r->result.data) {
    memcpy(r->result.data, msg, len);
    r->result.data[len] = '\0';
    r->result.len = r->result.total = len;
  }
  mv_task_take_output(pr->task, &r->out, &r->err);
  if (pr->pool->forked) {
    r->result_source = MV_RESULT_PIPE;
    r->status = r->result.data ? MV_OK : MV_ENOMEM;
    return;
  }
  r->result_source = MV_RESULT_CHANNEL;
  char detail[512] = "";
  int have_remote =
      r->result.data && mv__json_structured_error(r->result.data, r->result.len, &r->remote) > 0;
  if (have_remote) mv__remote_line(&r->remote, detail, sizeof(detail));
  mv__report_result(r, "warm worker", have_remote, detail);
}

/* Fill a request's report when its process ended without answering. */
static void mv__req_orphaned(mv_task_t *req, const mv_report_t *pr) {
  mv_report_t *r = &req->report;
  const char *what = req->driver == MV_DRIVER_FORK ? "task" : "worker";
  r->end = pr->end;
  r->exit_code = pr->exit_code;
  r->signal = pr->signal;
  r->spawn_errno = pr->spawn_errno;
  r->limit[0] = '\0';
  snprintf(r->limit, sizeof(r->limit), "%s", pr->limit);
  mv__buf_copy(&r->out, &pr->out);
  mv__buf_copy(&r->err, &pr->err);
  if (pr->remote.type) {
    r->remote.type = mv__strdup(pr->remote.type);
    r->remote.message = mv__strdup(pr->remote.message);
    r->remote.language = mv__strdup(pr->remote.language);
  }
  if (pr->status == MV_OK || (pr->end == MV_END_EXITED && pr->exit_code == 0)) {
    /* Exited cleanly with a request in flight: it does not speak the
     * warm protocol (one JSON line on fd 3 per line on stdin). */
    r->status = MV_ENORESULT;
    r->message = req->driver == MV_DRIVER_FORK
                     ? mv__asprintf("the pool process of task '%s' exited without answering",
                                    r->worker)
                     : mv__asprintf("warm worker '%s' exited without answering the request "
                                    "(a warm worker answers each line on stdin with one line "
                                    "on fd 3)",
                                    r->worker);
  } else if (pr->status == MV_ETIMEDOUT) {
    /* The deadline was the request's: the process itself has none. */
    r->status = pr->status;
    r->message = mv__asprintf("%s '%s' timed out after %g s (process tree killed)", what,
                              r->worker, req->timeout);
  } else {
    r->status = pr->status;
    r->message = mv__asprintf("%s%s", pr->message ? pr->message : "pool process failed",
                              req->driver == MV_DRIVER_FORK ? " (pool process replaced)"
                                                            : " (warm process replaced)");
  }
}

static void mv__req_finish(mv_task_t *req) {
  mv_report_t *r = &req->report;
  r->elapsed = mv__now() - req->t_start;
  r->timeout = req->timeout;
  if (r->message == NULL) r->message = mv__strdup("");
  mv__task_complete(req);
}


/* Greeting ---------------------------------------------------------------- */

/* How to make a worker speak the warm protocol, for messages. */
#define MV__WARM_HINT                                                                    \
  "a warm worker first writes the line {\"multiverse\":\"ready\"} to fd 3, then answers " \
  "each line on stdin with one line on fd 3: in Python call "                            \
  "multiverse.worker.serve(handler), with the multiverse package installed for the "     \
  "worker's interpreter (php artisan multiverse:install does it for Laravel), or make "  \
  "the worker cold (remove \"warm\" from its multiverse.json)"

static double mv__greet_timeout(const mv_pool_t *p) {
  return p->warm.greet_timeout > 0 ? p->warm.greet_timeout : MV_DEFAULT_GREET_TIMEOUT;
}

/* Seconds left of a waiting request's timeout (counted from the call);
 * -1 = none. */
static double mv__req_left(const mv_task_t *req, double now) {
  if (req->timeout <= 0) return -1;
  double left = req->timeout - (now - req->t_start);
  return left > 0 ? left : 0;
}

/* The deadline a new process has to greet: greet_timeout, or less when a
 * request waiting for it would time out first (a call never waits past
 * its timeout for a process to start). */
static double mv__greet_deadline(mv__proc_t *pr) {
  mv_pool_t *p = pr->pool;
  double d = mv__greet_timeout(p), now = mv__now();
  pr->greet_by_request = 0;
  for (size_t i = 0; i < p->qlen; i++) {
    double left = mv__req_left(p->queue[p->qhead + i], now);
    if (left >= 0 && left < d) {
      d = left > 0.001 ? left : 0.001;
      pr->greet_by_request = 1;
    }
  }
  return d;
}

/* A process was killed at a waiting request's deadline before greeting:
 * the requests whose time is up time out; the others wait for the next
 * process. */
static void mv__greet_expired(mv_pool_t *p, const mv__proc_t *pr, const mv_report_t *rep) {
  double now = mv__now();
  size_t n = 0;
  mv_task_t **due = malloc((p->qlen ? p->qlen : 1) * sizeof(*due));
  if (due == NULL) return;
  for (size_t i = 0; i < p->qlen;) {
    mv_task_t *req = p->queue[p->qhead + i];
    if (mv__req_left(req, now) >= 0 && mv__req_left(req, now) < 0.05) {
      due[n++] = req;
      mv__queue_remove(p, req);
    } else {
      i++;
    }
  }
  for (size_t i = 0; i < n; i++) {
    mv_task_t *req = due[i];
    mv__req_orphaned(req, rep);
    req->report.pid = mv_task_pid(pr->task);
    req->root = req->report.pid;
    req->report.status = MV_ETIMEDOUT;
    free(req->report.message);
    req->report.message =
        mv__asprintf("warm worker '%s' timed out after %g s waiting for its warm process to "
                     "greet (process tree killed)", p->name, req->timeout);
    mv__req_finish(req);
  }
  free(due);
}

/* 1 if msg is the greeting: a JSON object whose "multiverse" is "ready"
 * (other members are allowed, for later versions of the protocol). */
static int mv__is_greeting(const char *msg, size_t len) {
  cJSON *root = cJSON_ParseWithLength(msg, len);
  const cJSON *v = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "multiverse")
                                        : NULL;
  int ok = cJSON_IsString(v) && strcmp(v->valuestring, "ready") == 0;
  cJSON_Delete(root);
  return ok;
}

/* The first line of a warm process: the greeting makes it take requests;
 * anything else gets it killed (its end fails the requests waiting). */
static void mv__proc_greeting(mv__proc_t *pr, const char *msg, size_t len) {
  if (!mv__is_greeting(msg, len)) {
    if (pr->refused == NULL) {
      int shown = len > 80 ? 80 : (int)len;
      pr->refused = mv__asprintf("its first line on fd 3 was not the greeting but '%.*s%s'",
                                 shown, msg, len > 80 ? "..." : "");
      mv_task_cancel(pr->task);
    }
    return;
  }
  pr->greeted = 1;
  if (pr->flipped) mv_task_set_busy(pr->task, 0, 0);
  pr->flipped = 0;
  /* What it printed while starting belongs to no request. */
  mv_buf_t out, err;
  if (mv_task_take_output(pr->task, &out, &err) == 0) {
    free(out.data);
    free(err.data);
  }
  mv__pool_dispatch(pr->pool);
  mv__loop_nudge(pr->pool->loop); /* as in mv__proc_on_started */
}

/* A warm process ended before greeting. The requests waiting fail with
 * why, unless a process that greeted is there to serve them. */
static void mv__proc_never_greeted(mv_pool_t *p, mv__proc_t *pr, const mv_report_t *rep) {
  if (pr->greet_by_request && rep->end == MV_END_TIMEOUT && pr->refused == NULL) {
    mv__greet_expired(p, pr, rep);
    return;
  }
  for (mv__proc_t *o = p->procs; o; o = o->next)
    if (o->greeted && !o->retiring && !o->task->done) return;
  while (p->qlen > 0) {
    mv_task_t *req = mv__queue_pop(p);
    mv_report_t *r = &req->report;
    mv__req_orphaned(req, rep);
    req->report.pid = mv_task_pid(pr->task);
    req->root = req->report.pid;
    char *msg = NULL;
    if (pr->refused) {
      r->status = MV_ENORESULT;
      msg = mv__asprintf("warm worker '%s' does not speak the warm protocol: %s (process "
                         "tree killed); " MV__WARM_HINT, p->name, pr->refused);
    } else if (rep->end == MV_END_TIMEOUT) {
      r->status = MV_ENORESULT;
      msg = mv__asprintf("warm worker '%s' did not greet within %g s (greet_timeout): it does "
                         "not speak the warm protocol (process tree killed); " MV__WARM_HINT,
                         p->name, mv__greet_timeout(p));
    } else if (r->status == MV_ENORESULT) {
      msg = mv__asprintf("warm worker '%s' exited before greeting: it does not speak the warm "
                         "protocol; " MV__WARM_HINT, p->name);
    } else {
      /* It failed on its own (a crash, an exception in its imports):
       * that is the error, with the remote fields parsed from stderr. */
      msg = mv__asprintf("%s (warm process ended before greeting)",
                         rep->message && *rep->message ? rep->message : "warm process failed");
    }
    free(r->message);
    r->message = msg;
    mv__req_finish(req);
  }
}

static void mv__proc_on_message(mv_task_t *t, const char *msg, size_t len, void *data) {
  (void)t;
  mv__proc_t *pr = data;
  if (!pr->greeted) {
    mv__proc_greeting(pr, msg, len);
    return;
  }
  mv_task_t *req = pr->req;
  if (req == NULL) return; /* an answer nobody asked for: ignore it */
  pr->req = NULL;
  req->proc = NULL;
  free(pr->sent);
  pr->sent = NULL;
  pr->served++;
  mv__req_answered(req, pr, msg, len);
  req->report.pid = mv_task_pid(pr->task);
  req->root = req->report.pid;
  req->report.tier = pr->task->tier == 1 ? "cgroup" : "subreaper";
  if (pr->pool->warm.max_requests > 0 && pr->served >= pr->pool->warm.max_requests) {
    pr->retiring = 1;
    mv_task_close_input(pr->task);
  } else if (pr->flipped) {
    mv_task_set_busy(pr->task, 0, 0);
  }
  pr->flipped = 0;
  mv__req_finish(req);
  mv__pool_dispatch(pr->pool);
}

static void mv__proc_unlink(mv_pool_t *p, mv__proc_t *pr) {
  for (mv__proc_t **pp = &p->procs; *pp; pp = &(*pp)->next) {
    if (*pp == pr) {
      *pp = pr->next;
      p->nprocs--;
      return;
    }
  }
}

static void mv__proc_on_done(mv_task_t *t, void *data) {
  mv__proc_t *pr = data;
  mv_pool_t *p = pr->pool;
  mv__proc_unlink(p, pr);
  p->ends++;
  mv_task_t *req = pr->req;
  if (req && !req->canceled && mv_task_report(t)->end == MV_END_IDLE) {
    /* The process ended for idleness as the request reached it: the
     * request never ran, so it goes back to the queue. */
    req->proc = NULL;
    pr->req = NULL;
    req->payload = pr->sent;
    req->payload_len = pr->sent_len;
    pr->sent = NULL;
    mv__queue_push(p, req);
    req = NULL;
  }
  if (req) {
    req->proc = NULL;
    req->report.pid = mv_task_pid(t);
    req->root = req->report.pid;
    mv__req_orphaned(req, mv_task_report(t));
    if (req->canceled) {
      req->report.status = MV_ECANCELED;
      free(req->report.message);
      req->report.message = mv__asprintf("%s '%s' request was canceled",
                                         p->forked ? "task" : "warm worker", p->name);
    }
  }
  if (!pr->greeted) mv__proc_never_greeted(p, pr, mv_task_report(t));
  mv_task_free(t);
  free(pr->sent);
  free(pr->refused);
  free(pr);
  if (req) mv__req_finish(req);
  mv__pool_dispatch(p);
}

static void mv__proc_on_started(mv_task_t *t) {
  mv__proc_t *pr = t->data;
  /* Not greeted yet (the greeting may come first: another fd): the
   * supervisor kills it if the greeting does not come in time. */
  if (!pr->greeted && !pr->flipped) {
    mv_task_set_busy(t, 1, mv__greet_deadline(pr));
    pr->flipped = 1;
  }
  mv__pool_dispatch(pr->pool);
  /* It may serve a request waiting in a scheduler's inbox, which only
   * the end of this round passes on (nothing ends with this event). */
  mv__loop_nudge(pr->pool->loop);
}

static void mv__proc_opts(mv_pool_t *p, mv__proc_t *pr, mv_task_opts_t *o) {
  memset(o, 0, sizeof(*o));
  o->timeout = 0;
  o->flags = MV_TASK_PERSISTENT | p->flags;
  o->fork_flags = p->fork_flags;
  o->name = p->name;
  o->on_message = mv__proc_on_message;
  o->on_done = mv__proc_on_done;
  o->data = pr;
  o->idle_timeout = p->warm.idle_timeout;
}

static mv__proc_t *mv__proc_start(mv_pool_t *p, int *err) {
  mv__proc_t *pr = calloc(1, sizeof(*pr));
  if (pr == NULL) {
    *err = mv__error(MV_ENOMEM, "out of memory");
    return NULL;
  }
  pr->pool = p;
  mv_task_opts_t o;
  mv__proc_opts(p, pr, &o);
  int r = mv_task_spawn_worker(p->loop, &p->cfg, p->name, NULL, 0, &o, &pr->task);
  if (r < 0) {
    free(pr);
    *err = r;
    return NULL;
  }
  pr->task->on_started = mv__proc_on_started;
  pr->next = p->procs;
  p->procs = pr;
  p->nprocs++;
  return pr;
}

static int mv__proc_assign(mv__proc_t *pr, mv_task_t *req) {
  pr->req = req;
  req->proc = pr;
  req->t_start = mv__now();
  /* Whatever the process printed between requests is not this request's. */
  mv_buf_t out, err;
  if (mv_task_take_output(pr->task, &out, &err) == 0) {
    free(out.data);
    free(err.data);
  }
  /* The supervisor arms the request's deadline, ends an idle process
   * after idle_timeout and shows the state in the registry. A forked
   * server's request with no deadline, in a pool without an idle timeout,
   * needs none of that: the two messages (a fifth of a pooled call's
   * cost) are skipped and the registry shows it running. */
  pr->flipped = !(pr->pool->forked && req->timeout <= 0 && pr->pool->warm.idle_timeout <= 0);
  if (pr->flipped) mv_task_set_busy(pr->task, 1, req->timeout);
  int r = mv_task_send(pr->task, req->payload, req->payload_len);
  free(pr->sent);
  pr->sent = req->payload;
  pr->sent_len = req->payload_len;
  req->payload = NULL;
  return r;
}

/* Give queued requests to idle processes, starting processes up to the
 * pool size. A request that cannot get a process fails at once. */
/* A process takes requests once its supervisor has registered it, so
 * clear() after an answer always finds the process (its STARTED
 * dispatches again). */
static int mv__proc_ready(const mv__proc_t *pr) { return pr->task->started && pr->greeted; }

static void mv__pool_dispatch(mv_pool_t *p) {
  /* Idle processes may have ended meanwhile (idle timeout, clear()): let
   * their ends be seen now, which removes them from the pool. */
  if (p->qlen > 0) {
    /* A process that ended is freed by its on_done, which dispatches
     * again and may end (and free) others: after an end, the walk starts
     * over from the list's head. */
    mv__proc_t *pr = p->procs;
    while (pr) {
      unsigned long ends = p->ends;
      if (!pr->req) mv__task_poll(pr->task);
      pr = p->ends == ends ? pr->next : p->procs;
    }
  }
  while (p->qlen > 0) {
    mv__proc_t *idle = NULL;
    int coming = p->starting; /* processes on their way: asked for, or not yet started */
    for (mv__proc_t *pr = p->procs; pr; pr = pr->next) {
      if (pr->req || pr->retiring || pr->task->done) continue;
      if (mv__proc_ready(pr)) idle = pr;
      else coming++;
    }
    if (idle == NULL) {
      /* One more process per request that none on its way will take. */
      if (p->nprocs + p->starting >= p->warm.processes || (int)p->qlen <= coming) return;
      if (p->forked) {
        /* The binding forks it, right away (mv_pool_fork dispatches
         * again) or later. */
        p->starting++;
        p->on_need(p, p->need_data);
        continue;
      }
      int err = 0;
      if (mv__proc_start(p, &err) == NULL) {
        mv_task_t *req = mv__queue_pop(p);
        req->report.status = err;
        req->report.message = mv__strdup(mv_last_error());
        req->report.end = MV_END_SPAWN_FAILED;
        mv__req_finish(req);
      }
      continue;
    }
    if (idle == NULL) return;
    mv_task_t *req = mv__queue_pop(p);
    if (mv__proc_assign(idle, req) < 0) {
      /* The process is going away; its on_done fails the request. */
    }
  }
}

/* `begin` of a request that waited for a slot of the loop's limit. */
static int mv__req_begin(mv_task_t *req) {
  if (mv__queue_push(req->pool, req) < 0) return mv__error(MV_ENOMEM, "out of memory");
  mv__pool_dispatch(req->pool);
  return 0;
}

mv_task_t *mv__request_alloc(mv_loop_t *loop, const char *payload, size_t len,
                             const mv_task_opts_t *opts, double timeout) {
  mv_task_t *req = mv__task_alloc(loop, opts, "", MV_DRIVER_FORK, timeout);
  if (req == NULL) return NULL;
  req->kind = MV__TASK_REQUEST;
  req->payload = malloc(len ? len : 1);
  if (req->payload == NULL) {
    mv__task_destroy(req);
    return NULL;
  }
  memcpy(req->payload, payload, len);
  req->payload_len = len;
  return req;
}

int mv__pool_take(mv_pool_t *p, mv_task_t *req) {
  mv_report_t *rep = &req->report;
  char *worker = mv__strdup(p->name);
  rep->worker = mv__strdup(p->name);
  if (worker == NULL || rep->worker == NULL) {
    free(worker);
    return mv__error(MV_ENOMEM, "out of memory");
  }
  free(req->worker);
  req->worker = worker;
  if (req->timeout < 0) req->timeout = p->cfg.timeout; /* mv_sched_request: the pool's */
  rep->driver = req->driver;
  snprintf(rep->task_id, sizeof(rep->task_id), "%s", req->task_id);
  rep->tier = "subreaper";
  if (!mv__loop_room(p->loop, req)) {
    /* The loop's limit is reached: it waits there for a slot first. */
    req->pool = p;
    p->requests++;
    mv__loop_enqueue(p->loop, req, mv__req_begin);
    return 0;
  }
  if (mv__queue_push(p, req) < 0) return mv__error(MV_ENOMEM, "out of memory");
  req->pool = p;
  p->requests++;
  mv__loop_link(p->loop, req);
  mv__slot_take(req);
  mv__pool_dispatch(p);
  return 0;
}

void mv__pool_request_ended(mv_task_t *req) {
  if (req->pool && req->pool->requests > 0) req->pool->requests--;
}

int mv_pool_call(mv_pool_t *p, const char *payload, size_t len, const mv_task_opts_t *opts,
                 mv_task_t **out) {
  *out = NULL;
  if (p->loop->owner != getpid())
    return mv__error(MV_EINVAL, "this pool belongs to process %d (use a new one after fork)",
                     (int)p->loop->owner);
  int r = mv__batch_check(p->loop, opts);
  if (r < 0) return r;
  double timeout = p->cfg.timeout;
  if (opts && opts->timeout >= 0) {
    if ((r = mv_check_timeout(opts->timeout, "timeout")) < 0) return r;
    timeout = opts->timeout;
  }
  mv_driver_t driver = MV_DRIVER_FORK;
  if (!p->forked) {
    mv_worker_t w;
    if ((r = mv_worker_resolve(&p->cfg, p->name, &w)) < 0) return r;
    driver = w.driver;
    mv_worker_dispose(&w);
  }
  mv_task_t *req = mv__request_alloc(p->loop, payload, len, opts, timeout);
  if (req == NULL) return mv__error(MV_ENOMEM, "out of memory");
  req->driver = driver;
  if ((r = mv__pool_take(p, req)) < 0) {
    mv__task_destroy(req); /* in no list yet */
    return r;
  }
  *out = req;
  return 0;
}

int mv_pool_requests(const mv_pool_t *p) { return (int)p->requests; }

int mv__pool_startable(const mv_pool_t *p) {
  if (p->qlen > 0 || !mv__loop_room_now(p->loop)) return 0;
  for (const mv__proc_t *pr = p->procs; pr; pr = pr->next)
    if (!pr->req && !pr->retiring && !pr->task->done && mv__proc_ready(pr)) return 1;
  return p->nprocs + p->starting < p->warm.processes;
}

pid_t mv__pool_request_pid(const mv_task_t *req) {
  if (req->done) return req->root > 0 ? req->root : -1;
  return req->proc ? mv_task_pid(req->proc->task) : -1;
}

int mv__pool_cancel(mv_task_t *req) {
  if (req->done) return 0;
  mv_pool_t *p = req->pool;
  req->canceled = 1;
  if (req->proc) {
    /* In flight: kill the process's tree; its end fails the request. Its
     * answer may still come first (sent before the kill landed): the
     * process, being killed, never takes another request. */
    req->proc->retiring = 1;
    mv_task_cancel(req->proc->task);
    return 1;
  }
  mv__queue_remove(p, req);
  req->report.status = MV_ECANCELED;
  req->report.end = MV_END_CANCELED;
  req->report.message = mv__asprintf("%s '%s' request was canceled before it started",
                                     p->forked ? "task" : "warm worker", p->name);
  mv__req_finish(req);
  return 1;
}

void mv_pool_stats(const mv_pool_t *p, int *idle, int *busy) {
  *idle = *busy = 0;
  for (mv__proc_t *pr = p->procs; pr; pr = pr->next) {
    if (pr->req) (*busy)++;
    else (*idle)++;
  }
}

/* Drop a pool from its loop's set. */
static void mv__pool_unlink(mv_pool_t *p) {
  if (!p->in_loop) return;
  for (mv_pool_t **pp = &p->loop->pools; *pp; pp = &(*pp)->next_in_loop) {
    if (*pp == p) {
      *pp = p->next_in_loop;
      break;
    }
  }
  p->in_loop = 0;
}

static void mv__pool_dispose(mv_pool_t *p) {
  free(p->queue);
  free(p->name);
  mv_config_dispose(&p->cfg);
  free(p);
}

void mv__pool_forget(mv_pool_t *p) {
  /* A forked child's copy (or a loop forgotten): the processes are not
   * ours to signal; their tasks are freed with the loop. */
  mv__pool_unlink(p);
  while (p->procs) {
    mv__proc_t *pr = p->procs;
    p->procs = pr->next;
    free(pr->sent);
    free(pr->refused);
    free(pr);
  }
  mv__pool_dispose(p);
}

void mv_pool_free(mv_pool_t *p) {
  if (p == NULL) return;
  if (p->loop->owner != getpid()) {
    mv__pool_forget(p);
    return;
  }
  mv__pool_unlink(p);
  for (;;) { /* its requests still waiting for a slot of the loop */
    mv_task_t *t = p->loop->head;
    while (t && !(t->queued && t->pool == p)) t = t->next;
    if (t == NULL) break;
    mv_task_cancel(t);
  }
  while (p->qlen > 0) mv__pool_cancel(p->queue[p->qhead]);
  /* Retire every process and wait until its tree is gone. */
  for (mv__proc_t *pr = p->procs; pr; pr = pr->next) {
    if (pr->req) mv_task_cancel(pr->task);
    else mv_task_close_input(pr->task);
    pr->retiring = 1;
  }
  /* A process that ignores end of file gets kill_grace to exit, then its
   * tree is killed: freeing a pool never hangs on a worker. */
  double give_up = mv__now() + p->cfg.kill_grace;
  int forced = 0;
  while (p->procs) {
    double left = give_up - mv__now();
    if (!forced && left <= 0) {
      for (mv__proc_t *pr = p->procs; pr; pr = pr->next) mv_task_cancel(pr->task);
      forced = 1;
    }
    int r = mv_loop_wait(p->loop, p->procs->task, forced ? -1 : left);
    if (r < 0 && r != MV_EINTR && r != MV_ETIMEDOUT) break;
  }
  mv__pool_dispose(p);
}

/* workers_path as the core sees it from here, made absolute. */
static char *mv__absolute_path(const char *path) {
  if (path && path[0] == '/') return mv__strdup(path);
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == NULL) return mv__strdup(path ? path : ".");
  if (path == NULL || strcmp(path, ".") == 0) return mv__strdup(cwd);
  return mv__asprintf("%s/%s", cwd, path);
}

static int mv__warm_same(const mv_warm_t *a, const mv_warm_t *b) {
  return a->processes == b->processes && a->max_requests == b->max_requests &&
         a->idle_timeout == b->idle_timeout && a->greet_timeout == b->greet_timeout;
}

int mv_loop_warm_pool(mv_loop_t *loop, const mv_config_t *cfg, const char *name,
                      mv_pool_t **out) {
  *out = NULL;
  mv_warm_t warm;
  int r = mv_config_warm(cfg, name, &warm);
  if (r <= 0) return r;
  mv_config_t want;
  if (mv_config_copy(&want, cfg) < 0) return mv__error(MV_ENOMEM, "out of memory");
  char *path = mv__absolute_path(cfg->workers_path);
  if (path == NULL) {
    mv_config_dispose(&want);
    return mv__error(MV_ENOMEM, "out of memory");
  }
  free(want.workers_path);
  want.workers_path = path;
  mv_pool_t *p = loop->pools;
  while (p && !(strcmp(p->name, name) == 0 && strcmp(p->cfg.workers_path, path) == 0))
    p = p->next_in_loop;
  /* Made with other settings: retired before its replacement starts, so
   * a long-lived host never keeps stale copies of a worker running. */
  if (p && !(mv_config_same_start(&p->cfg, &want) && mv__warm_same(&p->warm, &warm))) {
    mv_pool_free(p);
    p = NULL;
  }
  if (p == NULL) {
    r = mv_pool_new(loop, &want, name, &warm, &p);
    if (r < 0) {
      mv_config_dispose(&want);
      return r;
    }
    p->in_loop = 1;
    p->next_in_loop = loop->pools;
    loop->pools = p;
  }
  mv_config_dispose(&want);
  *out = p;
  return 1;
}
