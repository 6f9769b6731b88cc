/*
 * Starting tasks: a worker exec'd under a supervisor (spawn mode), or the
 * host forked into a function task that a supervisor adopts (adopt mode).
 *
 * Worker: host --clone(VM|VFORK)+exec--> supervisor --clone+exec--> worker.
 *   The payload goes into a sealed-size memfd given to the worker as stdin:
 *   the worker reads it to EOF, and the host never blocks on a pipe write.
 *   stdout, stderr and the result channel (fd 3) are pipes read by the loop.
 *
 * Fork: host --clone3(VM|VFORK)--> X --fork--> T. X shares the host's
 *   memory (born in the task's leaf, when there is one), becomes a
 *   subreaper and forks T with the C library's fork(); T resumes in the
 *   host's frame (clone_vm.c) and returns MV_FORK_CHILD to the caller; X
 *   execs the supervisor in place, which adopts T and releases the host.
 *   Where that is unavailable, X is an ordinary fork of the host and T is
 *   born in the leaf with clone3. T writes its result blob into a pipe
 *   read by the loop. The supervisor being T's parent (and a subreaper)
 *   keeps T's whole lineage below it in both tiers, whatever T does to
 *   its cgroup membership.
 */
#include "task_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct mv_child_s {
  int res_fd;
  int req_fd;   /* persistent tasks: requests from the host, else -1 */
};

/* Options common to both modes, resolved from cfg and opts. */
typedef struct {
  double timeout, grace, idle;
  long mem_kb, cpu_s;
  int contain;
  int persistent;
  int close_pipes;
  char regdir[512];   /* "" = do not register */
  char ns[MV_NAMESPACE_MAX + 1]; /* ... under this namespace */
  int exec_fd;        /* the supervisor image, or -1 with ... */
  const char *sup_path; /* ... an override path */
} mv__start_t;

static int mv__start_resolve(mv_loop_t *loop, const mv_config_t *cfg,
                             const mv_task_opts_t *opts, mv__start_t *s) {
  memset(s, 0, sizeof(*s));
  s->exec_fd = -1;
  if (loop->owner != getpid())
    return mv__error(MV_EINVAL, "this loop belongs to process %d (use a new loop after fork)",
                     (int)loop->owner);
  int r = mv_config_validate(cfg);
  if (r < 0 || (r = mv__batch_check(loop, opts)) < 0) return r;
  s->timeout = cfg->timeout;
  if (opts && opts->timeout >= 0) {
    if ((r = mv_check_timeout(opts->timeout, "timeout")) < 0) return r;
    s->timeout = opts->timeout;
  }
  s->grace = cfg->kill_grace;
  s->contain = (int)cfg->containment;
  if (opts && opts->max_memory_kb < 0)
    return mv__error(MV_EINVAL, "max_memory must be >= 0, got %ld kB", opts->max_memory_kb);
  if (opts && opts->max_cpu_secs < 0)
    return mv__error(MV_EINVAL, "max_cpu_secs must be >= 0, got %ld", opts->max_cpu_secs);
  s->mem_kb = opts ? opts->max_memory_kb : 0;
  s->cpu_s = opts ? opts->max_cpu_secs : 0;
  s->persistent = opts && (opts->flags & MV_TASK_PERSISTENT);
  s->close_pipes = opts && (opts->fork_flags & MV_FORK_CLOSE_PIPES);
  if (s->persistent) {
    /* A warm process lives across requests: each request gets its own
     * deadline through mv_task_set_busy(). */
    s->timeout = 0;
    if (opts->idle_timeout < 0 || opts->idle_timeout != opts->idle_timeout)
      return mv__error(MV_EINVAL, "idle_timeout must be >= 0");
    s->idle = opts->idle_timeout;
  }
  if (!(opts && (opts->flags & MV_TASK_NO_REGISTRY))) {
    if ((r = mv_config_runtime_dir(cfg, s->regdir, sizeof(s->regdir))) < 0) return r;
    if ((r = mv__registry_prepare(s->regdir)) < 0) return r;
    snprintf(s->ns, sizeof(s->ns), "%s", mv_config_namespace(cfg)); /* validated above */
  }
  s->sup_path = mv__supervisor_path();
  if (s->sup_path == NULL && (s->exec_fd = mv__supervisor_exec_fd()) < 0) return s->exec_fd;
  return 0;
}

