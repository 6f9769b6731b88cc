/*
 * The registry of running workers: one small file per running task in the
 * user's runtime_dir (mode 0700), written by the task's supervisor when the
 * task starts and removed when its tree is gone.
 *
 * Any process of the same user can list the entries and clear them. An
 * entry names its supervisor by pid *and* start time; clear() opens a
 * pidfd, checks the start time and that the process is the supervisor of
 * the entry's task (its name is "mv-supervisor" and its argv holds
 * "task=<task_id>"), and only then signals: neither a recycled pid nor a
 * forged entry naming some other live process gets anything signalled.
 * The supervisor reacts to SIGTERM by killing its own tree (SIGTERM,
 * grace, SIGKILL), and clear() waits on the pidfds until every supervisor
 * has exited, i.e. until every tree is gone. A task root whose supervisor
 * died is killed only when its environment carries the entry's
 * MULTIVERSE_TASK_ID.
 *
 * Every entry carries the namespace its task was registered under
 * (API.md §1): listing and clearing look at one namespace, or at all of
 * them. The format is "key=value" lines, and readers skip keys they do not
 * know, so the namespace is one more line: an entry written by an older
 * build has none and counts as "default", and an older build reads a newer
 * entry as it always did.
 *
 * Stale entries (supervisor gone or not proven) are removed; corrupt ones,
 * files that belong to another user and anything that is not a regular
 * file (FIFOs, devices, sockets, symlinks, directories) are skipped
 * without failing the call and without ever blocking on them.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MV__ENTRY_SUFFIX ".entry"

/* mkdir -p, each directory it creates private (0700). The default
 * fallback, ~/.cache/multiverse/run, often has no parents yet. */
