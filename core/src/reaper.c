/*
 * The per-task reaper: a process forked from the supervisor (never
 * exec'd, so it costs a fork of a small process) that starts the worker,
 * is its parent, and is a child subreaper.
 *
 * The supervisor is the brain of a task (deadlines, limits, the registry,
 * the reports); the reaper is its lineage. They are two processes so that
 * one kill -9 never leaves a tree behind: if the supervisor dies (an
 * administrator, the OOM killer), the reaper sees its socket to the
 * supervisor close, kills the whole tree (lineage and cgroup leaf),
 * removes the leaf and the supervisor's registry entry, and exits. It
 * keeps a copy of the host's control socket, so the host sees that socket
 * close only once the tree is gone.
 *
 * Messages to the supervisor reuse mv__msg_t: STARTED (the worker's pid),
 * SPAWN_FAILED (errno, stage) and EXITED (the worker's wait status and
 * rusage; elapsed_ns carries the monotonic time it was reaped).
 */
#include "internal.h"
#include "protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MV__REAPER_SOCK 5   /* fd numbers in the reaper, after the shuffle */
#define MV__REAPER_CGROUP 6
#define MV__REAPER_KILL_TIMEOUT 5.0

static void mv__reaper_send(int fd, mv__msg_t *m) {
  m->version = MV__PROTO_VERSION;
  ssize_t r;
  do {
    r = send(fd, m, sizeof(*m), MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
}

/* The supervisor is gone: nothing else will ever kill this tree. */
static void __attribute__((noreturn))
mv__reaper_orphaned(mv__contain_t *c, const char *regdir, pid_t supervisor) {
  mv__contain_kill_sync(c, MV__REAPER_KILL_TIMEOUT);
  /* Reap what was killed (orphans of the tree are ours): bounded, in case
   * something is stuck in an uninterruptible sleep. */
  double deadline = mv__now() + MV__REAPER_KILL_TIMEOUT;
  for (;;) {
    pid_t pid = waitpid(-1, NULL, WNOHANG);
    if (pid > 0 || (pid < 0 && errno == EINTR)) continue;
    if (pid < 0 || mv__now() >= deadline) break;
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (regdir && *regdir) {
    char path[512];
    mv__registry_entry_path(regdir, supervisor, path, sizeof(path));
    mv__registry_remove(path);
  }
  /* The leaf empties once its last process is reaped by whoever reaps it
   * (killed orphans are ours now, so that is done above). */
  for (int i = 0; i < 100 && c->cgroup_path && rmdir(c->cgroup_path) < 0 && errno == EBUSY; i++) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  _exit(0);
}

static void __attribute__((noreturn))
mv__reaper_main(int sock, mv__spawn_t *sp, mv__contain_t *parent_c, const char *regdir) {
  pid_t supervisor = getppid();
  /* Its own process group: a kill of the supervisor's group spares it. */
  setpgid(0, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  prctl(PR_SET_NAME, "mv-reaper");
  /* Keep 0-3 (the worker's), 4 (the host's control socket: held so the
   * host sees it close only when we are done), the socket to the
   * supervisor and the leaf; nothing else of the supervisor's. */
  int tsock = fcntl(sock, F_DUPFD_CLOEXEC, 16);
  int tcg = parent_c->cgroup_fd >= 0 ? fcntl(parent_c->cgroup_fd, F_DUPFD_CLOEXEC, 16) : -1;
  if (tsock < 0 || (parent_c->cgroup_fd >= 0 && tcg < 0)) _exit(3);
  if (dup3(tsock, MV__REAPER_SOCK, O_CLOEXEC) < 0) _exit(3);
  if (tcg >= 0 && dup3(tcg, MV__REAPER_CGROUP, O_CLOEXEC) < 0) _exit(3);
  int cg = tcg >= 0 ? MV__REAPER_CGROUP : -1;
  mv__close_from(MV__REAPER_CGROUP + 1);
  sock = MV__REAPER_SOCK;
  mv__contain_t c = *parent_c;
  c.cgroup_fd = cg;
  c.self = c.anchor = getpid();
  c.exclude = 0;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  int sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);

  sp->cgroup_fd = cg;
  sp->fork_ok = 1; /* we are small and have one thread */
  pid_t root = -1;
  int err = 0;
  const char *stage = NULL;
  mv__msg_t m;
  memset(&m, 0, sizeof(m));
  if (sigfd < 0) {
    err = errno;
    stage = "reaper setup";
  } else if (mv__spawn(sp, &root, NULL, &err, &stage) == 0) {
    m.type = MV__MSG_STARTED;
    m.pid = root;
    mv__procstat_t ps;
    if (mv__procstat(root, &ps) == 0) m.start = ps.start;
  }
  if (root < 0) {
    m.type = MV__MSG_SPAWN_FAILED;
    m.value = err ? err : EINVAL;
    snprintf(m.text, sizeof(m.text), "%s", stage ? stage : "spawn");
  }
  mv__reaper_send(sock, &m);
  if (root < 0) _exit(0);
  /* The worker owns its stdio now. */
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int i = 0; i < 4 && devnull >= 0; i++) dup3(devnull, i, O_CLOEXEC);
  if (devnull > 3) close(devnull);

  int root_done = 0, reported = 0;
  for (;;) {
    pid_t pid;
    for (;;) {
      int st;
      struct rusage ru;
      pid = wait4(-1, &st, WNOHANG, &ru);
      if (pid == root) {
        root_done = 1;
        memset(&m, 0, sizeof(m));
        m.type = MV__MSG_EXITED;
        m.pid = root;
        m.wait_status = st;
        m.elapsed_ns = (int64_t)(mv__now() * 1e9);
        m.utime_us = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
        m.stime_us = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
        m.maxrss_kb = ru.ru_maxrss;
      }
      if (pid > 0 || (pid < 0 && errno == EINTR)) continue;
      break;
    }
    if (root_done && !reported) {
      /* Whether the worker left processes behind, so the supervisor
       * walks the tree only when there is something to find. */
      m.leftovers = pid == 0;
      mv__reaper_send(sock, &m);
      reported = 1;
    }
    if (pid < 0 && root_done) _exit(0); /* ECHILD: the tree is gone */
    struct pollfd p[2] = {{.fd = sigfd, .events = POLLIN}, {.fd = sock, .events = POLLIN}};
    if (poll(p, 2, -1) < 0 && errno != EINTR) break;
    if (p[0].revents) {
      struct signalfd_siginfo si;
      while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
      }
    }
    if (p[1].revents) {
      char b[sizeof(mv__msg_t)];
      ssize_t n = recv(sock, b, sizeof(b), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
    }
  }
  mv__reaper_orphaned(&c, regdir, supervisor);
}

int mv__reaper_start(mv__spawn_t *sp, const mv__contain_t *c, const char *regdir,
                     pid_t *pid_out, int *fd_out) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    return -1;
  }
  if (pid == 0) {
    close(sv[0]);
    mv__reaper_main(sv[1], sp, (mv__contain_t *)c, regdir);
  }
  close(sv[1]);
  *pid_out = pid;
  *fd_out = sv[0];
  return 0;
}
