/* The registry: list and clear from any process of the user, exactly. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "multiverse.h"
#include "task.h"

/* A separate host process running one worker until killed. */
static pid_t start_host(const char *worker, const char *pidfile) {
  pid_t host = fork();
  if (host == 0) {
    th_die_with_parent();
    mv_config_t cfg;
    th_config(&cfg);
    char payload[512];
    snprintf(payload, sizeof(payload), "{\"pidfile\": \"%s\"}", pidfile);
    mv_report_t r;
    int st = th_run(&cfg, worker, payload, 0, &r);
    _exit(st == MV_ECANCELED ? 0 : 1);
  }
  return host;
}

static const char *rt_dir(void) {
  static char rt[128];
  snprintf(rt, sizeof(rt), "%s/run", th_tmpdir());
  return rt;
}

TEST_IMPL(registry_list_and_clear_exact_name) {
  char pf1[256], pf2[256];
  snprintf(pf1, sizeof(pf1), "%s/img", th_tmpdir());
  snprintf(pf2, sizeof(pf2), "%s/img_resize", th_tmpdir());
  pid_t h1 = start_host("img", pf1), h2 = start_host("img_resize", pf2);
  pid_t p1[8], p2[8];
  ASSERT_EQ(th_wait_pids(pf1, p1, 2, 10), 2);
  ASSERT_EQ(th_wait_pids(pf2, p2, 2, 10), 2);

  mv_entry_t *e;
  size_t n;
  ASSERT_OK(mv_registry_list(rt_dir(), NULL, &e, &n));
  ASSERT_EQ(n, 2);
  free(e);
  ASSERT_OK(mv_registry_list(rt_dir(), "img", &e, &n));
  ASSERT_EQ(n, 1);
  ASSERT_STR_EQ(e[0].worker, "img");
  ASSERT_EQ(e[0].host_pid, h1);
  ASSERT(e[0].pid == p1[0] || e[0].pid == p1[1]);
  ASSERT_STR_EQ(e[0].kind, "exec");
  ASSERT(e[0].started_at > 1.6e9);
  free(e);

  /* "img" never touches "img_resize" */
  int killed = -1;
  ASSERT_OK(mv_registry_clear(rt_dir(), "img", 10, &killed));
  ASSERT_EQ(killed, 1);
  ASSERT_EQ(th_count_alive(p1, 2), 0);  /* setsid grandchild included */
  ASSERT_EQ(th_count_alive(p2, 2), 2);
  int st;
  ASSERT_EQ(waitpid(h1, &st, 0), h1);
  ASSERT_EQ(WEXITSTATUS(st), 0); /* the host saw MV_ECANCELED */

  ASSERT_OK(mv_registry_list(rt_dir(), NULL, &e, &n));
  ASSERT_EQ(n, 1);
  free(e);
  ASSERT_OK(mv_registry_clear(rt_dir(), NULL, 10, &killed));
  ASSERT_EQ(killed, 1);
  ASSERT_EQ(th_count_alive(p2, 2), 0);
  waitpid(h2, NULL, 0);
  ASSERT_OK(mv_registry_list(rt_dir(), NULL, &e, &n));
  ASSERT_EQ(n, 0);
  ASSERT_EQ(mv_registry_clear(rt_dir(), "../x", 1, &killed), MV_EINVAL);
  return 0;
}

static unsigned long long start_of(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')') + 2;
  unsigned long long v = 0;
  for (int field = 3; field <= 22; field++) {
    if (field == 22) v = strtoull(p, NULL, 10);
    p = strchr(p, ' ') + 1;
  }
  return v;
}

static void write_entry(const char *name, pid_t sup, unsigned long long sup_start, pid_t root,
                        unsigned long long root_start, const char *worker) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", rt_dir(), name);
  FILE *f = fopen(path, "w");
  fprintf(f,
          "v=1\nsupervisor_pid=%d\nsupervisor_start=%llu\npid=%d\nstart=%llu\nhost_pid=1\n"
          "worker=%s\ntask_id=x\nkind=exec\nstate=running\nstarted_at=1.0\n",
          (int)sup, sup_start, (int)root, root_start, worker);
  fclose(f);
}

