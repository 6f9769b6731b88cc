/*
 * The host's side of its fork server (forkserver.c): started the first
 * time the process starts a worker, replaced if it died, forgotten in a
 * forked child (which starts its own when it needs one).
 *
 * A worker's supervisor is then one message away: the request (argv and
 * environment) goes into a memfd, which is sent with the worker's fds;
 * the server forks the supervisor, which talks to us on the task's own
 * control socket from there on. Nothing is exec'd per call.
 *
 * The server is our child; it is reaped here, by pid, only once it has
 * died (no waitpid(-1), DESIGN.md).
 */
#include "internal.h"
#include "protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t mv__fsc_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic pid_t mv__fsc_owner; /* the process this state belongs to */
static int mv__fsc_sock = -1;
static pid_t mv__fsc_pid = -1;

void mv__forkserver_forget(void) {
  pid_t me = getpid();
  pid_t owner = atomic_load(&mv__fsc_owner);
  if (owner == me || !atomic_compare_exchange_strong(&mv__fsc_owner, &owner, me)) return;
  /* A fork of the process that started the server: its lock may have been
   * held by a thread this child does not have, and its socket and child
   * are the parent's. */
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  memcpy(&mv__fsc_lock, &fresh, sizeof(fresh));
  if (mv__fsc_sock >= 0) close(mv__fsc_sock);
  mv__fsc_sock = -1;
  mv__fsc_pid = -1;
}

/* A server that cannot be reached: make sure it is gone, reap it (it is
 * our child) and forget it. Its supervisors go on: they follow the host. */
static void mv__fsc_drop(void) {
  if (mv__fsc_sock >= 0) close(mv__fsc_sock);
  mv__fsc_sock = -1;
  if (mv__fsc_pid > 0) {
    kill(mv__fsc_pid, SIGKILL);
    while (waitpid(mv__fsc_pid, NULL, 0) < 0 && errno == EINTR) {
    }
  }
  mv__fsc_pid = -1;
}

static int mv__fsc_start(void) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return mv__syserror(MV_ESYS, "cannot create the fork server's socket");
  const char *path = mv__supervisor_path();
  int exec_fd = path ? -1 : mv__supervisor_exec_fd();
  if (path == NULL && exec_fd < 0) {
    close(sv[0]);
    close(sv[1]);
    return exec_fd;
  }
  char host[32], version[16];
  snprintf(host, sizeof(host), "host=%d", (int)getpid());
  snprintf(version, sizeof(version), "v=%u", MV__PROTO_VERSION);
  /* The task= slot is room for each supervisor's own task id (its
   * /proc/<pid>/cmdline is this argv area). */
  char title[64];
  memset(title, ' ', sizeof(title) - 1);
  memcpy(title, "task=", 5);
  title[sizeof(title) - 1] = '\0';
  char *argv[] = {"multiverse-supervisor", version, "mode=forkserver", host, title, NULL};
  char *envp[] = {NULL};
  mv__spawn_t sp;
  mv__spawn_init(&sp);
  sp.exec_fd = exec_fd;
  sp.path = path;
  sp.argv = argv;
  sp.envp = envp;
  sp.nfds = 5;
  sp.fds[2] = 2;
  sp.fds[4] = sv[1];
  int err = 0;
  const char *stage = NULL;
  pid_t pid;
  int r = mv__spawn(&sp, &pid, NULL, &err, &stage);
  close(sv[1]);
  if (r < 0) {
    close(sv[0]);
    /* A clone() that failed (a process limit) keeps its own detail. */
    if (r != MV_ESPAWN) return r;
    return mv__error(err == EMFILE || err == ENFILE ? MV_EMFILE : MV_ESUPERVISOR,
                     "cannot start the supervisor (%s): %s", stage ? stage : "spawn",
                     strerror(err));
  }
  mv__fsc_sock = sv[0];
  mv__fsc_pid = pid;
  return 0;
}

/* The request memfd: "argc\0", argv, envp, each string NUL-terminated. */
static int mv__fsc_request(char *const *argv, char *const *envp) {
  int fd = memfd_create("multiverse-request", MFD_CLOEXEC);
  if (fd < 0) return mv__syserror(MV_ESYS, "cannot create the request buffer");
  size_t na = mv__strv_len(argv), ne = mv__strv_len(envp), len = 32;
  for (size_t i = 0; i < na; i++) len += strlen(argv[i]) + 1;
  for (size_t i = 0; i < ne; i++) len += strlen(envp[i]) + 1;
  char *buf = malloc(len);
  if (buf == NULL) {
    close(fd);
    return mv__error(MV_ENOMEM, "out of memory");
  }
  size_t off = (size_t)snprintf(buf, 32, "%zu", na) + 1;
  for (size_t i = 0; i < na; i++) off += (size_t)sprintf(buf + off, "%s", argv[i]) + 1;
  for (size_t i = 0; i < ne; i++) off += (size_t)sprintf(buf + off, "%s", envp[i]) + 1;
  int r = mv__write_all(fd, buf, off);
  free(buf);
  if (r < 0) {
    int e = mv__syserror(MV_ESYS, "cannot write the request");
    close(fd);
    return e;
  }
  return fd;
}

static int mv__fsc_send(int req, const int fds[5]) {
  mv__fs_msg_t msg = {MV__PROTO_VERSION, MV__FS_SPAWN};
  int all[6] = {req, fds[0], fds[1], fds[2], fds[3], fds[4]};
  char cbuf[CMSG_SPACE(sizeof(all))];
  memset(cbuf, 0, sizeof(cbuf));
  struct iovec iov = {&msg, sizeof(msg)};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                      .msg_controllen = sizeof(cbuf)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(all));
  memcpy(CMSG_DATA(c), all, sizeof(all));
  ssize_t n;
  do {
    n = sendmsg(mv__fsc_sock, &mh, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == (ssize_t)sizeof(msg) ? 0 : -1;
}

int mv__forkserver_spawn(char *const *argv, char *const *envp, const int fds[5]) {
  mv__forkserver_forget();
  int req = mv__fsc_request(argv, envp);
  if (req < 0) return req;
  pthread_mutex_lock(&mv__fsc_lock);
  int r = 0;
  /* A server that died since the last call is replaced, once. */
  for (int attempt = 0; attempt < 2; attempt++) {
    if (mv__fsc_sock < 0 && (r = mv__fsc_start()) < 0) break;
    if (mv__fsc_send(req, fds) == 0) {
      r = 0;
      break;
    }
    int e = errno;
    int dead = e == EPIPE || e == ECONNRESET || e == ECONNREFUSED || e == ENOTCONN;
    if (dead) mv__fsc_drop();
    errno = e;
    r = mv__syserror(e == EMFILE || e == ENFILE ? MV_EMFILE : MV_ESUPERVISOR,
                     "cannot reach the fork server");
    if (!dead) break;
  }
  pthread_mutex_unlock(&mv__fsc_lock);
  close(req);
  return r;
}