/* The supervisor's argv: options, then "--" and the worker argv. */
static char **mv__sup_argv(const mv__start_t *s, const char *mode, const char *cwd,
                           const char *worker, const char *task_id, const char *kind,
                           double t0, const char *cgroup, char *const *wargv) {
  size_t n = mv__strv_len(wargv);
  char **v = calloc(24 + n, sizeof(char *));
  if (v == NULL) return NULL;
  int i = 0;
  v[i++] = mv__strdup("multiverse-supervisor");
  v[i++] = mv__asprintf("v=%u", MV__PROTO_VERSION);
  v[i++] = mv__asprintf("mode=%s", mode);
  v[i++] = mv__asprintf("grace=%.6f", s->grace);
  v[i++] = mv__asprintf("timeout=%.6f", s->timeout);
  v[i++] = mv__asprintf("t0=%.9f", t0);
  v[i++] = mv__asprintf("mem_kb=%ld", s->mem_kb);
  v[i++] = mv__asprintf("cpu_s=%ld", s->cpu_s);
  v[i++] = mv__asprintf("idle=%.6f", s->idle);
  v[i++] = mv__asprintf("contain=%d", s->contain);
  v[i++] = mv__asprintf("host=%d", (int)getpid());
  v[i++] = mv__asprintf("regdir=%s", s->regdir);
  v[i++] = mv__asprintf("namespace=%s", s->ns);
  v[i++] = mv__asprintf("worker=%s", worker);
  v[i++] = mv__asprintf("task=%s", task_id);
  v[i++] = mv__asprintf("kind=%s", kind);
  if (cwd) v[i++] = mv__asprintf("cwd=%s", cwd);
  if (cgroup) v[i++] = mv__asprintf("cgroup=%s", cgroup);
  /* slot for "pid=" in adopt mode, filled in by the middle process */
  v[i++] = mv__strdup("--");
  for (size_t j = 0; j < n; j++) v[i++] = mv__strdup(wargv[j]);
  for (int j = 0; j < i; j++) {
    if (v[j] == NULL) {
      mv__strv_free(v);
      return NULL;
    }
  }
  return v;
}

static int mv__payload_fd(const char *payload, size_t len) {
  int fd = memfd_create("multiverse-payload", MFD_CLOEXEC);
  if (fd < 0) return mv__syserror(MV_ESYS, "cannot create the payload buffer");
  if (len && mv__write_all(fd, payload, len) < 0) {
    int r = mv__syserror(MV_ESYS, "cannot write the payload");
    close(fd);
    return r;
  }
  lseek(fd, 0, SEEK_SET);
  return fd;
}

static void mv__close_pair(int p[2]) {
  if (p[0] >= 0) close(p[0]);
  if (p[1] >= 0) close(p[1]);
  p[0] = p[1] = -1;
}

/* pipes[k] for k in out, err, res (read end = host); in = requests of a
 * persistent task (write end = host); ctl[0] host end, ctl[1] child end. */
typedef struct {
  int pipes[3][2];
  int in[2];
  int ctl[2];
} mv__chan_t;

static void mv__chan_init(mv__chan_t *c) {
  for (int k = 0; k < 3; k++) c->pipes[k][0] = c->pipes[k][1] = -1;
  c->in[0] = c->in[1] = -1;
  c->ctl[0] = c->ctl[1] = -1;
}

static void mv__chan_close(mv__chan_t *c) {
  for (int k = 0; k < 3; k++) mv__close_pair(c->pipes[k]);
  mv__close_pair(c->in);
  mv__close_pair(c->ctl);
}

static int mv__chan_open(mv__chan_t *c, const int want[3], int persistent) {
  for (int k = 0; k < 3; k++) {
    if (want[k] && pipe2(c->pipes[k], O_CLOEXEC) < 0)
      return mv__syserror(MV_ESYS, "cannot create a pipe");
  }
  /* A socket rather than a pipe: the host writes requests with
   * MSG_NOSIGNAL, so a worker that died never raises SIGPIPE in the host. */
  if (persistent && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->in) < 0)
    return mv__syserror(MV_ESYS, "cannot create the request channel");
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->ctl) < 0)
    return mv__syserror(MV_ESYS, "cannot create the control socket");
  return 0;
}

/* Hand the host ends to the task and the loop. */
static int mv__chan_attach(mv__chan_t *c, mv_task_t *t) {
  for (int k = 0; k < 3; k++) {
    t->w[k].fd = c->pipes[k][0];
    c->pipes[k][0] = -1;
  }
  t->w[MV__W_CTL].fd = c->ctl[0];
  c->ctl[0] = -1;
  t->w[MV__W_IN].fd = c->in[1];
  c->in[1] = -1;
  /* A task that waited for its turn is linked already. */
  return t->begin ? mv__loop_watch(t->loop, t) : mv__loop_add_task(t->loop, t);
}

/* What a queued exec'd task needs to start when its turn comes (copies:
 * the caller's are gone by then). */
typedef struct mv__deferred_s {
  mv_config_t cfg;
  char **argv;
  char *cwd;
  char *payload;
  size_t len;
  mv_task_opts_t opts;
} mv__deferred_t;

void mv__deferred_free(mv__deferred_t *d) {
  if (d == NULL) return;
  mv_config_dispose(&d->cfg);
  mv__strv_free(d->argv);
  free(d->cwd);
  free(d->payload);
  free(d);
}

static mv__deferred_t *mv__deferred_new(const mv_config_t *cfg, char *const argv[],
                                        const char *cwd, const char *payload, size_t len,
                                        const mv_task_opts_t *opts) {
  mv__deferred_t *d = calloc(1, sizeof(*d));
  if (d == NULL) return NULL;
  size_t n = mv__strv_len(argv);
  d->argv = calloc(n + 1, sizeof(char *));
  d->payload = malloc(len ? len : 1);
  int ok = d->argv && d->payload && mv_config_copy(&d->cfg, cfg) == 0;
  for (size_t i = 0; ok && i < n; i++) ok = (d->argv[i] = mv__strdup(argv[i])) != NULL;
  if (ok && cwd) ok = (d->cwd = mv__strdup(cwd)) != NULL;
  if (!ok) {
    mv__deferred_free(d);
    return NULL;
  }
  if (len) memcpy(d->payload, payload, len);
  d->len = len;
  if (opts) d->opts = *opts;
  /* The task has its id and name already; callbacks and data are the
   * task's too. */
  d->opts.task_id = NULL;
  d->opts.name = NULL;
  return d;
}

