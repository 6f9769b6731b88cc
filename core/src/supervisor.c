/*
 * The per-task supervisor: a small process between the host and the task.
 *
 * A worker's supervisor is forked from the host's fork server
 * (forkserver.c), itself exec'd once per host from the image embedded in
 * the library (image.c); a forked task's is exec'd in place by the middle
 * process that forked the task. Either way it carries none of the host's
 * memory, fds or threads. It
 *   - becomes a child subreaper (never the host: DESIGN.md), so every
 *     orphan of the task is reparented to it;
 *   - starts the worker in a new session, born in its cgroup leaf (spawn
 *     mode), or takes over a forked task created just before its own exec
 *     (adopt mode);
 *   - finds the tree through both nets, the leaf and the lineage
 *     (contain.c): a process that writes itself out of the leaf is still
 *     found, killed without grace, and the report says so;
 *   - enforces the timeout and the memory limit even when nobody waits;
 *   - on timeout, cancel, clear (SIGTERM to the supervisor) or host death
 *     sends SIGTERM to the whole tree, waits kill_grace, then SIGKILLs
 *     until no descendant is left; after a normal exit it does the same to
 *     whatever the task left behind;
 *   - watches the host through a pidfd: if the host dies, even by SIGKILL,
 *     the tree is killed at once (short grace);
 *   - records itself in the registry while the task runs;
 *   - reports start, exec failure and the final status over the control
 *     socket (fd 4), then exits.
 * Should it be killed itself, the fork server (spawn mode) or the host
 * (adopt mode) kills what it leaves.
 *
 * argv: key=value options, then "--" and the worker's argv (spawn mode).
 */
#include "internal.h"
#include "protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MV__HOSTGONE_GRACE 0.3  /* host died: the tree must go within ~1 s */
#define MV__KILL_ROUND 0.02     /* re-walk interval while SIGKILLing */
#define MV__MEM_POLL 0.05       /* memory limit check interval */
#define MV__STATE_DELAY 0.05    /* a warm process's state reaches the registry after this */

typedef struct {
  const char *mode;
  pid_t adopt_pid;
  double grace, timeout, t0, idle;
  long mem_kb, cpu_s;
  int contain;
  const char *cgroup, *cwd, *regdir, *ns, *worker, *task, *kind;
  size_t cg_mount_len; /* adopt: where the mount ends in cgroup (0: unknown) */
  int in_leaf;         /* adopt: born in the leaf (1), not (0), unknown (-1) */
  pid_t host;
  char **argv;
} mv__sup_opts_t;

typedef enum { PH_RUNNING, PH_GRACE, PH_KILL, PH_DONE } mv__phase_t;

typedef struct {
  mv__sup_opts_t o;
  mv__contain_t c;
  int ctl, hostfd, sigfd;
  rlim_t nofile;        /* the soft fd limit we were given */
  char *const *envp;    /* the worker's environment */
  pid_t root;
  int root_exited, root_status;
  struct rusage ru;
  double t_exit;
  mv__phase_t phase;
  int end;              /* mv_end_t, -1 while undecided */
  double kill_deadline, next_kill, next_mem;
  int leftovers;
  char limit[64];
  char regpath[512];
  mv_entry_t entry;      /* what the registry file says, for rewrites */
  unsigned long long entry_sup_start, entry_root_start;
  /* persistent tasks: the request in flight and idleness */
  int busy;
  double req_deadline;   /* 0 = none */
  double idle_since;
  double state_due;      /* when the registry should show `busy`; 0 = it does */
} mv__sup_t;