static int mv__mkdirs(const char *dir) {
  if (mkdir(dir, 0700) == 0 || errno == EEXIST) return 0; /* the caller checks what it is */
  if (errno != ENOENT) return -1;
  char path[4096];
  size_t len = strlen(dir);
  if (len >= sizeof(path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(path, dir, len + 1);
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    /* Failures here (an existing parent, one we may not write to) show
     * up as the failure of the last mkdir, with its errno. */
    mkdir(path, 0700);
    *p = '/';
  }
  if (mkdir(dir, 0700) < 0 && errno != EEXIST) return -1;
  return 0;
}

int mv__registry_prepare(const char *dir) {
  if (dir == NULL || dir[0] != '/')
    return mv__error(MV_EREGISTRY, "runtime_dir must be an absolute path (got '%s')",
                     dir ? dir : "");
  if (mv__mkdirs(dir) < 0)
    return mv__syserror(MV_EREGISTRY, "cannot create runtime_dir '%s'", dir);
  struct stat st;
  if (lstat(dir, &st) < 0)
    return mv__syserror(MV_EREGISTRY, "cannot stat runtime_dir '%s'", dir);
  if (!S_ISDIR(st.st_mode))
    return mv__error(MV_EREGISTRY, "runtime_dir '%s' is not a directory", dir);
  if (st.st_uid != geteuid())
    return mv__error(MV_EREGISTRY,
                     "runtime_dir '%s' belongs to uid %u, not to this user (%u)",
                     dir, (unsigned)st.st_uid, (unsigned)geteuid());
  if ((st.st_mode & 077) != 0 && chmod(dir, 0700) < 0)
    return mv__syserror(MV_EREGISTRY, "cannot make runtime_dir '%s' private", dir);
  if (access(dir, W_OK | X_OK) < 0)
    return mv__syserror(MV_EREGISTRY, "runtime_dir '%s' is not writable", dir);
  return 0;
}

void mv__registry_entry_path(const char *dir, pid_t supervisor_pid, char *buf, size_t size) {
  snprintf(buf, size, "%s/%d" MV__ENTRY_SUFFIX, dir, (int)supervisor_pid);
}

int mv__registry_write(const char *dir, const mv_entry_t *e,
                       unsigned long long supervisor_start,
                       unsigned long long root_start, char *path_out,
                       size_t path_size) {
  char tmp[512];
  snprintf(tmp, sizeof(tmp), "%s/.%d.tmp", dir, (int)e->supervisor_pid);
  mv__registry_entry_path(dir, e->supervisor_pid, path_out, path_size);
  unlink(tmp);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  char buf[1024];
  int n = snprintf(buf, sizeof(buf),
                   "v=1\nsupervisor_pid=%d\nsupervisor_start=%llu\npid=%d\n"
                   "start=%llu\nhost_pid=%d\nworker=%s\ntask_id=%s\nkind=%s\n"
                   "state=%s\nstarted_at=%.6f\nnamespace=%s\n",
                   (int)e->supervisor_pid, supervisor_start, (int)e->pid,
                   root_start, (int)e->host_pid, e->worker, e->task_id, e->kind,
                   e->state, e->started_at, e->ns[0] ? e->ns : MV_DEFAULT_NAMESPACE);
  int ok = n > 0 && (size_t)n < sizeof(buf) && mv__write_all(fd, buf, (size_t)n) == 0;
  close(fd);
  /* rename() makes the entry appear complete or not at all. */
  if (!ok || rename(tmp, path_out) < 0) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

void mv__registry_remove(const char *path) { unlink(path); }

typedef struct {
  mv_entry_t e;
  unsigned long long sup_start, root_start;
  char path[512];
} mv__rentry_t;

/* A regular file of this user? */
static int mv__own_file(const struct stat *st) {
  return S_ISREG(st->st_mode) && st->st_uid == geteuid();
}

/* Parse one entry file; -1 if corrupt or not ours. */
static int mv__registry_read(int dirfd, const char *name, mv__rentry_t *r) {
  /* Look before opening: opening a device can have effects of its own,
   * and a FIFO would block the open until some writer comes. */
  struct stat st, fst;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !mv__own_file(&st)) return -1;
  /* Non-blocking and no symlinks all the same: the name may have been
   * replaced since. The fstat must then find the very file looked at. */
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[2048];
  ssize_t n = -1;
  if (fstat(fd, &fst) == 0 && mv__own_file(&fst) && fst.st_dev == st.st_dev &&
      fst.st_ino == st.st_ino) {
    do {
      n = read(fd, buf, sizeof(buf) - 1);
    } while (n < 0 && errno == EINTR);
  }
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  memset(r, 0, sizeof(*r));
  int have = 0;
  char *save = NULL;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *eq = strchr(line, '=');
    if (eq == NULL) return -1;
    *eq = '\0';
    const char *k = line, *v = eq + 1;
    char *end = NULL;
    if (strcmp(k, "v") == 0) {
      if (strcmp(v, "1") != 0) return -1;
      have |= 1;
    } else if (strcmp(k, "supervisor_pid") == 0) {
      r->e.supervisor_pid = (pid_t)strtol(v, &end, 10);
      have |= 2;
    } else if (strcmp(k, "supervisor_start") == 0) {
      r->sup_start = strtoull(v, &end, 10);
      have |= 4;
    } else if (strcmp(k, "pid") == 0) {
      r->e.pid = (pid_t)strtol(v, &end, 10);
      have |= 8;
    } else if (strcmp(k, "start") == 0) {
      r->root_start = strtoull(v, &end, 10);
    } else if (strcmp(k, "host_pid") == 0) {
      r->e.host_pid = (pid_t)strtol(v, &end, 10);
    } else if (strcmp(k, "worker") == 0) {
      snprintf(r->e.worker, sizeof(r->e.worker), "%s", v);
      have |= 16;
    } else if (strcmp(k, "task_id") == 0) {
      snprintf(r->e.task_id, sizeof(r->e.task_id), "%s", v);
    } else if (strcmp(k, "kind") == 0) {
      snprintf(r->e.kind, sizeof(r->e.kind), "%s", v);
    } else if (strcmp(k, "state") == 0) {
      snprintf(r->e.state, sizeof(r->e.state), "%s", v);
    } else if (strcmp(k, "started_at") == 0) {
      r->e.started_at = strtod(v, &end);
    } else if (strcmp(k, "namespace") == 0) {
      /* A namespace no build could have written makes the entry corrupt. */
      if (mv_check_namespace(v) < 0) {
        mv_clear_error();
        return -1;
      }
      snprintf(r->e.ns, sizeof(r->e.ns), "%s", v);
    }
    if (end != NULL && *end != '\0') return -1;
  }
  if (have != 31 || r->e.supervisor_pid <= 0 || r->e.pid <= 0) return -1;
  /* Written before namespaces existed. */
  if (r->e.ns[0] == '\0') snprintf(r->e.ns, sizeof(r->e.ns), "%s", MV_DEFAULT_NAMESPACE);
  return 0;
}

/* Is the process pid with this start time still alive? */
static int mv__same_process(pid_t pid, unsigned long long start) {
  mv__procstat_t ps;
  return mv__procstat(pid, &ps) == 0 && ps.start == start && ps.state != 'Z';
}

/* Does /proc/<pid>/<file>, a list of NUL-terminated strings (cmdline,
 * environ), hold exactly `want`? With stop_at_dashes, only the strings
 * before a "--" count (the supervisor's own options, not the worker's
 * argv). Read in pieces: an environment can be far larger than any
 * buffer worth having. */