/* Start the supervisor of an exec'd task into t (allocated, maybe linked
 * already). On failure everything made here is undone and t is left to
 * the caller. */
static int mv__exec_into(mv_task_t *t, const mv__start_t *s, const mv_config_t *cfg,
                         const char *name, char *const argv[], const char *cwd,
                         const char *payload, size_t len, const mv_task_opts_t *opts) {
  if (t->script == NULL) t->script = mv__strdup(argv[0] ? argv[mv__strv_len(argv) - 1] : "");
  for (int k = 0; k < 3; k++) mv__capture_init(&t->cap[k], cfg->max_output, k == MV__W_ERR);

  mv__chan_t c;
  mv__chan_init(&c);
  int pfd = -1, r;
  char **sargv = NULL, **env = NULL;
  static const int want[3] = {1, 1, 1};
  if ((r = mv__chan_open(&c, want, s->persistent)) < 0) goto fail;
  if (s->persistent) {
    /* Requests arrive one per line on a pipe instead of one payload. */
    t->frame = MV__FRAME_LINES;
    t->on_message = opts->on_message;
    pfd = c.in[0];
    c.in[0] = -1;
  } else if ((pfd = r = mv__payload_fd(payload, len)) < 0) {
    goto fail;
  }
  sargv = mv__sup_argv(s, "spawn", cwd, name, t->task_id, s->persistent ? "warm" : "exec", 0,
                       NULL, argv);
  env = mv__worker_env(cfg, name, t->task_id, s->persistent);
  if (sargv == NULL || env == NULL) {
    r = mv__error(MV_ENOMEM, "out of memory");
    goto fail;
  }
  int fds[5] = {pfd, c.pipes[MV__W_OUT][1], c.pipes[MV__W_ERR][1], c.pipes[MV__W_RES][1],
                c.ctl[1]};
  if ((r = mv__forkserver_spawn(sargv, env, fds)) < 0) goto fail;
  close(pfd);
  pfd = -1;
  for (int k = 0; k < 3; k++) {
    close(c.pipes[k][1]);
    c.pipes[k][1] = -1;
  }
  close(c.ctl[1]);
  c.ctl[1] = -1;
  mv__strv_free(sargv);
  mv__strv_free(env);
  if ((r = mv__chan_attach(&c, t)) < 0) {
    /* Cannot watch it: closing its control socket is the host going away
     * for it, so it kills its tree and exits. */
    for (int k = 0; k < MV__W_COUNT; k++) {
      if (t->w[k].fd >= 0) close(t->w[k].fd);
      t->w[k].fd = -1;
    }
  }
  return r;
fail:
  if (pfd >= 0) close(pfd);
  mv__chan_close(&c);
  mv__strv_free(sargv);
  mv__strv_free(env);
  return r;
}

/* `begin` of a queued exec'd task. */
static int mv__exec_begin(mv_task_t *t) {
  mv__deferred_t *d = t->deferred;
  mv__start_t s;
  int r = mv__start_resolve(t->loop, &d->cfg, &d->opts, &s);
  if (r == 0) {
    r = mv__exec_into(t, &s, &d->cfg, t->worker, d->argv, d->cwd, d->payload, d->len,
                      &d->opts);
  }
  t->deferred = NULL;
  mv__deferred_free(d);
  return r;
}

static int mv__start_exec(mv_loop_t *loop, const mv_config_t *cfg, const char *name,
                          mv_driver_t driver, char *const argv[], const char *cwd,
                          const char *payload, size_t len, const mv_task_opts_t *opts,
                          mv_task_t **out) {
  *out = NULL;
  mv__start_t s;
  int r = mv__start_resolve(loop, cfg, opts, &s);
  if (r < 0) return r;

  mv_task_t *t = mv__task_alloc(loop, opts, name, driver, s.timeout);
  if (t == NULL) return mv__error(MV_ENOMEM, "out of memory");
  if (!s.persistent && !mv__loop_room(loop, t)) {
    /* Its turn comes later: keep what it needs to start then. */
    if ((t->deferred = mv__deferred_new(cfg, argv, cwd, payload, len, opts)) == NULL) {
      mv__task_destroy(t);
      return mv__error(MV_ENOMEM, "out of memory");
    }
    t->script = mv__strdup(argv[0] ? argv[mv__strv_len(argv) - 1] : "");
    mv__loop_enqueue(loop, t, mv__exec_begin);
    *out = t;
    return 0;
  }
  if ((r = mv__exec_into(t, &s, cfg, name, argv, cwd, payload, len, opts)) < 0) {
    mv__task_destroy(t);
    return r;
  }
  if (!s.persistent) mv__slot_take(t);
  *out = t;
  return 0;
}