static void mv__sup_send(mv__sup_t *s, mv__msg_t *m) {
  m->version = MV__PROTO_VERSION;
  /* A host that is gone makes this fail with EPIPE; SIGPIPE is ignored. */
  ssize_t r;
  do {
    r = send(s->ctl, m, sizeof(*m), MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
}

static int mv__sup_parse(mv__sup_opts_t *o, int argc, char **argv) {
  memset(o, 0, sizeof(*o));
  o->mode = "spawn";
  o->grace = MV_DEFAULT_KILL_GRACE;
  o->kind = "exec";
  o->in_leaf = -1;
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    char *eq = strchr(argv[i], '=');
    if (eq == NULL) return -1;
    const char *k = argv[i], *v = eq + 1;
    size_t kl = (size_t)(eq - k);
#define KEY(name) (kl == sizeof(name) - 1 && memcmp(k, name, kl) == 0)
    if (KEY("v")) {
      if ((unsigned)atoi(v) != MV__PROTO_VERSION) return -1;
    } else if (KEY("mode")) o->mode = v;
    else if (KEY("pid")) o->adopt_pid = (pid_t)atol(v);
    else if (KEY("grace")) o->grace = strtod(v, NULL);
    else if (KEY("timeout")) o->timeout = strtod(v, NULL);
    else if (KEY("t0")) o->t0 = strtod(v, NULL);
    else if (KEY("idle")) o->idle = strtod(v, NULL);
    else if (KEY("mem_kb")) o->mem_kb = atol(v);
    else if (KEY("cpu_s")) o->cpu_s = atol(v);
    else if (KEY("contain")) o->contain = atoi(v);
    else if (KEY("cgroup")) o->cgroup = v;
    else if (KEY("cgmount")) o->cg_mount_len = (size_t)atol(v);
    else if (KEY("inleaf")) o->in_leaf = atoi(v) != 0;
    else if (KEY("cwd")) o->cwd = v;
    else if (KEY("regdir")) o->regdir = v;
    else if (KEY("namespace")) o->ns = v;
    else if (KEY("worker")) o->worker = v;
    else if (KEY("task")) o->task = v;
    else if (KEY("kind")) o->kind = v;
    else if (KEY("host")) o->host = (pid_t)atol(v);
#undef KEY
  }
  if (i < argc) o->argv = argv + i + 1;
  if (strcmp(o->mode, "spawn") == 0 && (o->argv == NULL || o->argv[0] == NULL)) return -1;
  if (strcmp(o->mode, "adopt") == 0 && o->adopt_pid <= 0) return -1;
  return 0;
}

/* Reap every child that has ended; remember the root's status. Returns 1
 * when the supervisor has no child left at all (the tree is gone). */
static int mv__sup_reap(mv__sup_t *s) {
  for (;;) {
    int st;
    struct rusage ru;
    pid_t pid = wait4(-1, &st, WNOHANG, &ru);
    if (pid > 0) {
      if (pid == s->root && !s->root_exited) {
        s->root_exited = 1;
        s->root_status = st;
        s->ru = ru;
        s->t_exit = mv__now();
      }
      continue;
    }
    if (pid == 0) return 0;
    if (errno == EINTR) continue;
    return errno == ECHILD;
  }
}

static void mv__sup_start_kill(mv__sup_t *s, int end, double grace) {
  double now = mv__now();
  if (s->phase == PH_DONE) return;
  if (s->phase != PH_RUNNING) {
    /* Already killing: a host death only shortens the wait. */
    if (now + grace < s->kill_deadline) s->kill_deadline = now + grace;
    return;
  }
  if (s->end < 0) s->end = end;
  int n = mv__contain_signal_all(&s->c, SIGTERM);
  if (n > 0 && s->root_exited) s->leftovers = n;
  s->phase = PH_GRACE;
  /* A tree that broke out of its leaf gets no grace: every moment it
   * runs it can go further. */
  s->kill_deadline = s->c.breached ? now : now + grace;
}

static void mv__sup_on_signal(mv__sup_t *s) {
  struct signalfd_siginfo si;
  while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
    if (si.ssi_signo == SIGCHLD) continue; /* reaped below */
    /* SIGTERM/SIGINT/SIGHUP/SIGQUIT: someone (clear()) wants the tree gone. */
    mv__sup_start_kill(s, MV_END_CLEARED, s->o.grace);
  }
}

/* Rewrite the registry entry with a new state (warm workers). A pooled
 * fork task stays "running": its per-call deadlines are not worth a
 * registry write each. */
static void mv__sup_set_state(mv__sup_t *s, const char *state) {
  if (s->regpath[0] == '\0' || strcmp(s->o.kind, "warm") != 0 ||
      strcmp(s->entry.state, state) == 0)
    return;
  snprintf(s->entry.state, sizeof(s->entry.state), "%s", state);
  char path[sizeof(s->regpath)];
  mv__registry_write(s->o.regdir, &s->entry, s->entry_sup_start, s->entry_root_start, path,
                     sizeof(path));
}

