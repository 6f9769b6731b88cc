/* Shared test helpers: configs, fixture paths, process and fd checks. */
#ifndef MV_TEST_HELPERS_H
#define MV_TEST_HELPERS_H

#include <sys/types.h>

#include "multiverse.h"

/* A config pointing at the fixture workers, Debian's python3, a private
 * runtime_dir and a short kill_grace. Honours MULTIVERSE_CONTAINMENT. */
void th_config(mv_config_t *cfg);
/* A fresh temp dir (mkdtemp) path, valid until exit. */
const char *th_tmpdir(void);
/* Read pids (one per line) from a file; returns count. */
int th_read_pids(const char *path, pid_t *pids, int max);
/* Poll until the file lists at least n pids (or timeout); returns count. */
int th_wait_pids(const char *path, pid_t *pids, int n, double timeout);
/* Is pid alive (and not a zombie)? */
int th_alive(pid_t pid);
/* Number of alive pids among pids. */
int th_count_alive(const pid_t *pids, int n);
/* Open fds of this process. */
int th_fd_count(void);
/* 1 if this process has any child (zombie or not) left. */
int th_has_children(void);
/* Run one worker to completion in a fresh loop; returns status and fills
 * the report (caller disposes). */
int th_run(const mv_config_t *cfg, const char *worker, const char *payload, double timeout,
           mv_report_t *out);
double th_now(void);
/* When a task that printed `date +%s%N` first started (seconds since the
 * epoch), or -1 if it failed. */
double th_started_at(const mv_task_t *t);
/* In a forked helper process: die if the test process dies (a failed
 * assertion must not leave a host running). */
void th_die_with_parent(void);
/* Run a shell command, return its exit status (-1 on signal). */
int th_system(const char *cmd);

/* This process's cgroup v2 directory (mount + its "0::" path), or "". */
void th_cgroup_dir(char *out, size_t size);
/* Move the calling process to the parent of its cgroup (what a hostile
 * task running as root can do to leave its leaf). 0 or -1. */
int th_leave_cgroup(void);

#endif
