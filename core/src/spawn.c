/*
 * Starting a program without copying the caller's address space.
 *
 * clone(CLONE_VM | CLONE_VFORK) runs the child on a private stack inside
 * the parent's memory while the calling thread is suspended, so the cost
 * does not grow with the size of the host (a PHP-FPM worker or a large
 * Python process). It is what glibc's posix_spawn does; we do it ourselves
 * because we also need setsid, a cgroup join, close_range and an rlimit
 * between clone and exec, and a precise report of which step failed.
 *
 * Rules for the child side (it shares memory with a suspended thread of a
 * possibly multi-threaded host): only async-signal-safe system calls, no
 * malloc, no stdio; errors go back through the shared args struct.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MV__HAS_TSAN 1
#endif
#endif
#ifndef MV__HAS_TSAN
#define MV__HAS_TSAN 0
#endif

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

void mv__spawn_init(mv__spawn_t *s) {
  memset(s, 0, sizeof(*s));
  s->exec_fd = -1;
  s->cgroup_fd = -1;
  for (int i = 0; i < MV__SPAWN_MAX_FDS; i++) s->fds[i] = -1;
}

typedef struct {
  const mv__spawn_t *s;
  sigset_t parent_mask;
  int err_fd;                /* close-on-exec pipe: EOF means exec worked */
  int in_cgroup;             /* born in s->cgroup_fd: no join needed */
} mv__spawn_args_t;

/* clone3(2), declared here: <linux/sched.h> clashes with glibc's CLONE_*. */
struct mv__clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};
#define MV__CLONE_INTO_CGROUP 0x200000000ULL

/* A child born in a cgroup (Linux >= 5.7). Joining one afterwards means
 * writing cgroup.procs, and every such migration waits out an RCU grace
 * period: milliseconds when calls are spaced, on every call. Without
 * CLONE_VM this is a fork, so the caller must be small or
 * single-threaded; child_tid (when not NULL) is where the C library
 * keeps the calling thread's id, set for the child as fork() would. */
static pid_t mv__clone3_into(int cgroup_fd, uint64_t flags, int *pidfd, int *child_tid) {
  struct mv__clone_args ca;
  memset(&ca, 0, sizeof(ca));
  ca.flags = flags | MV__CLONE_INTO_CGROUP;
  if (pidfd) {
    ca.flags |= CLONE_PIDFD;
    ca.pidfd = (uint64_t)(uintptr_t)pidfd;
  }
  if (child_tid) {
    ca.flags |= CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
    ca.child_tid = (uint64_t)(uintptr_t)child_tid;
  }
  ca.exit_signal = SIGCHLD;
  ca.cgroup = (uint64_t)cgroup_fd;
  return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

pid_t mv__fork_into_cgroup(int cgroup_fd) {
  /* fork() gives the child its own thread id in the C library's thread
   * descriptor (raise(), abort() and pthread_* read it): find where it
   * lives the way the kernel knows it, and have clone3 write it there. */
  int *tid_addr = NULL;
  if (prctl(PR_GET_TID_ADDRESS, &tid_addr, 0, 0, 0) < 0 || tid_addr == NULL ||
      *tid_addr != (int)syscall(SYS_gettid)) {
    errno = ENOSYS;
    return -1;
  }
  return mv__clone3_into(cgroup_fd, 0, NULL, tid_addr);
}

/* The steps that can fail, reported by index through the error pipe. */
static const char *const mv__stages[] = {"setsid", "setpgid", "cgroup", "setrlimit",
                                         "chdir",  "dup",     "fds",    "exec"};
enum { ST_SETSID, ST_SETPGID, ST_CGROUP, ST_RLIMIT, ST_CHDIR, ST_DUP, ST_FDS, ST_EXEC };

void mv__reset_signals(void) {
  /* Handlers the host installed must not run in the child, and ignored
   * signals (Python ignores SIGPIPE) must not stay ignored in a worker. */
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < _NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &sa, NULL);
  }
}

/* Walk /proc/self/fd with raw getdents64 (no malloc) when close_range is
 * unavailable. */
static void mv__close_from_walk(int lowfd) {
  int dfd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/fd",
                         O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
    for (int fd = lowfd; fd < max; fd++) close(fd);
    return;
  }
  char buf[4096];
  for (;;) {
    long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      struct {
        unsigned long long ino;
        long long off;
        unsigned short reclen;
        unsigned char type;
        char name[];
      } *d = (void *)(buf + off);
      int fd = 0, ok = d->name[0] != '\0';
      for (const char *c = d->name; *c; c++) {
        if (*c < '0' || *c > '9') {
          ok = 0;
          break;
        }
        fd = fd * 10 + (*c - '0');
      }
      if (ok && fd >= lowfd && fd != dfd) close(fd);
      off += d->reclen;
    }
  }
  close(dfd);
}