static void mv__sup_on_ctl(mv__sup_t *s) {
  mv__msg_t m;
  ssize_t n = recv(s->ctl, &m, sizeof(m), MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    /* The host closed its end: it is exiting or gone. */
    close(s->ctl);
    s->ctl = -1;
    mv__sup_start_kill(s, MV_END_HOSTGONE, MV__HOSTGONE_GRACE);
    return;
  }
  if (n != (ssize_t)sizeof(m) || m.version != MV__PROTO_VERSION) return;
  if (m.type == MV__MSG_KILL) {
    double g = m.value >= 0 ? (double)m.value / 1000.0 : s->o.grace;
    mv__sup_start_kill(s, MV_END_CANCELED, g);
  } else if (m.type == MV__MSG_SIGNAL && m.value > 0 && m.value < _NSIG) {
    mv__contain_signal_all(&s->c, m.value);
  } else if (m.type == MV__MSG_BUSY) {
    double now = mv__now();
    s->busy = m.value != 0;
    s->req_deadline = s->busy && m.elapsed_ns > 0 ? now + (double)m.elapsed_ns / 1e9 : 0;
    s->idle_since = now;
    /* The registry shows a state that lasts: a warm call flips busy and
     * idle in well under a millisecond, and a file rewrite for each flip
     * would cost more than the call. */
    s->state_due = now + MV__STATE_DELAY;
  }
}

static double mv__sup_next_deadline(mv__sup_t *s) {
  double d = 1e300;
  if (s->phase == PH_RUNNING) {
    if (s->o.timeout > 0) d = s->o.t0 + s->o.timeout;
    if (s->o.mem_kb > 0 && s->next_mem < d) d = s->next_mem;
    if (s->busy && s->req_deadline > 0 && s->req_deadline < d) d = s->req_deadline;
    if (!s->busy && s->o.idle > 0 && s->idle_since + s->o.idle < d) d = s->idle_since + s->o.idle;
    if (s->state_due > 0 && s->state_due < d) d = s->state_due;
  } else if (s->phase == PH_GRACE) {
    d = s->kill_deadline;
  } else if (s->phase == PH_KILL) {
    d = s->next_kill;
  }
  if (s->hostfd < 0 && d > mv__now() + 0.25) d = mv__now() + 0.25;
  return d;
}

static void mv__sup_tick(mv__sup_t *s) {
  double now = mv__now();
  if (s->hostfd < 0 && getppid() != s->o.host) {
    mv__sup_start_kill(s, MV_END_HOSTGONE, MV__HOSTGONE_GRACE);
  }
  if (s->phase == PH_RUNNING) {
    if ((s->o.timeout > 0 && now >= s->o.t0 + s->o.timeout) ||
        (s->busy && s->req_deadline > 0 && now >= s->req_deadline)) {
      mv__sup_start_kill(s, MV_END_TIMEOUT, s->o.grace);
    } else if (!s->busy && s->o.idle > 0 && now >= s->idle_since + s->o.idle) {
      mv__sup_start_kill(s, MV_END_IDLE, s->o.grace);
    } else if (s->o.mem_kb > 0 && now >= s->next_mem) {
      s->next_mem = now + MV__MEM_POLL;
      long rss = mv__proc_rss_kb(s->root);
      if (rss > s->o.mem_kb) {
        snprintf(s->limit, sizeof(s->limit), "memory");
        mv__sup_start_kill(s, MV_END_LIMIT, 0);
      }
    }
  }
  if (s->state_due > 0 && now >= s->state_due) {
    s->state_due = 0;
    mv__sup_set_state(s, s->busy ? "busy" : "idle");
  }
  if (s->phase == PH_GRACE && now >= s->kill_deadline) {
    s->phase = PH_KILL;
    s->next_kill = now;
  }
  if (s->phase == PH_KILL && now >= s->next_kill) {
    mv__contain_kill_round(&s->c);
    s->next_kill = now + MV__KILL_ROUND;
  }
}

static void mv__sup_after_reap(mv__sup_t *s, int empty) {
  if (empty) {
    s->phase = PH_DONE;
    return;
  }
  if (s->root_exited && s->phase == PH_RUNNING) {
    /* The task ended by itself but left processes behind: they go the
     * same way as a timed-out tree. */
    mv__sup_start_kill(s, -1, s->o.grace);
  }
}

