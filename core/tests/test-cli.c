/* The CLI, as the system tests and users drive it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "multiverse.h"
#include "task.h"

/* "SUB rest..." -> the CLI with SUB, the test options, then the rest. */
static void cli_cmd(char *buf, size_t size, const char *args) {
  size_t sub = strcspn(args, " ");
  snprintf(buf, size,
           "env MULTIVERSE_WORKERS_PATH=%s/workers %s %.*s --runtime-dir %s/run%s %s",
           MV_TEST_FIXTURES, MV_TEST_CLI, (int)sub, args, th_tmpdir(),
           strncmp(args, "run", 3) == 0 ? " --python /usr/bin/python3 --kill-grace 0.5" : "",
           args + sub);
}

TEST_IMPL(cli_run_prints_result_and_codes) {
  char cmd[2048];
  cli_cmd(cmd, sizeof(cmd), "run echo '{\"x\": 1}' > /dev/null");
  ASSERT_EQ(th_system(cmd), 0);
  cli_cmd(cmd, sizeof(cmd), "run nope 2>/dev/null");
  ASSERT_EQ(th_system(cmd), 127);
  cli_cmd(cmd, sizeof(cmd), "run ../etc 2>/dev/null");
  ASSERT_EQ(th_system(cmd), 2);
  cli_cmd(cmd, sizeof(cmd), "run fail '{\"code\": 3}' 2>/dev/null");
  ASSERT_EQ(th_system(cmd), 1);
  char out[256];
  snprintf(out, sizeof(out), "%s/cli-crash.err", th_tmpdir());
  char full[3000];
  cli_cmd(cmd, sizeof(cmd), "run crash");
  snprintf(full, sizeof(full), "%s 2> %s", cmd, out);
  ASSERT_EQ(th_system(full), 1);
  snprintf(full, sizeof(full), "grep -q 'MV_ESIGNAL.*SIGSEGV' %s", out);
  ASSERT_EQ(th_system(full), 0);
  return 0;
}

TEST_IMPL(cli_timeout_returns_124_and_kills_tree) {
  char pidfile[256], args[512], cmd[2048];
  snprintf(pidfile, sizeof(pidfile), "%s/cli-tree", th_tmpdir());
  snprintf(args, sizeof(args), "run --timeout 1 tree '{\"pidfile\": \"%s\"}' 2>/dev/null", pidfile);
  cli_cmd(cmd, sizeof(cmd), args);
  double t0 = th_now();
  ASSERT_EQ(th_system(cmd), 124);
  double took = th_now() - t0;
  ASSERT(took < 1.0 + 0.5 + 1.0);
  pid_t pids[8];
  ASSERT_EQ(th_read_pids(pidfile, pids, 8), 4);
  ASSERT_EQ(th_count_alive(pids, 4), 0);
  return 0;
}

TEST_IMPL(cli_sigkill_leaves_nothing) {
  char pidfile[256], args[512], cmd[2048];
  snprintf(pidfile, sizeof(pidfile), "%s/cli-kill", th_tmpdir());
  snprintf(args, sizeof(args), "run tree '{\"pidfile\": \"%s\"}' >/dev/null 2>&1", pidfile);
  cli_cmd(cmd, sizeof(cmd), args);
  pid_t sh = fork();
  if (sh == 0) {
    th_die_with_parent();
    char full[2100];
    snprintf(full, sizeof(full), "exec %s", cmd);
    execl("/bin/sh", "sh", "-c", full, (char *)NULL);
    _exit(127);
  }
  pid_t pids[8];
  ASSERT_EQ(th_wait_pids(pidfile, pids, 4, 10), 4);
  kill(sh, SIGKILL); /* the shell exec'd the CLI: this is the CLI */
  waitpid(sh, NULL, 0);
  double t0 = th_now();
  while (th_count_alive(pids, 4) && th_now() - t0 < 3) usleep(10000);
  ASSERT_EQ(th_count_alive(pids, 4), 0);
  ASSERT(th_now() - t0 < 1.2);
  return 0;
}

TEST_IMPL(cli_clear_from_another_shell) {
  char pf1[256], pf2[256], args[512], cmd[2048];
  snprintf(pf1, sizeof(pf1), "%s/cli-img", th_tmpdir());
  snprintf(pf2, sizeof(pf2), "%s/cli-img-resize", th_tmpdir());
  pid_t hosts[2];
  for (int i = 0; i < 2; i++) {
    snprintf(args, sizeof(args), "run %s '{\"pidfile\": \"%s\"}' >/dev/null 2>&1",
             i ? "img_resize" : "img", i ? pf2 : pf1);
    cli_cmd(cmd, sizeof(cmd), args);
    hosts[i] = fork();
    if (hosts[i] == 0) {
      th_die_with_parent();
      execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
      _exit(127);
    }
  }
  pid_t p1[4], p2[4];
  ASSERT_EQ(th_wait_pids(pf1, p1, 2, 10), 2);
  ASSERT_EQ(th_wait_pids(pf2, p2, 2, 10), 2);
  char out[256], full[3000];
  snprintf(out, sizeof(out), "%s/cli-clear.out", th_tmpdir());
  cli_cmd(cmd, sizeof(cmd), "ps");
  snprintf(full, sizeof(full), "%s > %s && test $(wc -l < %s) = 2", cmd, out, out);
  ASSERT_EQ(th_system(full), 0);
  cli_cmd(cmd, sizeof(cmd), "clear img");
  snprintf(full, sizeof(full), "%s > %s && grep -qx 1 %s", cmd, out, out);
  ASSERT_EQ(th_system(full), 0);
  ASSERT_EQ(th_count_alive(p1, 2), 0);
  ASSERT_EQ(th_count_alive(p2, 2), 2);
  int st;
  waitpid(hosts[0], &st, 0);
  ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1); /* canceled run: failure exit */
  cli_cmd(cmd, sizeof(cmd), "clear");
  snprintf(full, sizeof(full), "%s > %s && grep -qx 1 %s", cmd, out, out);
  ASSERT_EQ(th_system(full), 0);
  ASSERT_EQ(th_count_alive(p2, 2), 0);
  waitpid(hosts[1], NULL, 0);
  return 0;
}