int mv_task_spawn_worker(mv_loop_t *loop, const mv_config_t *cfg, const char *name,
                         const char *payload, size_t len, const mv_task_opts_t *opts,
                         mv_task_t **out) {
  *out = NULL;
  mv_worker_t w;
  int r = mv_worker_resolve(cfg, name, &w);
  if (r < 0) return r;
  r = mv__start_exec(loop, cfg, name, w.driver, w.argv, w.dir, payload, len, opts, out);
  mv_worker_dispose(&w);
  return r;
}

int mv_task_spawn_argv(mv_loop_t *loop, const mv_config_t *cfg, char *const argv[],
                       const char *cwd, const char *payload, size_t len,
                       const mv_task_opts_t *opts, mv_task_t **out) {
  *out = NULL;
  if (argv == NULL || argv[0] == NULL) return mv__error(MV_EINVAL, "argv must not be empty");
  char *path = mv__which(argv[0]);
  if (path == NULL)
    return mv__syserror(MV_ESPAWN, "cannot run '%s'", argv[0]);
  size_t n = mv__strv_len(argv);
  char **v = calloc(n + 1, sizeof(char *));
  if (v == NULL) {
    free(path);
    return mv__error(MV_ENOMEM, "out of memory");
  }
  v[0] = path;
  for (size_t i = 1; i < n; i++) v[i] = (char *)argv[i];
  const char *name = opts && opts->name ? opts->name : "exec";
  int r = mv__start_exec(loop, cfg, name, MV_DRIVER_EXEC, v, cwd, payload, len, opts, out);
  /* t->script names the last argv entry; for argv tasks the program is
   * more useful in exec errors. */
  if (r == 0) {
    free((*out)->script);
    (*out)->script = mv__strdup(path);
  }
  free(path);
  free(v);
  return r;
}

/* Fork -------------------------------------------------------------------- */

/* A forked task's root is a child subreaper: orphans of its descendants
 * come back to it rather than to init, so its whole lineage stays
 * findable from it — by the supervisor, by the host should the supervisor
 * be killed, and by the root itself between the requests of a persistent
 * task (mv_child_end_request()). */
static void mv__task_root_subreaper(const mv__chan_t *c) {
  MV__UNUSED(c);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
}

/* The fds the loop holds for its tasks: the read ends of their output
 * and results, and their control sockets (never pipes), as a bitmap (NULL if there are none
 * or memory is short: then every fd is looked at). Built in the host,
 * where the loop's list is stable (the caller holds the loop), and read by
 * T in its copy. */
static unsigned char *mv__loop_own_fds(const mv_loop_t *loop, int *n) {
  int max = -1;
  for (const mv_task_t *o = loop->head; o; o = o->next)
    for (int k = 0; k <= MV__W_CTL; k++)
      if (o->w[k].fd > max) max = o->w[k].fd;
  *n = max + 1;
  unsigned char *bits = max >= 0 ? calloc((size_t)max / 8 + 1, 1) : NULL;
  if (bits == NULL) {
    *n = 0;
    return NULL;
  }
  for (const mv_task_t *o = loop->head; o; o = o->next)
    for (int k = 0; k <= MV__W_CTL; k++)
      if (o->w[k].fd >= 0) bits[o->w[k].fd >> 3] |= (unsigned char)(1u << (o->w[k].fd & 7));
  return bits;
}

/* Every open fd of this process is below the size of its fd table
 * (FDSize in /proc/self/status); without /proc, below the soft
 * RLIMIT_NOFILE (capped: a huge limit is no table size). No malloc and
 * no stdio: the host may be multi-threaded. */
static int mv__fd_table_size(void) {
  struct rlimit rl;
  int size = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
  char buf[4096];
  size_t len = 0;
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return size;
  for (ssize_t n; len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0;)
    len += (size_t)n;
  close(fd);
  buf[len] = '\0';
  const char *p = strstr(buf, "\nFDSize:");
  if (p == NULL) return size;
  for (p += 8; *p == ' ' || *p == '\t'; p++) {
  }
  long v = 0;
  for (; *p >= '0' && *p <= '9' && v < (1L << 30); p++) v = v * 10 + (*p - '0');
  return v > 0 ? (int)v : size;
}

/* T with MV_FORK_CLOSE_PIPES: every inherited close-on-exec pipe end but
 * the task's own is pointed at /dev/null. Close-on-exec says the host did
 * not mean a child to keep it; a pipe end another host thread is handing
 * to a subprocess at the moment of our fork is exactly such a one.
 *
 * The open fds are found with poll() (POLLNVAL marks a closed one), a
 * few hundred numbers per call up to the table's size, not by listing
 * /proc/self/fd: a listing makes the kernel build an entry for every fd,
 * and removes them all again when the task is reaped; with many tasks
 * running (each holding host pipes) that cost grew with their number, in
 * every task forked. For the same reason the loop's own fds (`own`, a
 * bitmap of own_n fds: other tasks' read ends and control sockets) are
 * not looked at: a copy of a read end keeps no reader from its
 * end-of-file, and the binding closes them all when it forgets the
 * parent's loop (mv_loop_forget). */