TEST_IMPL(registry_pid_reuse_never_killed) {
  mkdir(rt_dir(), 0700);
  /* An unrelated process whose pid an entry claims, with another start
   * time: the entry is stale and nobody gets signalled. */
  pid_t bystander = fork();
  if (bystander == 0) {
    pause();
    _exit(0);
  }
  unsigned long long st = start_of(bystander);
  write_entry("900001.entry", bystander, st + 12345, bystander, st + 12345, "victim");
  int killed = -1;
  ASSERT_OK(mv_registry_clear(rt_dir(), NULL, 2, &killed));
  ASSERT_EQ(killed, 0);
  ASSERT(th_alive(bystander));
  char path[512];
  snprintf(path, sizeof(path), "%s/900001.entry", rt_dir());
  ASSERT(access(path, F_OK) != 0); /* stale entry removed */
  kill(bystander, SIGKILL);
  waitpid(bystander, NULL, 0);
  return 0;
}

TEST_IMPL(registry_skips_corrupt_and_foreign_entries) {
  mkdir(rt_dir(), 0700);
  char path[512];
  snprintf(path, sizeof(path), "%s/1.entry", rt_dir());
  FILE *f = fopen(path, "w");
  fputs("v=1\nsupervisor_pid=abc\n\x01\x02 garbage", f);
  fclose(f);
  snprintf(path, sizeof(path), "%s/2.entry", rt_dir());
  f = fopen(path, "w");
  fclose(f); /* empty */
  /* A well-formed entry owned by another user, naming our own process:
   * skipped, never signalled. */
  write_entry("3.entry", getpid(), start_of(getpid()), getpid(), start_of(getpid()), "foreign");
  snprintf(path, sizeof(path), "%s/3.entry", rt_dir());
  if (geteuid() == 0) ASSERT_OK(chown(path, 65534, 65534));
  mv_entry_t *e;
  size_t n;
  ASSERT_OK(mv_registry_list(rt_dir(), NULL, &e, &n));
  ASSERT_EQ(n, geteuid() == 0 ? 0 : 1);
  free(e);
  int killed = -1;
  if (geteuid() == 0) {
    ASSERT_OK(mv_registry_clear(rt_dir(), NULL, 2, &killed));
    ASSERT_EQ(killed, 0);
  }
  /* a real worker still works next to the junk */
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  ASSERT_OK(th_run(&cfg, "echo", "{}", 0, &r));
  mv_report_dispose(&r);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(registry_runtime_dir_must_be_private) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  char bad[256];
  /* a file, not a directory */
  snprintf(bad, sizeof(bad), "%s/a-file", th_tmpdir());
  close(open(bad, O_CREAT | O_WRONLY, 0600));
  mv_config_set_string(&cfg.runtime_dir, bad);
  ASSERT_EQ(th_run(&cfg, "echo", "{}", 0, &r), MV_EREGISTRY);
  ASSERT_CONTAINS(mv_last_error(), "not a directory");
  /* relative */
  mv_config_set_string(&cfg.runtime_dir, "relative/dir");
  ASSERT_EQ(th_run(&cfg, "echo", "{}", 0, &r), MV_EINVAL);
  ASSERT_CONTAINS(mv_last_error(), "absolute");
  /* someone else's directory */
  if (geteuid() == 0) {
    snprintf(bad, sizeof(bad), "%s/theirs", th_tmpdir());
    mkdir(bad, 0700);
    ASSERT_OK(chown(bad, 65534, 65534));
    mv_config_set_string(&cfg.runtime_dir, bad);
    ASSERT_EQ(th_run(&cfg, "echo", "{}", 0, &r), MV_EREGISTRY);
    ASSERT_CONTAINS(mv_last_error(), "belongs to uid 65534");
  }
  /* too open: made private again */
  snprintf(bad, sizeof(bad), "%s/open", th_tmpdir());
  mkdir(bad, 0777);
  chmod(bad, 0777);
  mv_config_set_string(&cfg.runtime_dir, bad);
  ASSERT_OK(th_run(&cfg, "echo", "{}", 0, &r));
  mv_report_dispose(&r);
  struct stat st;
  stat(bad, &st);
  ASSERT_EQ(st.st_mode & 0777, 0700);
  ASSERT(!th_has_children());
  mv_config_dispose(&cfg);
  return 0;
}