static int mv__sup_loop(mv__sup_t *s) {
  mv__sup_after_reap(s, mv__sup_reap(s));
  while (s->phase != PH_DONE) {
    struct pollfd p[4];
    int np = 0;
    p[np++] = (struct pollfd){.fd = s->sigfd, .events = POLLIN};
    if (s->ctl >= 0) p[np++] = (struct pollfd){.fd = s->ctl, .events = POLLIN};
    if (s->hostfd >= 0) p[np++] = (struct pollfd){.fd = s->hostfd, .events = POLLIN};
    double wait = mv__sup_next_deadline(s) - mv__now();
    int ms = wait <= 0 ? 0 : wait > 1e6 ? -1 : (int)(wait * 1000) + 1;
    int r = poll(p, (nfds_t)np, ms);
    if (r < 0 && errno != EINTR) return -1;
    for (int i = 0; r > 0 && i < np; i++) {
      if (p[i].revents == 0) continue;
      if (p[i].fd == s->sigfd) mv__sup_on_signal(s);
      else if (p[i].fd == s->ctl) mv__sup_on_ctl(s);
      else if (p[i].fd == s->hostfd) {
        close(s->hostfd);
        s->hostfd = -2; /* gone for good; -2 stops the getppid() polling */
        mv__sup_start_kill(s, MV_END_HOSTGONE, MV__HOSTGONE_GRACE);
      }
    }
    mv__sup_tick(s);
    mv__sup_after_reap(s, mv__sup_reap(s));
  }
  return 0;
}

static int mv__sup_signals(mv__sup_t *s) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGQUIT);
  /* An exec'd supervisor starts with what the host's middle process had:
   * every signal blocked (so that no handler of the host ran there) and
   * the host's ignored signals still ignored. Ours get their default
   * disposition (an ignored one would never reach the signalfd), and
   * exactly ours stay blocked. */
  for (int sig = 1; sig < NSIG; sig++)
    if (sigismember(&set, sig) == 1) signal(sig, SIG_DFL);
  if (sigprocmask(SIG_SETMASK, &set, NULL) < 0) return -1;
  signal(SIGPIPE, SIG_IGN);
  s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  return s->sigfd < 0 ? -1 : 0;
}

/* Follow the host: a pidfd is readable once it has exited. A supervisor
 * forked by the fork server inherits one (hostfd); one exec'd by the host
 * opens its own and checks getppid() after, which closes the race with a
 * host that died before. */
static void mv__sup_watch_host(mv__sup_t *s, int hostfd) {
  if (hostfd >= 0) {
    s->hostfd = hostfd;
    struct pollfd p = {.fd = hostfd, .events = POLLIN};
    if (poll(&p, 1, 0) == 1) {
      close(hostfd);
      s->hostfd = -2;
      mv__sup_start_kill(s, MV_END_HOSTGONE, MV__HOSTGONE_GRACE);
    }
    return;
  }
  s->hostfd = (int)syscall(SYS_pidfd_open, s->o.host, 0);
  if (getppid() != s->o.host) {
    if (s->hostfd >= 0) close(s->hostfd);
    s->hostfd = -2;
    mv__sup_start_kill(s, MV_END_HOSTGONE, MV__HOSTGONE_GRACE);
  }
}

static void mv__sup_spawn_failed(mv__sup_t *s, int err, const char *stage) {
  mv__msg_t m;
  memset(&m, 0, sizeof(m));
  m.type = MV__MSG_SPAWN_FAILED;
  m.value = err ? err : EINVAL;
  snprintf(m.text, sizeof(m.text), "%s", stage);
  mv__sup_send(s, &m);
}

static int mv__sup_spawn(mv__sup_t *s) {
  mv__spawn_t sp;
  mv__spawn_init(&sp);
  sp.path = s->o.argv[0];
  sp.argv = s->o.argv;
  sp.envp = s->envp;
  sp.cwd = s->o.cwd;
  sp.nfds = 4;
  for (int i = 0; i < 4; i++) sp.fds[i] = i;
  sp.new_session = 1;
  sp.cgroup_fd = s->c.cgroup_fd;
  sp.fork_ok = 1; /* small and single-threaded: the worker is born in its leaf */
  sp.rlimit_cpu = (rlim_t)s->o.cpu_s;
  sp.rlimit_nofile = s->nofile;
  int err = 0;
  const char *stage = NULL;
  s->o.t0 = mv__now();
  int r = mv__spawn(&sp, &s->root, NULL, &err, &stage);
  /* The worker owns its stdio now; keep the slots busy with /dev/null so
   * nothing we open lands on 0-3 by accident. */
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int i = 0; i < 4 && devnull >= 0; i++) dup3(devnull, i, O_CLOEXEC);
  if (devnull > 3) close(devnull);
  if (r == 0) return 0;
  mv__sup_spawn_failed(s, err, stage ? stage : "spawn");
  return -1;
}

