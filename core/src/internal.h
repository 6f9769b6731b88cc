/*
 * Internal declarations shared by the core's subsystems (mv__ prefix).
 * Nothing here is part of the public API.
 */
#ifndef MV_INTERNAL_H
#define MV_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "multiverse.h"

#define MV__UNUSED(x) ((void)(x))
#define MV__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* error.c ---------------------------------------------------------------- */
/* Set the thread's detail message and return code. */
int mv__error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, appending ": strerror(errno)". Maps EMFILE/ENFILE to MV_EMFILE and
 * ENOMEM to MV_ENOMEM when code is MV_ESYS. */
int mv__syserror(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* config.c --------------------------------------------------------------- */
/* Warm settings of worker `name` are usable (MV_EINVAL names the one that
 * is not): the one check, for the configuration and for pools. */
int mv__warm_check(const char *name, const mv_warm_t *w);

/* util.c ----------------------------------------------------------------- */
double mv__now(void);          /* CLOCK_MONOTONIC seconds */
double mv__wallclock(void);    /* CLOCK_REALTIME seconds */
char *mv__strdup(const char *s);
char *mv__asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int mv__write_all(int fd, const void *buf, size_t len);
int mv__set_nonblock(int fd, int on);
/* Read a whole small file (e.g. under /proc) into buf; returns length or -1. */
ssize_t mv__read_file(const char *path, char *buf, size_t size);
/* 16 hex chars from getrandom(). */
void mv__random_id(char out[17]);
/* Search PATH for an executable when name has no '/'. Returns malloc'd
 * path or NULL with errno set. */
char *mv__which(const char *name);
/* Free a NULL-terminated string vector. */
void mv__strv_free(char **v);
size_t mv__strv_len(char *const *v);

/* procinfo.c ------------------------------------------------------------- */
typedef struct {
  pid_t pid;
  pid_t ppid;
  char state;                 /* 'R', 'S', 'Z', ... */
  unsigned long long start;   /* starttime in clock ticks since boot */
} mv__procstat_t;
/* Parse /proc/<pid>/stat. Returns 0, or -1 (errno) if the process is gone. */
int mv__procstat(pid_t pid, mv__procstat_t *out);
long mv__proc_rss_kb(pid_t pid);

/* spawn.c ---------------------------------------------------------------- */
#define MV__SPAWN_MAX_FDS 8
typedef struct {
  const char *path;           /* exec by path (already resolved) ... */
  int exec_fd;                /* ... or by fd (execveat AT_EMPTY_PATH) when >= 0 */
  char *const *argv;
  char *const *envp;
  const char *cwd;            /* NULL = inherit */
  int fds[MV__SPAWN_MAX_FDS]; /* child fd i := fds[i]; -1 = /dev/null */
  int nfds;
  int new_session;            /* setsid() */
  int new_pgroup;             /* setpgid(0, 0) */
  int cgroup_fd;              /* dir fd of a cgroup to join, or -1 */
  int fork_ok;                /* the caller is small and single-threaded: a child
                                 bound for cgroup_fd is born there (clone3) */
  rlim_t rlimit_cpu;          /* 0 = unchanged */
  rlim_t rlimit_nofile;       /* 0 = unchanged: soft fd limit to set */
} mv__spawn_t;

void mv__spawn_init(mv__spawn_t *s);
/* clone(CLONE_VM|CLONE_VFORK) + exec. On failure returns MV_ESPAWN with
 * *err = errno and *stage naming the failed step ("exec", "chdir", ...). */
int mv__spawn(const mv__spawn_t *s, pid_t *pid, int *pidfd, int *err,
              const char **stage);
/* fork(), the child born in the cgroup cgroup_fd (clone3), for a
 * single-threaded caller. -1 with errno ENOSYS where that cannot be done
 * like fork() does it: the caller falls back to fork() and a join. */
pid_t mv__fork_into_cgroup(int cgroup_fd);
/* Steps shared with an in-place exec (after fork): fd i := fds[i], close
 * every other fd but the `keep` ones (which must be >= MV__SPAWN_MAX_FDS).
 * Async-signal-safe. Returns 0 or -errno. */
int mv__child_setup_fds(const int *fds, int nfds, const int *keep, int nkeep);
/* execveat(fd, "", AT_EMPTY_PATH), falling back to /proc/self/fd/N.
 * Async-signal-safe; returns only on failure. */
void mv__exec_fd(int fd, char *const argv[], char *const envp[]);
/* Close every fd >= lowfd (close_range, or /proc/self/fd walk). */
void mv__close_from(int lowfd);
/* Make every fd >= lowfd close at exec (one close_range call); where the
 * kernel cannot, close them now, all but keep. Async-signal-safe. */
void mv__cloexec_from(int lowfd, int keep);
/* The supervisor's control socket, in every mode. */
#define MV__CTL_FD 4
void mv__reset_signals(void);

/* env.c ------------------------------------------------------------------ */
/* The environment of a worker exec'd for cfg (malloc'd vector). */
char **mv__worker_env(const mv_config_t *cfg, const char *worker, const char *task_id,
                      int warm);

/* clone_vm.c ------------------------------------------------------------- */
/* clone3(CLONE_VM | CLONE_VFORK) running fn(arg) on a stack of its own,
 * born in cgroup_fd when >= 0; returns the child's pid once it has exec'd
 * or exited, or -1 (ENOSYS where unsupported). */
pid_t mv__clone_vm(int (*fn)(void *), void *arg, int cgroup_fd);
/* fork() of the calling thread through a middle process that shares the
 * caller's memory (so the caller's memory is copied once, for the task)
 * and is a child subreaper:
 * returns 0 in the task, which is the middle's child and a fork of the
 * caller as it was in this call; in the caller, the middle's pid once
 * middle(arg, task pid) has exec'd (or -1 when fork failed) and returned
 * (the middle then exits with its value). -1 with ENOSYS where
 * unsupported: use fork(). The task is born in cgroup_fd when >= 0. */
pid_t mv__fork_vm(int (*middle)(void *, pid_t), void *arg, int cgroup_fd);

/* contain.c -------------------------------------------------------------- */
/* A task's tree is the union of two nets: its cgroup leaf (tier "cgroup")
 * and its lineage, the descendants of `anchor`. The anchor is the
 * supervisor itself, which is a subreaper above the task root (orphans
 * come back to it), or — for the host cleaning up after a supervisor that
 * was killed — the task root, which is then a member of the tree too. */
typedef struct {
  int cgroup_fd;              /* open dir fd of our leaf, -1 in the subreaper tier */
  char *cgroup_path;          /* path of the leaf */
  size_t mount_len;           /* cgroup_path[mount_len..] is the leaf below the mount */
  pid_t self;                 /* the supervisor (never signalled) */
  pid_t anchor;               /* root of the lineage */
  unsigned long long anchor_start; /* its start time, when it is not self */
  pid_t exclude;              /* a helper of the supervisor, never signalled */
  int breached;               /* most lineage processes seen outside the leaf */
  int self_in_leaf;           /* the supervisor itself is a member (it was born
                                 there with the task): no cgroup.kill */
} mv__contain_t;

/* Find a delegated writable cgroup v2 directory for leaves; returns a
 * malloc'd path or NULL. */
char *mv__cgroup_parent(void);
/* Where the cgroup2 mount point ends in that path (0 if there is none). */
size_t mv__cgroup_mount_len(void);
/* Create a leaf for this supervisor (tier "cgroup") or fall back. */
int mv__contain_init(mv__contain_t *c, mv_containment_t want);
/* Take over an existing leaf (created by the host for a fork task);
 * NULL or "" = subreaper tier. mount_len: as mv__cgroup_mount_len() told
 * the host (0: unknown); self_in_leaf: whether the caller was born in the
 * leaf (-1: unknown, look). */
int mv__contain_adopt(mv__contain_t *c, const char *cgroup_path, size_t mount_len,
                      int self_in_leaf);
/* The lineage starts at the task root (host-side cleanup); root 0: no
 * lineage, the leaf alone. */
void mv__contain_set_root(mv__contain_t *c, pid_t root, unsigned long long start);
const char *mv__contain_tier(const mv__contain_t *c);
/* Send sig to every living process of the tree (the anchor last).
 * Returns how many were signalled, -1 on failure. */
int mv__contain_signal_all(mv__contain_t *c, int sig);
/* Living processes of the tree (-1 on failure). */
int mv__contain_count(mv__contain_t *c);
/* One round of the final kill: cgroup.kill, SIGKILL to every process
 * found, the anchor stopped until it is the last one. Returns how many
 * were signalled (0: nothing left to kill). */
int mv__contain_kill_round(mv__contain_t *c);
/* Kill rounds until the tree is empty or timeout seconds passed (0, or
 * -1 if processes remain). For a caller that is not an event loop. */
int mv__contain_kill_sync(mv__contain_t *c, double timeout);
/* A supervisor inside its leaf moves itself to the leaf's parent, so
 * the leaf can be removed without a host to do it (0 or -1). */
int mv__contain_leave(mv__contain_t *c);
/* Close the leaf's fd and remove the (empty) leaf. */
void mv__contain_dispose(mv__contain_t *c);
/* Create {parent}/multiverse-{suffix}; NULL if it cannot be used. */
char *mv__cgroup_make_leaf(const char *parent, const char *suffix);

/* image.c ---------------------------------------------------------------- */
/* An fd to exec the embedded supervisor from (cached per process). */
int mv__supervisor_exec_fd(void);
/* Path to exec instead when an override or file fallback is in use. */
const char *mv__supervisor_path(void);

/* supervisor.c: main() of the supervisor executable (a task's
 * supervisor, or with mode=forkserver the host's fork server). */
int mv__supervisor_main(int argc, char **argv);
/* Supervise one task: argv as the supervisor's, the worker's environment,
 * and the host's pidfd when inherited (-1: open it). */
int mv__supervise(int argc, char **argv, char *const *envp, int hostfd);

/* forkserver.c: the fork server's main loop. */
int mv__forkserver_main(int argc, char **argv);
/* forkserver_client.c: have the host's fork server (started on first use,
 * replaced if it died, forgotten after fork) start a supervisor with
 * argv/envp and fds (stdin, stdout, stderr, result, control). */
int mv__forkserver_spawn(char *const *argv, char *const *envp, const int fds[5]);
/* In a forked child of the host: drop the parent's fork server. */
void mv__forkserver_forget(void);

/* capture.c -------------------------------------------------------------- */
typedef struct {
  char *data;
  size_t len, cap;
  size_t limit;
  size_t total;
  int keep_tail;             /* ring mode: keep the last `limit` bytes */
  size_t head;               /* ring start when keep_tail and full */
} mv__capture_t;

void mv__capture_init(mv__capture_t *c, size_t limit, int keep_tail);
int mv__capture_append(mv__capture_t *c, const char *buf, size_t len);
/* Move the captured bytes (linearised, NUL-terminated) into a mv_buf_t. */
int mv__capture_finish(mv__capture_t *c, mv_buf_t *out);
void mv__capture_dispose(mv__capture_t *c);

/* registry.c ------------------------------------------------------------- */
/* Make sure the runtime dir exists, is ours and is 0700. */
int mv__registry_prepare(const char *dir);
int mv__registry_write(const char *dir, const mv_entry_t *e,
                       unsigned long long supervisor_start,
                       unsigned long long root_start, char *path_out,
                       size_t path_size);
void mv__registry_remove(const char *path);
/* Path of the entry of the supervisor `supervisor_pid` in dir. */
void mv__registry_entry_path(const char *dir, pid_t supervisor_pid, char *buf, size_t size);

/* json.c ----------------------------------------------------------------- */
/* 1 if buf is exactly one JSON value (surrounding whitespace allowed). */
int mv__json_valid(const char *buf, size_t len);
/* If buf is a structured error from the worker SDK's fail(), fill e. */
int mv__json_structured_error(const char *buf, size_t len, mv_remote_error_t *e);

#endif /* MV_INTERNAL_H */
