/*
 * The fork server: one process per host, exec'd once from the supervisor
 * image when the host starts its first worker, that forks the supervisor
 * of every worker the host starts afterwards. A worker's containment is
 * then a fork of this small process, not an exec of the supervisor image
 * per call.
 *
 * Protocol (host -> server, SOCK_SEQPACKET on fd 4): one mv__fs_msg_t per
 * worker, with six fds: the request (a memfd holding the supervisor's argv
 * and the worker's environment), the worker's stdin, stdout, stderr and
 * result channel, and the task's control socket. Nothing comes back on
 * this socket: the supervisor reports to the host on the task's own
 * control socket, exactly as an exec'd one does.
 *
 * The server is a child subreaper and the parent of every supervisor it
 * forks, so it is the second net under each of them: a supervisor killed
 * mid-task (an administrator, the OOM killer) leaves its worker and the
 * worker's orphans to the server, which kills every child of its own that
 * is not a supervisor, and the supervisor's cgroup leaf, then closes its
 * copy of the task's control socket — the host sees that socket close
 * only once the tree is gone. A supervisor never leaves a live process to
 * the server otherwise (it exits once its tree is gone), so any other
 * child is such an orphan.
 *
 * The server follows the host through a pidfd; when the host is gone it
 * exits once its supervisors have (each of them follows the host too).
 */
#include "internal.h"
#include "protocol.h"

#include <dirent.h>
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MV__FS_SOCK 4
#define MV__FS_HOSTFD 6   /* where a forked supervisor finds the host's pidfd */
#define MV__FS_ORPHAN_KILL 5.0

typedef struct {
  pid_t pid;    /* a supervisor */
  int ctl;      /* our copy of its task's control socket, -1 if none */
  int reaped;   /* it ended (status below) and awaits our finishing */
  int status;
} mv__fs_child_t;

typedef struct {
  int sock, sigfd, hostfd;
  pid_t host;
  char *title;            /* our argv's "task=" slot, rewritten in each supervisor */
  size_t title_len;
  char *mode;             /* our argv's "mode=forkserver", likewise */
  mv__fs_child_t *kids;
  size_t nkids, cap;
} mv__fs_t;

/* The request: "argc\0" argv[0]\0 ... argv[argc-1]\0 env[0]\0 ... */
static int mv__fs_read_request(int fd, char ***argv, int *argc, char ***envp) {
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > (64 << 20)) return -1;
  size_t len = (size_t)st.st_size;
  char *buf = malloc(len + 1);
  if (buf == NULL) return -1;
  size_t got = 0;
  while (got < len) {
    ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
    if (n <= 0) {
      free(buf);
      return -1;
    }
    got += (size_t)n;
  }
  buf[len] = '\0';
  size_t count = 0;
  for (size_t i = 0; i < len; i++) count += buf[i] == '\0';
  char **v = calloc(count + 2, sizeof(char *));
  if (v == NULL) {
    free(buf);
    return -1;
  }
  size_t k = 0;
  for (size_t i = 0; i < len; i += strlen(buf + i) + 1) v[k++] = buf + i;
  int n = atoi(v[0]);
  if (n <= 0 || (size_t)n > k - 1) {
    free(v);
    free(buf);
    return -1;
  }
  /* argv: v[1..n], NULL; env: v[n+1..k-1], NULL. */
  char **av = calloc((size_t)n + 1, sizeof(char *));
  if (av == NULL) {
    free(v);
    free(buf);
    return -1;
  }
  for (int i = 0; i < n; i++) av[i] = v[1 + i];
  *argv = av;
  *argc = n;
  *envp = v + 1 + n; /* v[k] is NULL (calloc) */
  return 0;
}

/* In the forked supervisor: take the task's fds, drop everything of the
 * server's, look like the task's supervisor, supervise. */