static void mv__drop_host_pipes(const mv__chan_t *c, const unsigned char *own, int own_n) {
  int keep[2] = {c->pipes[MV__W_RES][1], c->in[0]};
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) return;
  int size = mv__fd_table_size();
  struct pollfd pf[256];
  for (int base = 0; base < size;) {
    int m = size - base < 256 ? size - base : 256;
    for (int i = 0; i < m; i++) {
      pf[i].fd = base + i;
      pf[i].events = 0;
      pf[i].revents = 0;
    }
    /* EINVAL: more than RLIMIT_NOFILE entries (a limit lowered below the
     * table's size); the numbers above the limit are looked at one by one. */
    int polled = poll(pf, (nfds_t)m, 0) >= 0;
    for (int i = 0; i < m; i++) {
      int fd = base + i;
      if (polled ? (pf[i].revents & POLLNVAL) : fcntl(fd, F_GETFD) < 0) continue;
      if (fd == devnull || fd == keep[0] || fd == keep[1]) continue;
      if (fd < own_n && (own[fd >> 3] >> (fd & 7)) & 1) continue;
      struct stat st;
      int fl = fcntl(fd, F_GETFD);
      if (fl < 0 || !(fl & FD_CLOEXEC) || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) continue;
      dup3(devnull, fd, O_CLOEXEC);
    }
    base += m;
  }
  close(devnull);
}

/* In X after fork: exec the supervisor in place with fd 4 = control. Only
 * returns on failure, with the fd the control socket is on by then.
 * The host waits for this exec, so X does the least: the control socket
 * to fd 4 and every fd above it marked close-on-exec; the supervisor
 * itself puts /dev/null on 0, 1 and 3 (adopt mode). */
static int mv__exec_supervisor(int exec_fd, const char *path, char **argv, int ctl) {
  /* X inherited the host's fd table and limit; a host at its limit must
   * not leave X without room for the shuffle (the supervisor gives the
   * task's processes nothing of it: they were forked before). */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (exec_fd >= 0 && exec_fd <= MV__CTL_FD)
    exec_fd = fcntl(exec_fd, F_DUPFD_CLOEXEC, MV__CTL_FD + 1);
  if (ctl != MV__CTL_FD) {
    if (dup2(ctl, MV__CTL_FD) < 0) return ctl; /* dup2 clears FD_CLOEXEC */
    ctl = MV__CTL_FD;
  } else if (fcntl(ctl, F_SETFD, 0) < 0) {
    return ctl;
  }
  mv__cloexec_from(MV__CTL_FD + 1, exec_fd);
  /* Exec'd with every signal still blocked: no handler of the host can
   * run here before the exec resets them, so none is reset one by one
   * (the host waits for this exec). The supervisor sets its own mask. */
  extern char **environ;
  if (exec_fd >= 0) mv__exec_fd(exec_fd, argv, environ);
  else execve(path, argv, environ);
  return 4;
}

/* What the middle process X and the task T need, prepared in the host:
 * after fork they only close, dup and exec. */
typedef struct {
  mv__chan_t *c;
  char **sargv;
  char *pid_slot;       /* sargv's "pid=" entry, filled in by X */
  char *inleaf_slot;    /* sargv's "inleaf=1" entry, or NULL */
  int exec_fd;
  const char *sup_path;
  const char *procs;    /* cgroup.procs of the leaf T joins, NULL if born there */
  long cpu_s;
  int capture, close_pipes;
  const unsigned char *own; /* with close_pipes: the loop's own fds (bitmap) */
  int own_n;
  struct sigaction chld; /* the host's SIGCHLD disposition, which X resets */
} mv__forking_t;

/* T: drop the host's ends, become the task. */
static void mv__task_child(const mv__forking_t *f, mv_child_t *ch) {
  mv__chan_t *c = f->c;
  mv__forkserver_forget(); /* the host's, not ours */
  for (int k = 0; k < 3; k++)
    if (c->pipes[k][0] >= 0) close(c->pipes[k][0]);
  if (c->in[1] >= 0) close(c->in[1]);
  close(c->ctl[0]);
  close(c->ctl[1]);
  setsid();
  sigaction(SIGCHLD, &f->chld, NULL); /* X forked us with its default */
  mv__task_root_subreaper(c);
  if (f->procs) {
    int fd = open(f->procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) _exit(126);
    close(fd);
  }
  if (f->cpu_s > 0) {
    struct rlimit rl = {(rlim_t)f->cpu_s, (rlim_t)f->cpu_s + 1};
    setrlimit(RLIMIT_CPU, &rl);
  }
  if (f->capture) {
    dup2(c->pipes[MV__W_OUT][1], 1);
    dup2(c->pipes[MV__W_ERR][1], 2);
    close(c->pipes[MV__W_OUT][1]);
    close(c->pipes[MV__W_ERR][1]);
  }
  if (f->close_pipes) mv__drop_host_pipes(c, f->own, f->own_n);
  ch->res_fd = c->pipes[MV__W_RES][1];
  ch->req_fd = c->in[0];
}

/* X after forking T (t, or -1 if that failed): keep only the control
 * socket and exec the supervisor, which adopts T. Returns only on
 * failure, after telling the host and killing T. */