void mv__close_from(int lowfd) {
  if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0) return;
  mv__close_from_walk(lowfd);
}

void mv__exec_fd(int fd, char *const argv[], char *const envp[]) {
  syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
  if (errno != ENOSYS) return;
  /* No execveat (old kernel, or running under valgrind): exec the same
   * file through /proc, like glibc's fexecve. No snprintf here: this may
   * run in a vfork child. */
  char path[32] = "/proc/self/fd/";
  char digits[12];
  int n = 0;
  for (unsigned v = (unsigned)fd; n == 0 || v > 0; v /= 10) digits[n++] = (char)('0' + v % 10);
  size_t len = strlen(path);
  while (n > 0) path[len++] = digits[--n];
  path[len] = '\0';
  execve(path, argv, envp);
}

/* Close [lo, hi] (inclusive), with a slow path for kernels before 5.9. */
static void mv__close_range(int lo, int hi) {
  if (lo > hi) return;
  if (syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0) == 0) return;
  for (int fd = lo; fd <= hi; fd++) close(fd);
}

void mv__cloexec_from(int lowfd, int keep) {
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
  if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  if (keep >= lowfd) {
    mv__close_range(lowfd, keep - 1);
    lowfd = keep + 1;
  }
  mv__close_from(lowfd);
}

int mv__child_setup_fds(const int *fds, int nfds, const int *keep, int nkeep) {
  /* Move every source above the target range first, so that dup2 into
   * slot i never clobbers a source still needed for slot j. */
  int tmp[MV__SPAWN_MAX_FDS];
  for (int i = 0; i < nfds; i++) {
    int src = fds[i];
    if (src < 0) {
      src = open("/dev/null", O_RDWR | O_CLOEXEC);
      if (src < 0) return -errno;
    }
    tmp[i] = fcntl(src, F_DUPFD_CLOEXEC, MV__SPAWN_MAX_FDS);
    if (tmp[i] < 0) return -errno;
  }
  for (int i = 0; i < nfds; i++) {
    if (dup2(tmp[i], i) < 0) return -errno; /* dup2 clears FD_CLOEXEC */
  }
  /* Everything else is closed, but for the kept (close-on-exec) fds: no
   * database socket, listener or other task's pipe leaks into a worker. */
  int lo = nfds;
  for (;;) {
    int next = -1; /* the smallest kept fd >= lo */
    for (int k = 0; k < nkeep; k++)
      if (keep[k] >= lo && (next < 0 || keep[k] < next)) next = keep[k];
    if (next < 0) break;
    mv__close_range(lo, next - 1);
    lo = next + 1;
  }
  mv__close_from(lo);
  return 0;
}

/* Not instrumented: it runs on a private stack inside the parent's
 * memory, where a sanitizer's bookkeeping would describe the wrong
 * thread. */
