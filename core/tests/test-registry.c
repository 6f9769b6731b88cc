/* The registry: list and clear from any process of the user, exactly. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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
  ASSERT_OK(mv_registry_list(rt_dir(), NULL, NULL, &e, &n));
  ASSERT_EQ(n, 2);
  free(e);
  ASSERT_OK(mv_registry_list(rt_dir(), NULL, "img", &e, &n));
  ASSERT_EQ(n, 1);
  ASSERT_STR_EQ(e[0].worker, "img");
  ASSERT_EQ(e[0].host_pid, h1);
  ASSERT(e[0].pid == p1[0] || e[0].pid == p1[1]);
  ASSERT_STR_EQ(e[0].kind, "exec");
  ASSERT(e[0].started_at > 1.6e9);
  free(e);

  /* "img" never touches "img_resize" */
  int killed = -1;
  ASSERT_OK(mv_registry_clear(rt_dir(), NULL, "img", 10, &killed));
  ASSERT_EQ(killed, 1);
  ASSERT_EQ(th_count_alive(p1, 2), 0);  /* setsid grandchild included */
  ASSERT_EQ(th_count_alive(p2, 2), 2);
  int st;
  ASSERT_EQ(waitpid(h1, &st, 0), h1);
  ASSERT_EQ(WEXITSTATUS(st), 0); /* the host saw MV_ECANCELED */

  ASSERT_OK(mv_registry_list(rt_dir(), NULL, NULL, &e, &n));
  ASSERT_EQ(n, 1);
  free(e);
  ASSERT_OK(mv_registry_clear(rt_dir(), NULL, NULL, 10, &killed));
  ASSERT_EQ(killed, 1);
  ASSERT_EQ(th_count_alive(p2, 2), 0);
  waitpid(h2, NULL, 0);
  ASSERT_OK(mv_registry_list(rt_dir(), NULL, NULL, &e, &n));
  ASSERT_EQ(n, 0);
  ASSERT_EQ(mv_registry_clear(rt_dir(), NULL, "../x", 1, &killed), MV_EINVAL);
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
  ASSERT_OK(mv_registry_clear(rt_dir(), NULL, NULL, 2, &killed));
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
  ASSERT_OK(mv_registry_list(rt_dir(), NULL, NULL, &e, &n));
  ASSERT_EQ(n, geteuid() == 0 ? 0 : 1);
  free(e);
  int killed = -1;
  if (geteuid() == 0) {
    ASSERT_OK(mv_registry_clear(rt_dir(), NULL, NULL, 2, &killed));
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

/* Is the registry call `what` (0: list, 1: clear) done within `limit`
 * seconds with no entry and no error? Run in a child with an alarm: a
 * call that blocks must fail the test, not hang it. */
static int returns_promptly_and_empty(int what, unsigned limit) {
  pid_t child = fork();
  if (child == 0) {
    alarm(limit);
    mv_entry_t *e = NULL;
    size_t n = 99;
    int killed = -1;
    int r = what == 0 ? mv_registry_list(rt_dir(), NULL, NULL, &e, &n)
                      : mv_registry_clear(rt_dir(), NULL, NULL, 1.0, &killed);
    free(e);
    _exit(r == 0 && (what == 0 ? n == 0 : killed == 0) ? 0 : 1);
  }
  int st;
  if (waitpid(child, &st, 0) != child) return 0;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

TEST_IMPL(registry_skips_fifos_and_special_files) {
  mkdir(rt_dir(), 0700);
  char path[512], target[512];
  /* a FIFO: opening it for reading would wait for a writer forever */
  snprintf(target, sizeof(target), "%s/10.entry", rt_dir());
  ASSERT_OK(mkfifo(target, 0600));
  /* a symlink to that FIFO */
  snprintf(path, sizeof(path), "%s/11.entry", rt_dir());
  ASSERT_OK(symlink(target, path));
  /* a directory */
  snprintf(path, sizeof(path), "%s/12.entry", rt_dir());
  ASSERT_OK(mkdir(path, 0700));
  /* a symlink to a well-formed entry elsewhere naming our own process */
  char real[512];
  snprintf(real, sizeof(real), "%s/elsewhere", th_tmpdir());
  FILE *f = fopen(real, "w");
  fprintf(f,
          "v=1\nsupervisor_pid=%d\nsupervisor_start=%llu\npid=%d\nstart=%llu\nhost_pid=1\n"
          "worker=w\ntask_id=x\nkind=exec\nstate=running\nstarted_at=1.0\n",
          (int)getpid(), start_of(getpid()), (int)getpid(), start_of(getpid()));
  fclose(f);
  snprintf(path, sizeof(path), "%s/13.entry", rt_dir());
  ASSERT_OK(symlink(real, path));
  /* a character device (root only; the mount may forbid opening it) */
  if (geteuid() == 0) {
    snprintf(path, sizeof(path), "%s/14.entry", rt_dir());
    ASSERT_OK(mknod(path, S_IFCHR | 0600, makedev(1, 3)));
  }
  double t0 = th_now();
  ASSERT(returns_promptly_and_empty(0, 5));
  ASSERT(returns_promptly_and_empty(1, 5));
  ASSERT(th_now() - t0 < 5);
  /* a real worker still works next to them */
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  ASSERT_OK(th_run(&cfg, "echo", "{}", 0, &r));
  mv_report_dispose(&r);
  mv_config_dispose(&cfg);
  return 0;
}

/* Resolve the default runtime_dir in a child with XDG_RUNTIME_DIR unset,
 * HOME set to `home` and, when uid is not -1, running as that uid; check
 * it is `want` (every time it is asked) and that a worker runs with it.
 * Returns 0 when every check held. */
static int default_dir_child(uid_t uid, const char *home, const char *want) {
  pid_t child = fork();
  if (child == 0) {
    th_die_with_parent();
    unsetenv("XDG_RUNTIME_DIR");
    setenv("HOME", home, 1);
    if (uid != (uid_t)-1) {
      ASSERT_OK(setgroups(0, NULL));
      ASSERT_OK(setresgid(uid, uid, uid));
      ASSERT_OK(setresuid(uid, uid, uid));
    }
    mv_config_t cfg;
    th_config(&cfg);
    ASSERT_OK(mv_config_set_string(&cfg.runtime_dir, NULL));
    char dir[512], again[512];
    ASSERT_OK(mv_config_runtime_dir(&cfg, dir, sizeof(dir)));
    ASSERT_STR_EQ(dir, want);
    mv_report_t r;
    ASSERT_OK(th_run(&cfg, "echo", "{\"a\": 1}", 0, &r));
    mv_report_dispose(&r);
    struct stat st;
    ASSERT_OK(lstat(dir, &st));
    ASSERT(S_ISDIR(st.st_mode));
    ASSERT_EQ(st.st_uid, geteuid());
    ASSERT_EQ(st.st_mode & 0777, 0700);
    mv_entry_t *e;
    size_t n;
    ASSERT_OK(mv_registry_list(dir, NULL, NULL, &e, &n));
    ASSERT_EQ(n, 0);
    free(e);
    int killed = -1;
    ASSERT_OK(mv_registry_clear(dir, NULL, NULL, 1.0, &killed));
    ASSERT_EQ(killed, 0);
    /* every process of the user lands in the same place */
    ASSERT_OK(mv_config_runtime_dir(&cfg, again, sizeof(again)));
    ASSERT_STR_EQ(again, dir);
    mv_config_dispose(&cfg);
    _exit(0);
  }
  int st;
  if (waitpid(child, &st, 0) != child) return -1;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

TEST_IMPL(registry_default_dir_survives_squatting) {
  char home[64], cache[600], fallback[600], tmpdir[64], target[128];
  th_tmpdir(); /* made now, so that a child never makes its own */
  snprintf(home, sizeof(home), "/tmp/mv-home-XXXXXX");
  ASSERT(mkdtemp(home) != NULL);
  snprintf(fallback, sizeof(fallback), "%s/.cache/multiverse/run", home);
  snprintf(cache, sizeof(cache), "%s/.cache", home);
  snprintf(target, sizeof(target), "%s/target", home);
  ASSERT_OK(mkdir(target, 0700));
  if (geteuid() != 0) {
    /* Only our own uid is available: squat our own /tmp directory with a
     * symlink, and only if nothing is there already (a real one is never
     * touched). */
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/multiverse-%u", (unsigned)geteuid());
    struct stat st;
    int exists = lstat(tmpdir, &st) == 0;
    int made = !exists && symlink(target, tmpdir) == 0;
    if (made) {
      int r = default_dir_child((uid_t)-1, home, fallback);
      unlink(tmpdir);
      ASSERT_OK(r);
    } else if (exists && S_ISDIR(st.st_mode) && st.st_uid == geteuid()) {
      ASSERT_OK(default_dir_child((uid_t)-1, home, tmpdir));
    } else if (exists) {
      ASSERT_OK(default_dir_child((uid_t)-1, home, fallback));
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
    th_system(cmd);
    return 0;
  }
  /* As root: play an unused uid whose /tmp directory another uid can
   * squat. Pick one with nothing in /tmp yet, so nothing real is touched. */
  uid_t uid = 54321;
  struct stat st;
  for (;; uid++) {
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/multiverse-%u", (unsigned)uid);
    if (lstat(tmpdir, &st) < 0 && errno == ENOENT) break;
    ASSERT(uid < 54421);
  }
  ASSERT_OK(chown(home, uid, uid));
  ASSERT_OK(chown(target, uid, uid));
  /* nothing there: the /tmp directory is the choice */
  ASSERT_OK(default_dir_child(uid, home, tmpdir));
  ASSERT_OK(rmdir(tmpdir));
  /* ours with too open a mode: still ours, made private */
  ASSERT_OK(mkdir(tmpdir, 0700));
  ASSERT_OK(chmod(tmpdir, 0755));
  ASSERT_OK(chown(tmpdir, uid, uid));
  ASSERT_OK(default_dir_child(uid, home, tmpdir));
  ASSERT_OK(rmdir(tmpdir));
  /* another user's directory */
  ASSERT_OK(mkdir(tmpdir, 0700));
  ASSERT_OK(chown(tmpdir, uid + 1, uid + 1));
  ASSERT_OK(default_dir_child(uid, home, fallback));
  ASSERT_OK(stat(cache, &st));
  ASSERT_EQ(st.st_mode & 0777, 0700); /* the parents it created are private too */
  ASSERT_EQ(st.st_uid, uid);
  ASSERT_OK(rmdir(tmpdir));
  /* a symlink, even one owned by the user and pointing to its own
   * directory */
  ASSERT_OK(symlink(target, tmpdir));
  ASSERT_OK(lchown(tmpdir, uid, uid));
  ASSERT_OK(default_dir_child(uid, home, fallback));
  ASSERT_OK(unlink(tmpdir));
  /* a file */
  close(open(tmpdir, O_CREAT | O_WRONLY | O_EXCL, 0600));
  ASSERT_OK(default_dir_child(uid, home, fallback));
  ASSERT_OK(unlink(tmpdir));
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
  th_system(cmd);
  return 0;
}

/* Fork and exec `sleep 30`, in its own session, with `env` as its whole
 * environment; returns once the exec is done. */
static pid_t start_sleeper(char *const env[]) {
  pid_t pid = fork();
  if (pid == 0) {
    th_die_with_parent();
    setsid();
    execle("/bin/sleep", "sleep", "30", (char *)NULL, env);
    _exit(127);
  }
  char path[64], comm[64] = "";
  snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
  for (int i = 0; i < 500 && strcmp(comm, "sleep\n") != 0; i++) {
    FILE *f = fopen(path, "r");
    if (f == NULL || fgets(comm, sizeof(comm), f) == NULL) comm[0] = '\0';
    if (f) fclose(f);
    if (strcmp(comm, "sleep\n") != 0) usleep(10000);
  }
  return pid;
}

static void write_entry_task(const char *name, pid_t sup, unsigned long long sup_start,
                             pid_t root, unsigned long long root_start, const char *worker,
                             const char *task_id) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", rt_dir(), name);
  FILE *f = fopen(path, "w");
  fprintf(f,
          "v=1\nsupervisor_pid=%d\nsupervisor_start=%llu\npid=%d\nstart=%llu\nhost_pid=1\n"
          "worker=%s\ntask_id=%s\nkind=exec\nstate=running\nstarted_at=1.0\n",
          (int)sup, sup_start, (int)root, root_start, worker, task_id);
  fclose(f);
}

static int entry_exists(const char *name) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", rt_dir(), name);
  return access(path, F_OK) == 0;
}

TEST_IMPL(registry_clear_proves_identity) {
  mkdir(rt_dir(), 0700);
  char *no_env[] = {NULL};
  int killed = -1;

  /* A live process of ours with its real start time, named as supervisor
   * and as task root: it is neither, so nothing is signalled. */
  pid_t bystander = start_sleeper(no_env);
  unsigned long long bst = start_of(bystander);
  write_entry_task("900010.entry", bystander, bst, bystander, bst, "forged", "t-forged");
  ASSERT_OK(mv_registry_clear(rt_dir(), NULL, NULL, 1.0, &killed));
  ASSERT_EQ(killed, 0);
  usleep(50000);
  ASSERT(th_alive(bystander));
  ASSERT(!entry_exists("900010.entry"));

  /* The same process as the task root of an entry whose supervisor is
   * gone: not proven to be the task's root either. */
  write_entry_task("900011.entry", bystander, bst + 12345, bystander, bst, "forged", "t-forged");
  ASSERT_OK(mv_registry_clear(rt_dir(), NULL, NULL, 1.0, &killed));
  ASSERT_EQ(killed, 0);
  usleep(50000);
  ASSERT(th_alive(bystander));
  ASSERT(!entry_exists("900011.entry"));
  mv_entry_t *e;
  size_t n;
  write_entry_task("900012.entry", bystander, bst, bystander, bst, "forged", "t-forged");
  ASSERT_OK(mv_registry_list(rt_dir(), NULL, NULL, &e, &n));
  ASSERT_EQ(n, 0);
  free(e);
  kill(bystander, SIGKILL);
  waitpid(bystander, NULL, 0);

  /* A real supervisor named by an entry for another task. */
  char pf[256];
  snprintf(pf, sizeof(pf), "%s/img-pids", th_tmpdir());
  pid_t host = start_host("img", pf);
  pid_t p[8];
  ASSERT_EQ(th_wait_pids(pf, p, 2, 10), 2);
  ASSERT_OK(mv_registry_list(rt_dir(), NULL, "img", &e, &n));
  ASSERT_EQ(n, 1);
  mv_entry_t real = e[0];
  free(e);
  write_entry_task("900013.entry", real.supervisor_pid, start_of(real.supervisor_pid),
                   real.pid, start_of(real.pid), "forged", "not-this-task");
  ASSERT_OK(mv_registry_clear(rt_dir(), NULL, "forged", 1.0, &killed));
  ASSERT_EQ(killed, 0);
  usleep(50000);
  ASSERT_EQ(th_count_alive(p, 2), 2);
  ASSERT_OK(mv_registry_list(rt_dir(), NULL, NULL, &e, &n));
  ASSERT_EQ(n, 1);
  ASSERT_STR_EQ(e[0].task_id, real.task_id);
  free(e);
  /* ... and the real entry is still cleared for real */
  ASSERT_OK(mv_registry_clear(rt_dir(), NULL, "img", 10, &killed));
  ASSERT_EQ(killed, 1);
  ASSERT_EQ(th_count_alive(p, 2), 0);
  int st;
  ASSERT_EQ(waitpid(host, &st, 0), host);
  ASSERT_EQ(WEXITSTATUS(st), 0);

  /* A task root whose supervisor died, carrying the task's id in its
   * environment as every exec'd worker does: cleared. */
  char *task_env[] = {"MULTIVERSE_TASK_ID=t-orphan", NULL};
  pid_t orphan = start_sleeper(task_env);
  unsigned long long ost = start_of(orphan);
  write_entry_task("900014.entry", orphan, ost + 12345, orphan, ost, "orphaned", "t-orphan");
  ASSERT_OK(mv_registry_clear(rt_dir(), NULL, NULL, 1.0, &killed));
  ASSERT_EQ(killed, 1);
  ASSERT_EQ(waitpid(orphan, &st, 0), orphan);
  ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  ASSERT(!entry_exists("900014.entry"));

  /* init, with its real start time: never signalled (as root this would
   * be SIGTERM to pid 1). */
  unsigned long long ist = start_of(1);
  write_entry_task("900015.entry", 1, ist, 1, ist, "init", "t-init");
  ASSERT_OK(mv_registry_list(rt_dir(), NULL, NULL, &e, &n));
  ASSERT_EQ(n, 0);
  free(e);
  write_entry_task("900015.entry", 1, ist, 1, ist, "init", "t-init");
  ASSERT_OK(mv_registry_clear(rt_dir(), NULL, NULL, 1.0, &killed));
  ASSERT_EQ(killed, 0);
  ASSERT(!entry_exists("900015.entry"));
  ASSERT(!th_has_children());
  return 0;
}