static int mv__middle_exec(void *arg, pid_t t) {
  const mv__forking_t *f = arg;
  mv__chan_t *c = f->c;
  /* Already so when X shares the host's memory (mv__fork_vm). */
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  for (int k = 0; k < 3; k++) {
    if (c->pipes[k][0] >= 0) close(c->pipes[k][0]);
    if (c->pipes[k][1] >= 0) close(c->pipes[k][1]);
  }
  if (c->in[0] >= 0) close(c->in[0]);
  if (c->in[1] >= 0) close(c->in[1]);
  close(c->ctl[0]);
  int ctl = c->ctl[1];
  int err = errno;
  if (t > 0) {
    /* No snprintf: X may share the host's memory and its locks. */
    char *p = f->pid_slot;
    memcpy(p, "pid=", 4);
    char digits[12];
    int n = 0;
    for (unsigned v = (unsigned)t; n == 0 || v > 0; v /= 10) digits[n++] = (char)('0' + v % 10);
    p += 4;
    while (n > 0) *p++ = digits[--n];
    *p = '\0';
    ctl = mv__exec_supervisor(f->exec_fd, f->sup_path, f->sargv, ctl);
    err = errno;
  }
  /* fork or exec failed: tell the host, leave nothing behind. */
  mv__msg_t m;
  memset(&m, 0, sizeof(m));
  m.version = MV__PROTO_VERSION;
  m.type = MV__MSG_SPAWN_FAILED;
  m.value = err ? err : EINVAL;
  memcpy(m.text, t > 0 ? "exec supervisor" : "fork", t > 0 ? 16 : 5);
  send(ctl, &m, sizeof(m), MSG_NOSIGNAL);
  if (t > 0) {
    kill(t, SIGKILL);
    waitpid(t, NULL, 0);
  }
  return 127;
}

/* The classic way, where mv__fork_vm() is unavailable: X is a fork of
 * the host (its memory copied too), T a fork of X born in the leaf when
 * cgfd >= 0 (X has one thread, so clone3 is safe there). Returns in T
 * only; in X it execs or exits. */
static void mv__middle_fork(mv__forking_t *f, int cgfd, mv_child_t *ch) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (f->inleaf_slot) f->inleaf_slot[7] = '0'; /* this X is not in the leaf */
  signal(SIGCHLD, SIG_DFL); /* as in mv__fork_vm(): X reaps T, not the kernel */
  pid_t t = -1;
  if (cgfd >= 0 && (t = mv__fork_into_cgroup(cgfd)) >= 0) f->procs = NULL;
  else t = fork();
  if (t == 0) {
    if (cgfd >= 0) close(cgfd);
    mv__task_child(f, ch);
    return;
  }
  if (cgfd >= 0) close(cgfd);
  _exit(mv__middle_exec(f, t));
}

/* Fork the host into t (allocated, maybe linked already). On failure
 * everything made here is undone and t is left to the caller. */
