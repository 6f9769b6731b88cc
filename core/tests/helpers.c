#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


double th_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *th_tmpdir(void) {
  static char dir[64];
  if (dir[0] == '\0') {
    snprintf(dir, sizeof(dir), "/tmp/mv-test-XXXXXX");
    if (mkdtemp(dir) == NULL) abort();
  }
  return dir;
}

void th_config(mv_config_t *cfg) {
  mv_config_init(cfg);
  mv_config_set_string(&cfg->workers_path, MV_TEST_FIXTURES "/workers");
  mv_config_set_string(&cfg->python, "/usr/bin/python3");
  char rt[128];
  snprintf(rt, sizeof(rt), "%s/run", th_tmpdir());
  mv_config_set_string(&cfg->runtime_dir, rt);
  cfg->kill_grace = 0.5;
}

int th_read_pids(const char *path, pid_t *pids, int max) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return 0;
  int n = 0;
  long v;
  while (n < max && fscanf(f, "%ld", &v) == 1) pids[n++] = (pid_t)v;
  fclose(f);
  return n;
}

int th_wait_pids(const char *path, pid_t *pids, int n, double timeout) {
  double end = th_now() + timeout;
  int got = 0;
  while ((got = th_read_pids(path, pids, n)) < n && th_now() < end) usleep(10000);
  return got;
}

int th_alive(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return 0;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *rp = strrchr(buf, ')');
  return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

int th_count_alive(const pid_t *pids, int n) {
  int alive = 0;
  for (int i = 0; i < n; i++) alive += th_alive(pids[i]);
  return alive;
}

int th_fd_count(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (de->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the directory's own fd */
}

int th_has_children(void) {
  /* Every child but the process's fork server, which lives as long as
   * the process (started by its first worker). */
  DIR *d = opendir("/proc");
  if (d == NULL) abort();
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    char path[300], buf[512];
    snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
    FILE *f = fopen(path, "r");
    if (f == NULL) continue;
    size_t len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    char *open = strchr(buf, '('), *close_ = strrchr(buf, ')');
    int ppid = 0;
    if (open == NULL || close_ == NULL || sscanf(close_ + 2, "%*c %d", &ppid) != 1) continue;
    if (ppid != (int)getpid()) continue;
    if (close_ - open - 1 == 13 && strncmp(open + 1, "mv-forkserver", 13) == 0) continue;
    n++;
  }
  closedir(d);
  return n > 0;
}

int th_run(const mv_config_t *cfg, const char *worker, const char *payload, double timeout,
           mv_report_t *out) {
  memset(out, 0, sizeof(*out));
  mv_loop_t *loop;
  if (mv_loop_new(&loop) < 0) return MV_ESYS;
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = timeout;
  mv_task_t *t;
  int r = mv_task_spawn_worker(loop, cfg, worker, payload, strlen(payload), &o, &t);
  if (r < 0) {
    mv_loop_free(loop);
    return r;
  }
  while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
  mv_task_take_report(t, out);
  mv_task_free(t);
  mv_loop_free(loop);
  return out->status;
}

int th_system(const char *cmd) {
  int st = system(cmd);
  if (st == -1) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void th_die_with_parent(void) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
}

void th_cgroup_dir(char *out, size_t size) {
  out[0] = '\0';
  char rel[1024] = "", line[4096];
  FILE *f = fopen("/proc/self/cgroup", "r");
  if (f == NULL) return;
  while (fgets(line, sizeof(line), f))
    if (strncmp(line, "0::", 3) == 0) sscanf(line + 3, "%1023s", rel);
  fclose(f);
  f = fopen("/proc/self/mountinfo", "r");
  if (f == NULL) return;
  while (fgets(line, sizeof(line), f)) {
    char root[1024], mnt[1024];
    char *sep = strstr(line, " - cgroup2 ");
    if (sep && sscanf(line, "%*s %*s %*s %1023s %1023s", root, mnt) == 2 &&
        strcmp(root, "/") == 0) {
      snprintf(out, size, "%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
      break;
    }
  }
  fclose(f);
}

int th_leave_cgroup(void) {
  char dir[2048], procs[2100];
  th_cgroup_dir(dir, sizeof(dir));
  char *slash = strrchr(dir, '/');
  if (slash == NULL) return -1;
  *slash = '\0';
  snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
  FILE *f = fopen(procs, "w");
  if (f == NULL) return -1;
  int ok = fputs("0", f) >= 0;
  return fclose(f) == 0 && ok ? 0 : -1;
}

double th_started_at(const mv_task_t *t) {
  const mv_report_t *r = mv_task_report(t);
  return r && r->status == MV_OK ? strtod(r->result.data, NULL) / 1e9 : -1;
}