static void __attribute__((noreturn)) mv__fs_child(mv__fs_t *fs, int fds[6]) {
  char **argv, **envp;
  int argc;
  if (mv__fs_read_request(fds[0], &argv, &argc, &envp) < 0) _exit(2);
  /* 0-3: the worker's stdio and result channel, 4: control, 6: host. */
  int want[7] = {fds[1], fds[2], fds[3], fds[4], fds[5], -1, fs->hostfd};
  int tmp[7];
  for (int i = 0; i < 7; i++) {
    tmp[i] = want[i] >= 0 ? fcntl(want[i], F_DUPFD_CLOEXEC, 16) : -1;
    if (want[i] >= 0 && tmp[i] < 0) _exit(3);
  }
  for (int i = 0; i < 7; i++) {
    if (tmp[i] < 0) continue;
    if (dup3(tmp[i], i, i == MV__FS_HOSTFD ? O_CLOEXEC : 0) < 0) _exit(3);
  }
  mv__close_from(MV__FS_HOSTFD + 1);
  /* /proc/<pid>/cmdline is what clear() checks before it signals a
   * supervisor: make ours name the task (our argv area is the server's). */
  const char *task = NULL;
  for (int i = 1; i < argc; i++)
    if (strncmp(argv[i], "task=", 5) == 0) task = argv[i];
  if (fs->title) {
    memset(fs->title, '\0', fs->title_len);
    if (task) memcpy(fs->title, task, strlen(task) < fs->title_len ? strlen(task) : fs->title_len);
  }
  if (fs->mode) memcpy(fs->mode, "mode=spawn\0\0\0\0\0", 15);
  _exit(mv__supervise(argc, argv, envp, MV__FS_HOSTFD));
}

static void mv__fs_spawn_failed(int ctl, int err, const char *stage) {
  mv__msg_t m;
  memset(&m, 0, sizeof(m));
  m.version = MV__PROTO_VERSION;
  m.type = MV__MSG_SPAWN_FAILED;
  m.value = err ? err : EINVAL;
  snprintf(m.text, sizeof(m.text), "%s", stage);
  send(ctl, &m, sizeof(m), MSG_NOSIGNAL);
}

static void mv__fs_close_fds(int fds[6], int n) {
  for (int i = 0; i < n; i++)
    if (fds[i] >= 0) close(fds[i]);
}

/* One request from the host. Returns -1 when the host closed its end. */
static int mv__fs_on_request(mv__fs_t *fs) {
  mv__fs_msg_t msg;
  char cbuf[CMSG_SPACE(sizeof(int) * 6)];
  struct iovec iov = {&msg, sizeof(msg)};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                      .msg_controllen = sizeof(cbuf)};
  ssize_t n = recvmsg(fs->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  if (n <= 0) return -1;
  int fds[6] = {-1, -1, -1, -1, -1, -1}, nfds = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < k && nfds < 6; i++) memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
  }
  if (n != (ssize_t)sizeof(msg) || msg.version != MV__PROTO_VERSION ||
      msg.type != MV__FS_SPAWN || nfds != 6 || (mh.msg_flags & MSG_CTRUNC)) {
    if (nfds == 6) mv__fs_spawn_failed(fds[5], EPROTO, "fork server request");
    mv__fs_close_fds(fds, nfds);
    return 0;
  }
  if (fs->nkids == fs->cap) {
    size_t cap = fs->cap ? fs->cap * 2 : 64;
    mv__fs_child_t *k = realloc(fs->kids, cap * sizeof(*k));
    if (k == NULL) {
      mv__fs_spawn_failed(fds[5], ENOMEM, "fork server");
      mv__fs_close_fds(fds, 6);
      return 0;
    }
    fs->kids = k;
    fs->cap = cap;
  }
  pid_t pid = fork();
  if (pid == 0) mv__fs_child(fs, fds);
  if (pid < 0) {
    mv__fs_spawn_failed(fds[5], errno, "fork supervisor");
    mv__fs_close_fds(fds, 6);
    return 0;
  }
  /* Keep the control socket until the supervisor is reaped (see top). */
  int ctl = fds[5];
  fds[5] = -1;
  mv__fs_close_fds(fds, 6);
  fs->kids[fs->nkids++] = (mv__fs_child_t){pid, ctl, 0, 0};
  return 0;
}

/* A supervisor still running (reaped ones wait in the table to be
 * finished by mv__fs_settle()). */
static mv__fs_child_t *mv__fs_find(mv__fs_t *fs, pid_t pid, int reaped) {
  for (size_t i = 0; i < fs->nkids; i++)
    if (fs->kids[i].pid == pid && fs->kids[i].reaped == reaped) return &fs->kids[i];
  return NULL;
}

/* Reap every child that ended: supervisors are marked for finishing,
 * orphans need nothing more. */
static void mv__fs_collect(mv__fs_t *fs) {
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    mv__fs_child_t *k = mv__fs_find(fs, pid, 0);
    if (k) {
      k->reaped = 1;
      k->status = st;
    }
  }
}