static int mv__fork_into(mv_task_t *t, const mv__start_t *sp, const mv_config_t *cfg,
                         const mv_task_opts_t *opts, mv_child_t **child) {
  const mv__start_t s = *sp;
  int r;
  int exec_fd = s.exec_fd;
  const char *sup_path = s.sup_path;
  const char *name = t->worker;
  int capture = opts && (opts->fork_flags & MV_FORK_CAPTURE);
  t->kind = MV__TASK_FORK;
  t->timeout = s.timeout;
  for (int k = 0; k < 3; k++)
    mv__capture_init(&t->cap[k], k == MV__W_RES ? (size_t)-1 / 2 : cfg->max_output,
                     k == MV__W_ERR);

  /* Everything X needs is prepared here: after fork it only execs. */
  mv__chan_t c;
  mv__chan_init(&c);
  char *leaf = NULL, *procs = NULL;
  char **sargv = NULL;
  mv_child_t *ch = malloc(sizeof(*ch));
  int want[3] = {capture, capture, 1};
  if (ch == NULL) {
    r = mv__error(MV_ENOMEM, "out of memory");
    goto fail;
  }
  if ((r = mv__chan_open(&c, want, s.persistent)) < 0) goto fail;
  if (s.persistent) {
    t->frame = MV__FRAME_LENGTH;
    t->on_message = opts->on_message;
  }
  if (s.contain != MV_CONTAIN_SUBREAPER) {
    char *parent = mv__cgroup_parent();
    char suffix[17];
    mv__random_id(suffix);
    leaf = parent ? mv__cgroup_make_leaf(parent, suffix) : NULL;
    free(parent);
    if (leaf == NULL && s.contain == MV_CONTAIN_CGROUP) {
      r = mv__error(MV_ESUPERVISOR, "containment 'cgroup' requested but unavailable");
      goto fail;
    }
    if (leaf && (procs = mv__asprintf("%s/cgroup.procs", leaf)) == NULL) {
      r = mv__error(MV_ENOMEM, "out of memory");
      goto fail;
    }
  }
  char *empty_argv[] = {NULL};
  sargv = mv__sup_argv(&s, "adopt", NULL, name, t->task_id, "fork", mv__now(), leaf,
                       empty_argv);
  if (sargv == NULL) {
    r = mv__error(MV_ENOMEM, "out of memory");
    goto fail;
  }
  /* Turn the "--" slot into "pid=..." (written by X) followed by "--";
   * with a leaf, "cgmount=" and "inleaf=" go before it, so that the
   * supervisor reads neither mountinfo nor its own cgroup. */
  size_t n = mv__strv_len(sargv);
  char **grown = realloc(sargv, (n + 4) * sizeof(char *));
  if (grown == NULL) {
    r = mv__error(MV_ENOMEM, "out of memory");
    goto fail;
  }
  sargv = grown;
  char *dashes = sargv[n - 1];
  size_t at = n - 1;
  char *inleaf = NULL, *cgmount = NULL;
  if (leaf) {
    cgmount = mv__asprintf("cgmount=%zu", mv__cgroup_mount_len());
    inleaf = mv__strdup("inleaf=1"); /* X is born there (mv__fork_vm) */
  }
  char *pid_slot = calloc(1, 32);
  if (pid_slot == NULL || (leaf && (cgmount == NULL || inleaf == NULL))) {
    free(pid_slot);
    free(cgmount);
    free(inleaf);
    r = mv__error(MV_ENOMEM, "out of memory");
    goto fail;
  }
  if (leaf) {
    sargv[at++] = cgmount;
    sargv[at++] = inleaf;
  }
  sargv[at++] = pid_slot;
  sargv[at++] = dashes;
  sargv[at] = NULL;

  mv__forking_t f = {.c = &c, .sargv = sargv, .pid_slot = pid_slot, .inleaf_slot = inleaf,
                      .exec_fd = exec_fd, .sup_path = sup_path, .procs = procs,
                      .cpu_s = s.cpu_s, .capture = capture, .close_pipes = s.close_pipes};
  sigaction(SIGCHLD, NULL, &f.chld);
  unsigned char *own = f.close_pipes ? mv__loop_own_fds(t->loop, &f.own_n) : NULL;
  f.own = own;
  int cgfd = leaf ? open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  /* X shares the host's memory and is born in the leaf (T inherits it):
   * the host's memory is copied once, for T. */
  int via_vm = 1;
  if (cgfd >= 0) f.procs = NULL;
  pid_t pid = mv__fork_vm(mv__middle_exec, &f, cgfd);
  if (pid < 0 && errno == ENOSYS) {
    via_vm = 0;
    f.procs = procs;
    pid = fork();
    if (pid == 0) mv__middle_fork(&f, cgfd, ch); /* returns in T only */
  } else if (pid == 0) {
    mv__task_child(&f, ch);
  }
  int fork_err = errno;
  free(own); /* T is done with its copy too (mv__task_child) */
  errno = fork_err;
  if (pid == 0) {
    /* Only T gets here. */
    free(leaf);
    free(procs);
    mv__strv_free(sargv);
    *child = ch;
    return MV_FORK_CHILD;
  }
  if (cgfd >= 0) close(cgfd);
  if (pid < 0) {
    r = mv__syserror(MV_EFORK, "fork() failed");
    goto fail;
  }
  /* With X born in the leaf, the supervisor it becomes lives there too:
   * the host removes the leaf once it has reaped it. */
  t->leaf_after_reap = via_vm && leaf != NULL;
  t->spid = pid;
  /* To clean up after a supervisor that gets killed (loop.c). */
  if (leaf) t->leaf = leaf;
  leaf = NULL;
  for (int k = 0; k < 3; k++) {
    if (c.pipes[k][1] >= 0) close(c.pipes[k][1]);
    c.pipes[k][1] = -1;
  }
  if (c.in[0] >= 0) close(c.in[0]);
  c.in[0] = -1;
  close(c.ctl[1]);
  c.ctl[1] = -1;
  free(leaf);
  free(procs);
  mv__strv_free(sargv);
  free(ch);
  if ((r = mv__chan_attach(&c, t)) < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    t->spid = -1;
    for (int k = 0; k < MV__W_COUNT; k++) {
      if (t->w[k].fd >= 0) close(t->w[k].fd);
      t->w[k].fd = -1;
    }
    if (t->leaf) rmdir(t->leaf);
    return r;
  }
  return 0;
fail:
  mv__chan_close(&c);
  if (leaf) rmdir(leaf);
  free(leaf);
  free(procs);
  mv__strv_free(sargv);
  free(ch);
  return r;
}

int mv_task_fork(mv_loop_t *loop, const mv_config_t *cfg, const mv_task_opts_t *opts,
                 mv_task_t **out, mv_child_t **child) {
  *out = NULL;
  *child = NULL;
  mv__start_t s;
  int r = mv__start_resolve(loop, cfg, opts, &s);
  if (r < 0) return r;
  const char *name = opts && opts->name ? opts->name : "fork";
  mv_task_t *t = mv__task_alloc(loop, opts, name, MV_DRIVER_FORK, s.timeout);
  if (t == NULL) return mv__error(MV_ENOMEM, "out of memory");
  r = mv__fork_into(t, &s, cfg, opts, child);
  if (r == MV_FORK_CHILD) return r;
  if (r < 0) {
    mv__task_destroy(t);
    return r;
  }
  if (!s.persistent) mv__slot_take(t);
  *out = t;
  return 0;
}