static void mv__sup_register(mv__sup_t *s, unsigned long long root_start) {
  if (s->o.regdir == NULL || *s->o.regdir == '\0') return;
  mv_entry_t e;
  memset(&e, 0, sizeof(e));
  e.pid = s->root;
  e.supervisor_pid = getpid();
  e.host_pid = s->o.host;
  snprintf(e.worker, sizeof(e.worker), "%s", s->o.worker ? s->o.worker : "");
  snprintf(e.task_id, sizeof(e.task_id), "%s", s->o.task ? s->o.task : "");
  snprintf(e.kind, sizeof(e.kind), "%s", s->o.kind);
  snprintf(e.ns, sizeof(e.ns), "%s", s->o.ns && *s->o.ns ? s->o.ns : MV_DEFAULT_NAMESPACE);
  snprintf(e.state, sizeof(e.state), "%s", strcmp(s->o.kind, "warm") == 0 ? "idle" : "running");
  e.started_at = mv__wallclock();
  mv__procstat_t self;
  if (mv__procstat(getpid(), &self) < 0) return;
  s->entry = e;
  s->entry_sup_start = self.start;
  s->entry_root_start = root_start;
  if (mv__registry_write(s->o.regdir, &e, self.start, root_start, s->regpath,
                         sizeof(s->regpath)) < 0)
    s->regpath[0] = '\0';
}

static void mv__sup_report(mv__sup_t *s, int tier) {
  mv__msg_t m;
  memset(&m, 0, sizeof(m));
  m.type = MV__MSG_EXITED;
  m.pid = s->root;
  m.wait_status = s->root_status;
  int end = s->end;
  if (end < 0) {
    end = WIFSIGNALED(s->root_status) ? MV_END_SIGNALED : MV_END_EXITED;
    if (WIFSIGNALED(s->root_status) && WTERMSIG(s->root_status) == SIGXCPU) {
      end = MV_END_LIMIT;
      snprintf(s->limit, sizeof(s->limit), "cpu");
    }
  }
  m.end = end;
  double t_exit = s->root_exited ? s->t_exit : mv__now();
  m.elapsed_ns = (int64_t)((t_exit - s->o.t0) * 1e9);
  m.utime_us = (int64_t)s->ru.ru_utime.tv_sec * 1000000 + s->ru.ru_utime.tv_usec;
  m.stime_us = (int64_t)s->ru.ru_stime.tv_sec * 1000000 + s->ru.ru_stime.tv_usec;
  m.maxrss_kb = s->ru.ru_maxrss;
  m.leftovers = s->leftovers;
  m.tier = tier;
  m.breached = s->c.breached;
  snprintf(m.text, sizeof(m.text), "%s", s->limit);
  mv__sup_send(s, &m);
}

/* /dev/null on 0, 1 and 3, and on 2 if it is closed: we keep none of the
 * host's files open, and nothing we open lands there by accident. */
static void mv__sup_quiet_stdio(void) {
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) return;
  for (int fd = 0; fd <= 3; fd++) {
    if (fd == devnull || (fd == 2 && fcntl(2, F_GETFD) >= 0)) continue;
    dup3(devnull, fd, O_CLOEXEC);
  }
  if (devnull > 3) close(devnull);
}

int mv__supervisor_main(int argc, char **argv) {
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "mode=forkserver") == 0) return mv__forkserver_main(argc, argv);
  return mv__supervise(argc, argv, environ, -1);
}