/* Kill every child of ours that is not a running supervisor, round after
 * round (each kill reparents the victim's children to us), until none is
 * left. They are orphans of supervisors that were killed. */
static void mv__fs_kill_orphans(mv__fs_t *fs) {
  double deadline = mv__now() + MV__FS_ORPHAN_KILL;
  pid_t self = getpid();
  for (;;) {
    int found = 0;
    DIR *d = opendir("/proc");
    if (d == NULL) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
      char *end;
      long pid = strtol(de->d_name, &end, 10);
      if (*end != '\0' || pid <= 0) continue;
      mv__procstat_t ps;
      if (mv__procstat((pid_t)pid, &ps) < 0 || ps.ppid != self || ps.state == 'Z') continue;
      if (mv__fs_find(fs, (pid_t)pid, 0)) continue;
      found++;
      kill((pid_t)pid, SIGKILL); /* our child: its pid is not reused before we reap it */
    }
    closedir(d);
    mv__fs_collect(fs);
    if (!found || mv__now() > deadline) return;
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* The leaf a supervisor made (contain.c names it after its pid): kill
 * what is in it and remove it. */
static void mv__fs_kill_leaf(pid_t supervisor) {
  char *parent = mv__cgroup_parent();
  if (parent == NULL) return;
  char *leaf = mv__asprintf("%s/multiverse-%d", parent, (int)supervisor);
  free(parent);
  if (leaf == NULL) return;
  mv__contain_t c;
  if (mv__contain_adopt(&c, leaf, mv__cgroup_mount_len(), -1) == 0) {
    mv__contain_set_root(&c, 0, 0);
    mv__contain_kill_sync(&c, 1.0);
    mv__contain_dispose(&c);
  }
  free(leaf);
}

/* Finish every supervisor that ended: one that did not end cleanly left
 * its tree to us. Then close our copy of its control socket: the host
 * learns it is over. */
static void mv__fs_settle(mv__fs_t *fs) {
  mv__fs_collect(fs);
  for (size_t i = 0; i < fs->nkids;) {
    mv__fs_child_t *k = &fs->kids[i];
    if (!k->reaped) {
      i++;
      continue;
    }
    if (!(WIFEXITED(k->status) && WEXITSTATUS(k->status) == 0)) {
      pid_t pid = k->pid;
      mv__fs_kill_orphans(fs);
      mv__fs_kill_leaf(pid);
      k = &fs->kids[i]; /* the table may have been walked, not moved */
    }
    if (k->ctl >= 0) close(k->ctl);
    fs->kids[i] = fs->kids[--fs->nkids];
  }
}

int mv__forkserver_main(int argc, char **argv) {
  mv__fs_t fs;
  memset(&fs, 0, sizeof(fs));
  fs.sock = MV__FS_SOCK;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "host=", 5) == 0) fs.host = (pid_t)atol(argv[i] + 5);
    if (strncmp(argv[i], "task=", 5) == 0) {
      fs.title = argv[i];
      fs.title_len = strlen(argv[i]);
    }
    if (strcmp(argv[i], "mode=forkserver") == 0) fs.mode = argv[i];
  }
  setpgid(0, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  prctl(PR_SET_NAME, "mv-forkserver");
  /* One fd per running task is kept here: room for many. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGQUIT);
  sigprocmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  fs.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  fs.hostfd = (int)syscall(SYS_pidfd_open, fs.host, 0);
  if (fs.sigfd < 0 || fs.hostfd < 0 || fs.host <= 0 || getppid() != fs.host) return 3;
  int host_gone = 0;
  while (!host_gone || fs.nkids > 0) {
    struct pollfd p[3] = {{.fd = fs.sigfd, .events = POLLIN},
                          {.fd = host_gone ? -1 : fs.sock, .events = POLLIN},
                          {.fd = host_gone ? -1 : fs.hostfd, .events = POLLIN}};
    if (poll(p, 3, -1) < 0 && errno != EINTR) return 4;
    if (p[0].revents) {
      struct signalfd_siginfo si;
      while (read(fs.sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        /* SIGTERM and friends: the supervisors follow the host, not us;
         * a signal to the server alone is ignored. */
      }
      mv__fs_settle(&fs);
    }
    if (p[1].revents && mv__fs_on_request(&fs) < 0) host_gone = 1;
    if (p[2].revents) host_gone = 1;
  }
  return 0;
}