/* `begin` of a reserved task: its slot is there, the binding forks it. */
static int mv__reserved_begin(mv_task_t *t) {
  t->reserved = 1;
  if (t->on_start) t->on_start(t, t->data);
  return 0;
}

int mv_task_reserve(mv_loop_t *loop, const mv_task_opts_t *opts, mv_task_t **out) {
  *out = NULL;
  if (loop->owner != getpid())
    return mv__error(MV_EINVAL, "this loop belongs to process %d (use a new loop after fork)",
                     (int)loop->owner);
  int r = mv__batch_check(loop, opts);
  if (r < 0) return r;
  const char *name = opts && opts->name ? opts->name : "fork";
  mv_task_t *t = mv__task_alloc(loop, opts, name, MV_DRIVER_FORK, 0);
  if (t == NULL) return mv__error(MV_ENOMEM, "out of memory");
  t->kind = MV__TASK_FORK;
  t->on_start = opts ? opts->on_start : NULL;
  *out = t;
  if (!mv__loop_room(loop, t)) {
    mv__loop_enqueue(loop, t, mv__reserved_begin);
    return 0;
  }
  /* Linked as a queued task would be, holding its slot at once. */
  t->begin = mv__reserved_begin;
  t->reserved = 1;
  mv__loop_link(loop, t);
  mv__slot_take(t);
  return 1;
}

int mv_task_fork_reserved(mv_task_t *t, const mv_config_t *cfg, const mv_task_opts_t *opts,
                          mv_child_t **child) {
  *child = NULL;
  if (t->done) return mv__error(MV_ECANCELED, "task %s has ended (canceled?)", t->task_id);
  if (!t->reserved)
    return mv__error(MV_EINVAL, "task %s %s", t->task_id,
                     t->queued ? "has no slot yet (wait for on_start)" : "is not reserved");
  mv__start_t s;
  int r = mv__start_resolve(t->loop, cfg, opts, &s);
  if (r == 0 && s.persistent)
    r = mv__error(MV_EINVAL, "a reserved task cannot be persistent");
  if (r == 0) {
    t->t_start = mv__now();
    r = mv__fork_into(t, &s, cfg, opts, child);
    if (r == MV_FORK_CHILD) return r;
  }
  t->reserved = 0;
  if (r < 0) {
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", mv_last_error());
    mv__task_fail(t, r, MV_END_SPAWN_FAILED, msg);
    mv__error(r, "%s", msg);
  }
  return r;
}

int mv_child_request_fd(const mv_child_t *child) { return child->req_fd; }

int mv_child_send_frame(mv_child_t *child, const void *buf, size_t len) {
  unsigned char hdr[8];
  uint64_t n = len;
  for (int i = 0; i < 8; i++) hdr[i] = (unsigned char)((n >> (8 * i)) & 0xff);
  if (mv__write_all(child->res_fd, hdr, sizeof(hdr)) < 0 ||
      mv__write_all(child->res_fd, buf, len) < 0)
    return mv__syserror(MV_ESYS, "cannot send the answer to the host");
  return 0;
}

int mv_child_end_request(mv_child_t *child) {
  MV__UNUSED(child);
  int st;
  if (waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD) return 0;
  /* The lineage below us, killed round after round (a dying process's
   * children come back to us), each round's dead reaped. */
  mv__contain_t c;
  mv__contain_adopt(&c, NULL, 0, 0);
  int killed = -1;
  for (int round = 0; round < 5000; round++) {
    int n = mv__contain_kill_round(&c);
    if (killed < 0) killed = n > 0 ? n : 0;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0 || (pid < 0 && errno == EINTR)) {
    }
    if (pid < 0) break; /* ECHILD: nothing is left */
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return killed < 0 ? 0 : killed;
}

int mv_child_send(mv_child_t *child, const void *buf, size_t len) {
  if (mv__write_all(child->res_fd, buf, len) < 0)
    return mv__syserror(MV_ESYS, "cannot send the result to the host");
  return 0;
}

void mv_child_exit(mv_child_t *child, int code) {
  if (child) {
    close(child->res_fd);
    if (child->req_fd >= 0) close(child->req_fd);
  }
  _exit(code);
}

/* Convenience ------------------------------------------------------------ */

int mv_run_worker(const mv_config_t *cfg, const char *name, const char *payload, size_t len,
                  double timeout, mv_report_t *out) {
  memset(out, 0, sizeof(*out));
  mv_loop_t *loop;
  int r = mv_loop_new(&loop);
  if (r < 0) return r;
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = timeout;
  mv_task_t *t;
  r = mv_task_spawn_worker(loop, cfg, name, payload, len, &o, &t);
  if (r == 0) {
    while (!mv_task_done(t)) {
      int w = mv_loop_wait(loop, t, -1);
      if (w < 0 && w != MV_EINTR) break;
    }
    if (mv_task_done(t)) mv_task_take_report(t, out);
    r = out->status;
    mv_task_free(t);
  }
  mv_loop_free(loop);
  return r;
}