int mv__supervise(int argc, char **argv, char *const *envp, int hostfd) {
  mv__sup_t s;
  memset(&s, 0, sizeof(s));
  s.end = -1;
  s.ctl = MV__CTL_FD;
  s.hostfd = -1;
  s.envp = envp;
  s.phase = PH_RUNNING;
  if (mv__sup_parse(&s.o, argc, argv) < 0) {
    static const char msg[] = "multiverse-supervisor: bad arguments (internal use only)\n";
    if (write(2, msg, sizeof(msg) - 1) < 0) return 2;
    return 2;
  }
  /* Adopt mode: exec'd by the host's middle process, which left the
   * host's fds 0-3 as they were (see mv__exec_supervisor). */
  if (strcmp(s.o.mode, "adopt") == 0) mv__sup_quiet_stdio();
  /* Our own process group: terminal job control (Ctrl-C) reaches the host,
   * which decides; if the host dies we notice through the pidfd. */
  setpgid(0, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  prctl(PR_SET_NAME, "mv-supervisor");
  /* A host at its fd limit hands that limit down: give ourselves room for
   * our few fds (signalfd, pidfds, the cgroup dir) and put the original
   * back for the worker. */
  struct rlimit nofile;
  getrlimit(RLIMIT_NOFILE, &nofile);
  s.nofile = nofile.rlim_cur;
  if (nofile.rlim_cur < 64 && nofile.rlim_max > nofile.rlim_cur) {
    nofile.rlim_cur = nofile.rlim_max < 64 ? nofile.rlim_max : 64;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  if (mv__sup_signals(&s) < 0) {
    mv__msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = MV__MSG_SPAWN_FAILED;
    m.value = errno ? errno : EMFILE;
    snprintf(m.text, sizeof(m.text), "supervisor setup");
    mv__sup_send(&s, &m);
    if (strcmp(s.o.mode, "spawn") != 0) kill(s.o.adopt_pid, SIGKILL);
    return 3;
  }
  mv__sup_watch_host(&s, hostfd);

  int adopt = strcmp(s.o.mode, "adopt") == 0;
  int rc = adopt ? mv__contain_adopt(&s.c, s.o.cgroup, s.o.cg_mount_len, s.o.in_leaf)
                 : mv__contain_init(&s.c, (mv_containment_t)s.o.contain);
  if (rc < 0) {
    mv__msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = MV__MSG_SPAWN_FAILED;
    m.value = EPERM;
    snprintf(m.text, sizeof(m.text), "containment");
    mv__sup_send(&s, &m);
    if (adopt) kill(s.o.adopt_pid, SIGKILL);
    mv__sup_reap(&s);
    return 0;
  }
  if (adopt) {
    s.root = s.o.adopt_pid;
  } else if (mv__sup_spawn(&s) < 0) {
    mv__contain_dispose(&s.c);
    return 0;
  }

  mv__procstat_t ps;
  memset(&ps, 0, sizeof(ps));
  mv__procstat(s.root, &ps);
  mv__msg_t m;
  memset(&m, 0, sizeof(m));
  m.type = MV__MSG_STARTED;
  m.pid = s.root;
  m.start = ps.start;
  m.tier = s.c.cgroup_fd >= 0 ? 1 : 2;
  /* The leaf's name, so the host can still clean it up if we are killed
   * (spawn mode: the leaf is ours; in adopt mode the host made it). */
  if (s.c.cgroup_path && !adopt) {
    const char *slash = strrchr(s.c.cgroup_path, '/');
    snprintf(m.text, sizeof(m.text), "%s", slash ? slash + 1 : "");
  }
  /* Registered before the host hears of it: a task the host knows has
   * started is one clear() finds (a pool gives a process no request
   * before that). An adopted task that has already ended with nothing
   * left behind (a short one often has, by the time we run) has nothing
   * for clear() to find: no entry to write and remove. */
  int gone = adopt && mv__sup_reap(&s) == 1 && s.root_exited;
  if (s.phase == PH_RUNNING && !gone) mv__sup_register(&s, ps.start);
  mv__sup_send(&s, &m);
  s.next_mem = mv__now();
  s.idle_since = mv__now();

  mv__sup_loop(&s);

  /* Everything is cleaned up before the report: the host may return to
   * its caller as soon as it has it. */
  if (s.regpath[0]) mv__registry_remove(s.regpath);
  int tier = s.c.cgroup_fd >= 0 ? 1 : 2;
  /* Born in the task's leaf, we leave removing it to the host that reaps
   * us; with the host gone, we step out and remove it ourselves. */
  if (s.c.self_in_leaf && (s.hostfd == -2 || s.ctl < 0 || s.end == MV_END_HOSTGONE))
    mv__contain_leave(&s.c);
  mv__contain_dispose(&s.c);
  mv__sup_report(&s, tier);
  return 0;
}