__attribute__((no_sanitize("address", "undefined")))
static int mv__spawn_child(void *arg) {
  mv__spawn_args_t *a = arg;
  const mv__spawn_t *s = a->s;
  int stage = ST_EXEC;

  mv__reset_signals();

  if (s->new_session && setsid() < 0) {
    stage = ST_SETSID;
    goto fail;
  }
  if (!s->new_session && s->new_pgroup && setpgid(0, 0) < 0) {
    stage = ST_SETPGID;
    goto fail;
  }
  if (s->cgroup_fd >= 0 && !a->in_cgroup) {
    int pfd = openat(s->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
    if (pfd < 0 || write(pfd, "0", 1) != 1) {
      stage = ST_CGROUP;
      goto fail;
    }
    close(pfd);
  }
  if (s->rlimit_cpu > 0) {
    struct rlimit rl = {s->rlimit_cpu, s->rlimit_cpu + 1};
    if (setrlimit(RLIMIT_CPU, &rl) < 0) {
      stage = ST_RLIMIT;
      goto fail;
    }
  }
  if (s->rlimit_nofile > 0) {
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = s->rlimit_nofile;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (s->cwd && chdir(s->cwd) < 0) {
    stage = ST_CHDIR;
    goto fail;
  }
  /* The exec fd and the error pipe must survive until exec: move them
   * above the slots and keep them out of the closing range (both are
   * close-on-exec). */
  int keep[2] = {-1, -1};
  int exec_fd = s->exec_fd;
  if (exec_fd >= 0) {
    exec_fd = keep[0] = fcntl(exec_fd, F_DUPFD_CLOEXEC, MV__SPAWN_MAX_FDS);
    if (exec_fd < 0) {
      stage = ST_DUP;
      goto fail;
    }
  }
  int moved = fcntl(a->err_fd, F_DUPFD_CLOEXEC, MV__SPAWN_MAX_FDS);
  if (moved < 0) {
    stage = ST_DUP;
    goto fail;
  }
  a->err_fd = keep[1] = moved; /* our copy of args: the parent never reads it */
  int r = mv__child_setup_fds(s->fds, s->nfds, keep, 2);
  if (r < 0) {
    errno = -r;
    stage = ST_FDS;
    goto fail;
  }
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, NULL);

  if (exec_fd >= 0) {
    mv__exec_fd(exec_fd, s->argv, s->envp);
  } else {
    execve(s->path, s->argv, s->envp);
  }
  stage = ST_EXEC;
fail:;
  int report[2] = {errno ? errno : EINVAL, stage};
  if (write(a->err_fd, report, sizeof(report)) < 0) {
    /* nothing more we can do: the parent sees exit 127 */
  }
  _exit(127);
}

int mv__spawn(const mv__spawn_t *s, pid_t *pid_out, int *pidfd_out, int *err,
              const char **stage) {
  mv__spawn_args_t a;
  memset(&a, 0, sizeof(a));
  a.s = s;
  *err = 0;
  *stage = NULL;

  /* Exec errors come back through a close-on-exec pipe: with CLONE_VFORK
   * the child has exec'd or exited by the time clone() returns, so a
   * non-blocking read tells them apart (a copy of the write end held by
   * some concurrently forked process cannot make us wait). */
  int ep[2];
  if (pipe2(ep, O_CLOEXEC | O_NONBLOCK) < 0)
    return mv__syserror(MV_ESYS, "cannot create a pipe");
  a.err_fd = ep[1];

  /* Block every signal so no host handler runs on the child's side of the
   * shared memory before the child resets its dispositions. */
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &a.parent_mask);

  int pidfd = -1;
  pid_t pid = -1;
  int clone_errno = ENOSYS;
  if (s->cgroup_fd >= 0 && s->fork_ok) {
    /* Born in the leaf: a vfork-style fork of this small process. */
    pid = mv__clone3_into(s->cgroup_fd, CLONE_VFORK, pidfd_out ? &pidfd : NULL, NULL);
    if (pid == 0) {
      a.in_cgroup = 1;
      mv__spawn_child(&a); /* exec or _exit */
    }
    clone_errno = errno;
  }
  /* Any refusal of clone3 but a lack of resources: the classic path says
   * precisely which step fails, if one does. */
#if defined(__SANITIZE_THREAD__) || MV__HAS_TSAN
  /* ThreadSanitizer cannot follow a child that shares our memory: a
   * plain fork, which only the threaded parts' TSan tests use. */
  if (pid < 0 && clone_errno != EAGAIN && clone_errno != ENOMEM) {
    pid = fork();
    if (pid == 0) _exit(mv__spawn_child(&a));
    clone_errno = errno;
    if (pid > 0 && pidfd_out) pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  }
#endif
  if (pid < 0 && clone_errno != EAGAIN && clone_errno != ENOMEM) {
    size_t stack_size = 256 * 1024;
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
      pthread_sigmask(SIG_SETMASK, &a.parent_mask, NULL);
      close(ep[0]);
      close(ep[1]);
      return mv__syserror(MV_ENOMEM, "cannot allocate a spawn stack");
    }
    int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
    if (pidfd_out) flags |= CLONE_PIDFD;
    pid = clone(mv__spawn_child, (char *)stack + stack_size, flags, &a, pidfd_out ? &pidfd : NULL);
    clone_errno = errno;
    munmap(stack, stack_size);
  }

  pthread_sigmask(SIG_SETMASK, &a.parent_mask, NULL);
  close(ep[1]);

  if (pid < 0) {
    close(ep[0]);
    *err = clone_errno;
    *stage = "fork";
    errno = clone_errno;
    return mv__syserror(clone_errno == EAGAIN ? MV_EFORK : MV_ESYS, "clone() failed");
  }
  int report[2];
  ssize_t n;
  do {
    n = read(ep[0], report, sizeof(report));
  } while (n < 0 && errno == EINTR);
  close(ep[0]);
  if (n == (ssize_t)sizeof(report)) {
    /* The child reported its failure and exited: reap exactly it. */
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (pidfd >= 0) close(pidfd);
    *err = report[0];
    int idx = report[1];
    *stage = idx >= 0 && idx < (int)MV__ARRAY_SIZE(mv__stages) ? mv__stages[idx] : "spawn";
    errno = report[0];
    return MV_ESPAWN;
  }
  *pid_out = pid;
  if (pidfd_out) *pidfd_out = pidfd;
  return 0;
}
