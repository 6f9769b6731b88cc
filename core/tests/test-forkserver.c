/*
 * The fork server: one per host process, started by its first worker,
 * the parent of every worker's supervisor (so a worker costs one process
 * beyond itself), replaced when it dies, never shared with a forked child.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "multiverse.h"
#include "task.h"

/* The parent of pid (0 if gone); comm gets pid's own name. */
static pid_t proc_parent(pid_t pid, char *comm, size_t size) {
  char path[64], buf[512];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return 0;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *open = strchr(buf, '('), *close_ = strrchr(buf, ')');
  int ppid = 0;
  if (open == NULL || close_ == NULL || sscanf(close_ + 2, "%*c %d", &ppid) != 1) return 0;
  if (comm) snprintf(comm, size, "%.*s", (int)(close_ - open - 1), open + 1);
  return (pid_t)ppid;
}

/* Our children named mv-forkserver (alive); *pid gets one of them. */
static int servers(pid_t *pid) {
  DIR *d = opendir("/proc");
  ASSERT(d != NULL);
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    pid_t p = (pid_t)atoi(de->d_name);
    char comm[64];
    if (p <= 0 || proc_parent(p, comm, sizeof(comm)) != getpid()) continue;
    if (strcmp(comm, "mv-forkserver") == 0 && th_alive(p)) {
      n++;
      if (pid) *pid = p;
    }
  }
  closedir(d);
  return n;
}

static mv_task_t *start(mv_loop_t *loop, const mv_config_t *cfg, const char *payload) {
  mv_task_t *t;
  ASSERT_OK(mv_task_spawn_worker(loop, cfg, "tree", payload, strlen(payload), NULL, &t));
  return t;
}

TEST_IMPL(forkserver_one_per_host_one_process_per_task) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_task_t *t[4];
  char pidfile[4][256];
  for (int i = 0; i < 4; i++) {
    char payload[1200];
    snprintf(pidfile[i], sizeof(pidfile[i]), "%s/fs-%d", th_tmpdir(), i);
    snprintf(payload, sizeof(payload), "{\"pidfile\": \"%s\", \"sleep\": 1}", pidfile[i]);
    t[i] = start(loop, &cfg, payload);
  }
  pid_t server = 0;
  for (int i = 0; i < 4; i++) {
    pid_t pids[64];
    ASSERT_EQ(th_wait_pids(pidfile[i], pids, 4, 10), 4);
    /* the worker's parent is its supervisor, whose parent is the server */
    char comm[64];
    pid_t sup = proc_parent(pids[0], NULL, 0);
    ASSERT(sup > 0);
    pid_t srv = proc_parent(sup, comm, sizeof(comm));
    ASSERT_STR_EQ(comm, "mv-supervisor");
    ASSERT_EQ(proc_parent(srv, comm, sizeof(comm)), getpid());
    ASSERT_STR_EQ(comm, "mv-forkserver");
    if (server == 0) server = srv;
    ASSERT_EQ(srv, server);
  }
  ASSERT_EQ(servers(NULL), 1);
  for (int i = 0; i < 4; i++) {
    while (!mv_task_done(t[i])) mv_loop_wait(loop, t[i], -1);
    ASSERT_OK(mv_task_report(t[i])->status);
    mv_task_free(t[i]);
  }
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  /* still there for the next worker */
  ASSERT_EQ(servers(NULL), 1);
  return 0;
}

TEST_IMPL(forkserver_killed_is_replaced_and_its_tasks_finish) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  ASSERT_OK(th_run(&cfg, "echo", "{}", 10, &r));
  mv_report_dispose(&r);
  pid_t server = 0;
  ASSERT_EQ(servers(&server), 1);
  /* A task running when its server dies goes on: its supervisor follows
   * the host, not the server. */
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  char pidfile[256], payload[1200];
  snprintf(pidfile, sizeof(pidfile), "%s/fs-killed", th_tmpdir());
  snprintf(payload, sizeof(payload), "{\"pidfile\": \"%s\", \"sleep\": 0.5}", pidfile);
  mv_task_t *t = start(loop, &cfg, payload);
  pid_t pids[64];
  ASSERT_EQ(th_wait_pids(pidfile, pids, 4, 10), 4);
  ASSERT_OK(kill(server, SIGKILL));
  while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
  ASSERT_OK(mv_task_report(t)->status);
  ASSERT_EQ(th_count_alive(pids, 4), 0);
  mv_task_free(t);
  mv_loop_free(loop);
  /* The next worker gets a new server. */
  ASSERT_OK(th_run(&cfg, "echo", "{\"again\": 1}", 10, &r));
  ASSERT_STR_EQ(r.result.data, "{\"echo\": {\"again\": 1}}");
  mv_report_dispose(&r);
  pid_t again = 0;
  ASSERT_EQ(servers(&again), 1);
  ASSERT(again != server);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(forkserver_not_shared_with_a_forked_child) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  ASSERT_OK(th_run(&cfg, "echo", "{}", 10, &r));
  mv_report_dispose(&r);
  pid_t child = fork();
  if (child == 0) {
    /* A plain fork of the host (a PHP or Python process forking on its
     * own): its workers go through a server of its own. */
    mv_report_t cr;
    int st = th_run(&cfg, "echo", "{\"child\": 1}", 10, &cr);
    _exit(st == MV_OK && servers(NULL) == 1 ? 0 : 1);
  }
  int st;
  ASSERT_EQ(waitpid(child, &st, 0), child);
  ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  ASSERT_EQ(servers(NULL), 1);
  mv_config_dispose(&cfg);
  return 0;
}