static int mv__proc_strings_have(pid_t pid, const char *file, const char *want,
                                 int stop_at_dashes) {
  char path[64], buf[4096];
  size_t wl = strlen(want);
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  /* The string being read, across reads: its length so far, and whether
   * it is still a prefix of `want` / of "--". */
  size_t len = 0;
  int same = 1, dashes = 1, found = 0, stop = 0;
  while (!found && !stop) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      /* A last string without its NUL still counts. */
      found = n == 0 && same && len == wl;
      break;
    }
    for (ssize_t i = 0; i < n && !found && !stop; i++) {
      char c = buf[i];
      if (c == '\0') {
        found = same && len == wl;
        stop = stop_at_dashes && dashes && len == 2;
        len = 0;
        same = dashes = 1;
      } else {
        same = same && len < wl && want[len] == c;
        dashes = dashes && len < 2 && c == '-';
        len++;
      }
    }
  }
  close(fd);
  return found;
}

/* Is pid the supervisor of task task_id? It names itself "mv-supervisor"
 * and was exec'd with "task=<task_id>" among its options. Only meaningful
 * once pid is pinned (a pidfd open, the start time checked). Never pid 1:
 * a supervisor is always some host's child. */
static int mv__is_supervisor(pid_t pid, const char *task_id) {
  static const char name[] = "mv-supervisor\n";
  char path[64], comm[32], arg[64];
  if (pid <= 1 || task_id[0] == '\0') return 0;
  snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
  ssize_t n = mv__read_file(path, comm, sizeof(comm));
  if (n != (ssize_t)sizeof(name) - 1 || memcmp(comm, name, sizeof(name) - 1) != 0) return 0;
  snprintf(arg, sizeof(arg), "task=%s", task_id);
  return mv__proc_strings_have(pid, "cmdline", arg, 1);
}

/* Is pid the root of task task_id? Every exec'd worker is started with
 * MULTIVERSE_TASK_ID=<task_id> in its environment. */
static int mv__is_task_root(pid_t pid, const char *task_id) {
  char var[80];
  if (pid <= 1 || task_id[0] == '\0') return 0;
  snprintf(var, sizeof(var), "MULTIVERSE_TASK_ID=%s", task_id);
  return mv__proc_strings_have(pid, "environ", var, 0);
}

/* Collect live, matching entries; remove stale ones. When orphans is not
 * NULL, stale entries whose task root still runs are returned there (their
 * supervisor died abnormally; clear() kills the root's session). */
static int mv__registry_scan(const char *dir, const char *ns, const char *worker,
                             mv__rentry_t **out, size_t *count,
                             mv__rentry_t **orphans, size_t *norphans) {
  *out = NULL;
  *count = 0;
  if (orphans) {
    *orphans = NULL;
    *norphans = 0;
  }
  /* The same rules as for running a worker: a registry that is not ours
   * is an error, not an empty list. One that does not exist is empty. */
  struct stat st;
  if (lstat(dir, &st) == 0 && (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())) {
    if (!S_ISDIR(st.st_mode))
      return mv__error(MV_EREGISTRY, "runtime_dir '%s' is not a directory", dir);
    return mv__error(MV_EREGISTRY, "runtime_dir '%s' belongs to uid %u, not to this user (%u)",
                     dir, (unsigned)st.st_uid, (unsigned)geteuid());
  }
  DIR *d = opendir(dir);
  if (d == NULL) {
    if (errno == ENOENT) return 0; /* nothing ever ran */
    return mv__syserror(MV_EREGISTRY, "cannot read runtime_dir '%s'", dir);
  }
  size_t cap = 0, ocap = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t nl = strlen(de->d_name), sl = strlen(MV__ENTRY_SUFFIX);
    if (nl <= sl || strcmp(de->d_name + nl - sl, MV__ENTRY_SUFFIX) != 0) continue;
    mv__rentry_t r;
    if (mv__registry_read(dirfd(d), de->d_name, &r) < 0) continue; /* corrupt/foreign */
    snprintf(r.path, sizeof(r.path), "%s/%s", dir, de->d_name);
    if (worker && strcmp(worker, r.e.worker) != 0) continue;
    if (ns && strcmp(ns, r.e.ns) != 0) continue;
    /* A live process that is not the supervisor of the entry's task makes
     * the entry as stale as a dead one: no task of ours is behind it. */
    int live = mv__same_process(r.e.supervisor_pid, r.sup_start) &&
               mv__is_supervisor(r.e.supervisor_pid, r.e.task_id);
    mv__rentry_t **dst = out;
    size_t *n = count, *c = &cap;
    if (!live) {
      int root_alive = r.root_start && mv__same_process(r.e.pid, r.root_start);
      if (!root_alive || orphans == NULL) {
        unlinkat(dirfd(d), de->d_name, 0);
        continue;
      }
      dst = orphans;
      n = norphans;
      c = &ocap;
    }
    if (*n == *c) {
      size_t nc = *c ? *c * 2 : 16;
      mv__rentry_t *nv = realloc(*dst, nc * sizeof(**dst));
      if (nv == NULL) {
        closedir(d);
        return mv__error(MV_ENOMEM, "out of memory reading the registry");
      }
      *dst = nv;
      *c = nc;
    }
    (*dst)[(*n)++] = r;
  }
  closedir(d);
  return 0;
}

int mv_registry_list(const char *runtime_dir, const char *ns, const char *worker,
                     mv_entry_t **entries, size_t *count) {
  *entries = NULL;
  *count = 0;
  if (ns && mv_check_namespace(ns) < 0) return MV_EINVAL;
  if (worker && mv_validate_worker_name(worker) < 0) return MV_EINVAL;
  mv__rentry_t *v;
  size_t n;
  int r = mv__registry_scan(runtime_dir, ns, worker, &v, &n, NULL, NULL);
  if (r < 0) return r;
  if (n == 0) {
    free(v);
    return 0;
  }
  mv_entry_t *e = malloc(n * sizeof(*e));
  if (e == NULL) {
    free(v);
    return mv__error(MV_ENOMEM, "out of memory listing the registry");
  }
  for (size_t i = 0; i < n; i++) e[i] = v[i].e;
  free(v);
  *entries = e;
  *count = n;
  return 0;
}

int mv_registry_clear(const char *runtime_dir, const char *ns, const char *worker,
                      double wait_timeout, int *killed) {
  *killed = 0;
  if (ns && mv_check_namespace(ns) < 0) return MV_EINVAL;
  if (worker && mv_validate_worker_name(worker) < 0) return MV_EINVAL;
  mv__rentry_t *v, *orph;
  size_t n, norph;
  int r = mv__registry_scan(runtime_dir, ns, worker, &v, &n, &orph, &norph);
  if (r < 0) return r;

  int *fds = calloc(n ? n : 1, sizeof(int));
  if (fds == NULL) {
    free(v);
    free(orph);
    return mv__error(MV_ENOMEM, "out of memory clearing the registry");
  }
  size_t waiting = 0;
  for (size_t i = 0; i < n; i++) {
    fds[i] = (int)syscall(SYS_pidfd_open, v[i].e.supervisor_pid, 0);
    /* Check identity after opening: from here on the pidfd cannot refer to
     * any other process, so what is proven is what gets the signal. */
    if (fds[i] >= 0 && !(mv__same_process(v[i].e.supervisor_pid, v[i].sup_start) &&
                         mv__is_supervisor(v[i].e.supervisor_pid, v[i].e.task_id))) {
      close(fds[i]);
      fds[i] = -1;
    }
    if (fds[i] >= 0 && syscall(SYS_pidfd_send_signal, fds[i], SIGTERM, NULL, 0) == 0) {
      waiting++;
    } else if (fds[i] >= 0) {
      close(fds[i]);
      fds[i] = -1;
    }
  }
  /* Supervisors that died abnormally: the task root is its own session
   * leader; kill its session's group directly, once it is proven to be
   * the task's root. What cannot be proven (a forked task's root has no
   * identity of its own) is left alone and only its entry goes. */
  for (size_t i = 0; i < norph; i++) {
    int pfd = (int)syscall(SYS_pidfd_open, orph[i].e.pid, 0);
    if (pfd >= 0 && mv__same_process(orph[i].e.pid, orph[i].root_start) &&
        mv__is_task_root(orph[i].e.pid, orph[i].e.task_id)) {
      kill(-orph[i].e.pid, SIGKILL);
      syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
      (*killed)++;
    }
    if (pfd >= 0) close(pfd);
    unlink(orph[i].path);
  }

  /* Wait until every signalled supervisor is gone: each exits only once its
   * whole tree is dead. */
  double deadline = mv__now() + wait_timeout;
  while (waiting > 0) {
    struct pollfd *p = calloc(n, sizeof(*p));
    if (p == NULL) break;
    nfds_t np = 0;
    for (size_t i = 0; i < n; i++)
      if (fds[i] >= 0) p[np++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    double left = deadline - mv__now();
    int rr = left > 0 ? poll(p, np, (int)(left * 1000) + 1) : 0;
    for (nfds_t j = 0; rr > 0 && j < np; j++) {
      if (!p[j].revents) continue;
      for (size_t i = 0; i < n; i++)
        if (fds[i] == p[j].fd) {
          close(fds[i]);
          fds[i] = -1;
          waiting--;
          (*killed)++;
        }
    }
    free(p);
    if (rr == 0) break;
  }
  int rc = 0;
  if (waiting > 0)
    rc = mv__error(MV_ETIMEDOUT, "%zu worker tree(s) still dying after %.1f s", waiting,
                   wait_timeout);
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0) close(fds[i]);
  free(fds);
  free(v);
  free(orph);
  return rc;
}
