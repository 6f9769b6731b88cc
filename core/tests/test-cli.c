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

/* What the last cli_capture() printed. */
static char cli_out[262144], cli_err[65536];

static void cli_slurp(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, size - 1, f) : 0;
  buf[n] = '\0';
  if (f) fclose(f);
}

/* Runs a shell command with stdout and stderr captured into cli_out and
 * cli_err; returns its exit status. */
static int cli_capture(const char *cmd) {
  char o[256], e[256], full[8192];
  snprintf(o, sizeof(o), "%s/cli-capture.out", th_tmpdir());
  snprintf(e, sizeof(e), "%s/cli-capture.err", th_tmpdir());
  snprintf(full, sizeof(full), "%s >%s 2>%s", cmd, o, e);
  int rc = th_system(full);
  cli_slurp(o, cli_out, sizeof(cli_out));
  cli_slurp(e, cli_err, sizeof(cli_err));
  return rc;
}

/* The CLI with exactly these arguments (no test options added). */
static int cli_bare(const char *args) {
  char cmd[2048];
  snprintf(cmd, sizeof(cmd), "%s %s", MV_TEST_CLI, args);
  return cli_capture(cmd);
}

/* As cli_cmd(), run through cli_capture(). */
static int cli_opts(const char *args) {
  char cmd[2048];
  cli_cmd(cmd, sizeof(cmd), args);
  return cli_capture(cmd);
}

static void cli_write(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "w");
  ASSERT(f != NULL);
  ASSERT_EQ(fwrite(text, 1, len, f), len);
  fclose(f);
}

/* A usage error: exit 2, nothing on stdout, a message naming `what` and a
 * pointer to --help on stderr. */
#define ASSERT_USAGE_ERROR(rc, what)    \
  do {                                  \
    ASSERT_EQ((rc), 2);                 \
    ASSERT_STR_EQ(cli_out, "");         \
    ASSERT_CONTAINS(cli_err, (what));   \
    ASSERT_CONTAINS(cli_err, "--help"); \
  } while (0)

TEST_IMPL(cli_help_and_usage_errors) {
  /* Help asked for goes to stdout and succeeds, for every command. */
  const char *asks[][2] = {{"--help", "usage: multiverse run"},
                           {"-h", "usage: multiverse run"},
                           {"help", "multiverse clear ["},
                           {"help ps", "usage: multiverse ps"},
                           {"help run", "--payload-file"},
                           {"run --help", "usage: multiverse run"},
                           {"run -h", "--no-inherit-env"},
                           {"ps --help", "usage: multiverse ps"},
                           {"clear --help", "usage: multiverse clear"}};
  for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
    if (cli_bare(asks[i][0]) != 0) FAIL_AT("'%s' failed: %s", asks[i][0], cli_err);
    ASSERT_CONTAINS(cli_out, asks[i][1]);
    ASSERT_STR_EQ(cli_err, "");
  }
  /* run's help warns about payloads in argv and says what to do instead. */
  ASSERT_EQ(cli_bare("run --help"), 0);
  ASSERT_CONTAINS(cli_out, "/proc/PID/cmdline");
  ASSERT_CONTAINS(cli_out, "--payload-file FILE");
  ASSERT_CONTAINS(cli_out, "--env NAME=VALUE");

  ASSERT_USAGE_ERROR(cli_opts("run --bogus echo"), "'--bogus'");
  ASSERT_USAGE_ERROR(cli_opts("run -x echo"), "'-x'");
  ASSERT_USAGE_ERROR(cli_opts("ps --bogus"), "'--bogus'");
  ASSERT_USAGE_ERROR(cli_opts("clear --timeout 1"), "'--timeout'");
  ASSERT_USAGE_ERROR(cli_opts("run --timeout"), "'--timeout' needs a value");
  ASSERT_USAGE_ERROR(cli_opts("run --no-inherit-env=1 echo"), "takes no value");
  ASSERT_USAGE_ERROR(cli_opts("run --timeout abc echo"), "abc");
  ASSERT_USAGE_ERROR(cli_opts("run --max-output -5 echo"), "-5");
  ASSERT_USAGE_ERROR(cli_opts("run"), "WORKER");
  ASSERT_USAGE_ERROR(cli_opts("run echo '{}' extra"), "extra");
  ASSERT_USAGE_ERROR(cli_opts("ps a b"), "'b'");
  ASSERT_USAGE_ERROR(cli_bare("--bogus"), "'--bogus'");
  ASSERT_USAGE_ERROR(cli_bare("frobnicate"), "frobnicate");
  ASSERT_USAGE_ERROR(cli_bare("help frobnicate"), "frobnicate");

  /* getopt_long forms: --opt=value, unique abbreviations, "--". */
  ASSERT_EQ(cli_opts("run --timeout=5 --max-output=100000 echo '{\"x\": 1}'"), 0);
  ASSERT_CONTAINS(cli_out, "{\"echo\": {\"x\": 1}}");
  ASSERT_EQ(cli_opts("run --time 5 -- echo"), 0);
  ASSERT_CONTAINS(cli_out, "{\"echo\": {}}");
  /* Options end at WORKER: what follows is the payload, even "-1". */
  ASSERT_EQ(cli_opts("run echo -1"), 0);
  ASSERT_CONTAINS(cli_out, "{\"echo\": -1}");
  ASSERT_EQ(cli_opts("clear --kill-grace=0.5 nothing_runs_under_this_name"), 0);
  ASSERT_STR_EQ(cli_out, "0\n");
  ASSERT_EQ(cli_bare("--version"), 0);
  ASSERT_CONTAINS(cli_out, "multiverse " MV_VERSION_STRING);
  return 0;
}

TEST_IMPL(cli_payload_from_stdin_and_file) {
  char file[256], args[1024];
  snprintf(file, sizeof(file), "%s/cli-payload.json", th_tmpdir());
  const char *payload = "{\"password\": \"hunter2\"}\n";
  cli_write(file, payload, strlen(payload));
  const char *ways[] = {"run echo - < %s", "run --payload-file %s echo",
                        "run --payload-file=- echo < %s", "run --payload-file - -- echo < %s"};
  for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
    snprintf(args, sizeof(args), ways[i], file);
    if (cli_opts(args) != 0) FAIL_AT("'%s' failed: %s", args, cli_err);
    ASSERT_CONTAINS(cli_out, "{\"echo\": {\"password\": \"hunter2\"}}");
  }
  /* stdin is read to its end, however it arrives. */
  ASSERT_EQ(cli_opts("run echo - < /dev/null"), 2);
  ASSERT_CONTAINS(cli_err, "empty");
  char big[200000];
  size_t n = 0;
  n += (size_t)snprintf(big, sizeof(big), "{\"s\": \"");
  memset(big + n, 'a', 150000);
  n += 150000;
  n += (size_t)snprintf(big + n, sizeof(big) - n, "\"}");
  cli_write(file, big, n);
  snprintf(args, sizeof(args), "run echo - < %s", file);
  ASSERT_EQ(cli_opts(args), 0);
  ASSERT(strlen(cli_out) > 150000);

  /* One payload only, and a file that cannot be read is bad input. */
  snprintf(args, sizeof(args), "run --payload-file %s echo '{}'", file);
  ASSERT_USAGE_ERROR(cli_opts(args), "--payload-file");
  ASSERT_EQ(cli_opts("run --payload-file /nonexistent/payload.json echo"), 2);
  ASSERT_CONTAINS(cli_err, "/nonexistent/payload.json");
  ASSERT_STR_EQ(cli_out, "");
  ASSERT_EQ(cli_opts("run --payload-file / echo"), 2);
  ASSERT_STR_EQ(cli_out, "");
  return 0;
}

TEST_IMPL(cli_invalid_json_rejected_before_start) {
  char mark[256], file[256], args[1024], cmd[2048];
  snprintf(mark, sizeof(mark), "%s/cli-started", th_tmpdir());
  snprintf(file, sizeof(file), "%s/cli-bad.json", th_tmpdir());
  /* The fixture marks that it started before it reads its payload. */
  char full[4096];
  cli_cmd(cmd, sizeof(cmd), "run started '{\"ok\": true}'");
  snprintf(full, sizeof(full), "MV_TEST_STARTED=%s %s", mark, cmd);
  ASSERT_EQ(cli_capture(full), 0);
  ASSERT_EQ(access(mark, F_OK), 0);
  ASSERT_EQ(unlink(mark), 0);

  struct {
    const char *how, *text, *problem;
  } bad[] = {
      {"arg", "{", "line 1, column 2"},
      {"arg", "{\"a\": 1} x", "after the JSON value"},
      {"arg", "[1,]", "line 1"},
      {"arg", "", "empty"},
      {"stdin", "{\"a\":\n  nope}", "line 2, column 3"},
      {"stdin", "{} {}", "after the JSON value"},
      {"file", "{\"a\": \"b\"}\n\n]", "line 3, column 1"},
      {"file", "{\"a\": \"b\0\"}", "NUL"},
      {"file", "   \n", "empty"},
      /* What cJSON alone lets through and the workers' parsers reject. */
      {"arg", "[1, 01]", "number in a form JSON does not allow at line 1, column 5"},
      {"stdin", "{\"a\": -.5}", "number"},
      {"file", "[\"a\tb\"]", "control character"},
      {"file", "[\"\xc3\xa9\", \"\xff\"]", "invalid UTF-8 at line 1, column 8"},
      {"file", "\xef\xbb\xbf{}", "byte order mark"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    size_t len = strlen(bad[i].text);
    if (strcmp(bad[i].problem, "NUL") == 0) len = 11;
    cli_write(file, bad[i].text, len);
    if (strcmp(bad[i].how, "arg") == 0)
      snprintf(args, sizeof(args), "run started \"$(cat %s)\"", file);
    else if (strcmp(bad[i].how, "stdin") == 0)
      snprintf(args, sizeof(args), "run started - < %s", file);
    else
      snprintf(args, sizeof(args), "run --payload-file %s started", file);
    cli_cmd(cmd, sizeof(cmd), args);
    snprintf(full, sizeof(full), "MV_TEST_STARTED=%s %s", mark, cmd);
    int rc = cli_capture(full);
    if (rc != 2) FAIL_AT("payload %zu (%s): exit %d, stderr: %s", i, bad[i].how, rc, cli_err);
    ASSERT_STR_EQ(cli_out, "");
    ASSERT_CONTAINS(cli_err, "invalid JSON payload");
    ASSERT_CONTAINS(cli_err, bad[i].problem);
    ASSERT(access(mark, F_OK) != 0); /* nothing was started */
  }
  return 0;
}

TEST_IMPL(cli_env_options) {
  char cmd[2048], full[4096];
  /* The host holds a secret; the worker reports its whole environment. */
#define SECRET_RUN(args)                                          \
  (cli_cmd(cmd, sizeof(cmd), args),                               \
   snprintf(full, sizeof(full), "MV_CLI_SECRET=hunter2 %s", cmd), \
   cli_capture(full))
  ASSERT_EQ(SECRET_RUN("run --no-inherit-env --env A=1 env_dump"), 0);
  ASSERT(strstr(cli_out, "MV_CLI_SECRET") == NULL);
  ASSERT(strstr(cli_out, "hunter2") == NULL);
  ASSERT_CONTAINS(cli_out, "\"A\": \"1\"");
  ASSERT_CONTAINS(cli_out, "\"PATH\": ");
  ASSERT_CONTAINS(cli_out, "\"MULTIVERSE_WORKER\": \"env_dump\"");

  ASSERT_EQ(SECRET_RUN("run --env A=1 env_dump"), 0);
  ASSERT_CONTAINS(cli_out, "\"MV_CLI_SECRET\": \"hunter2\"");
  ASSERT_CONTAINS(cli_out, "\"A\": \"1\"");

  /* The last value wins; a value may hold '=' or be empty. */
  ASSERT_EQ(SECRET_RUN("run --env A=1 --env A=x=y --env=B= env_dump"), 0);
  ASSERT_CONTAINS(cli_out, "\"A\": \"x=y\"");
  ASSERT_CONTAINS(cli_out, "\"B\": \"\"");

  /* NAME alone passes the host's value without it appearing in argv. */
  ASSERT_EQ(SECRET_RUN("run --no-inherit-env --env MV_CLI_SECRET env_dump"), 0);
  ASSERT_CONTAINS(cli_out, "\"MV_CLI_SECRET\": \"hunter2\"");
  ASSERT_EQ(SECRET_RUN("run --env MV_CLI_NOT_SET_ANYWHERE env_dump"), 2);
  ASSERT_CONTAINS(cli_err, "MV_CLI_NOT_SET_ANYWHERE");
  ASSERT_STR_EQ(cli_out, "");

  /* Bad names are refused with the core's message, before anything runs. */
  ASSERT_EQ(SECRET_RUN("run --env 1BAD=x env_dump"), 2);
  ASSERT_CONTAINS(cli_err, "invalid variable name '1BAD'");
  ASSERT_STR_EQ(cli_out, "");
  ASSERT_EQ(SECRET_RUN("run --env =x env_dump"), 2);
  ASSERT_CONTAINS(cli_err, "must not be empty");
  ASSERT_EQ(SECRET_RUN("run --env 'A B=1' env_dump"), 2);
  ASSERT_CONTAINS(cli_err, "invalid variable name");
#undef SECRET_RUN
  return 0;
}

/* A CLI `run` of worker img in the background (in a shell of its own),
 * under namespace ns, writing its tree's pids to pidfile. */
static pid_t cli_start_img(const char *ns, const char *pidfile) {
  char args[512], cmd[2048];
  snprintf(args, sizeof(args), "run --namespace %s img '{\"pidfile\": \"%s\"}' >/dev/null 2>&1",
           ns, pidfile);
  cli_cmd(cmd, sizeof(cmd), args);
  pid_t sh = fork();
  if (sh == 0) {
    th_die_with_parent();
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  return sh;
}

static int count_lines(const char *text) {
  int n = 0;
  for (; *text; text++) n += *text == '\n';
  return n;
}

TEST_IMPL(cli_namespace_run_ps_clear) {
  char pfa[256], pfb[256];
  snprintf(pfa, sizeof(pfa), "%s/cli-ns-a", th_tmpdir());
  snprintf(pfb, sizeof(pfb), "%s/cli-ns-b", th_tmpdir());
  pid_t ha = cli_start_img("app-a", pfa), hb = cli_start_img("app-b", pfb);
  pid_t pa[4], pb[4];
  ASSERT_EQ(th_wait_pids(pfa, pa, 2, 10), 2);
  ASSERT_EQ(th_wait_pids(pfb, pb, 2, 10), 2);

  /* ps sees its namespace ("default" unless told), --all every one. */
  ASSERT_EQ(cli_opts("ps"), 0);
  ASSERT_STR_EQ(cli_out, "");
  ASSERT_EQ(cli_opts("ps --namespace app-a"), 0);
  ASSERT_EQ(count_lines(cli_out), 1);
  ASSERT_CONTAINS(cli_out, "\timg\t");
  ASSERT_CONTAINS(cli_out, "\tnamespace=app-a\n");
  ASSERT_EQ(cli_opts("ps --all"), 0);
  ASSERT_EQ(count_lines(cli_out), 2);
  ASSERT_CONTAINS(cli_out, "\tnamespace=app-a\n");
  ASSERT_CONTAINS(cli_out, "\tnamespace=app-b\n");

  /* clear in "default" and in app-a leaves app-b's tree running. */
  ASSERT_EQ(cli_opts("clear"), 0);
  ASSERT_STR_EQ(cli_out, "0\n");
  ASSERT_EQ(th_count_alive(pa, 2) + th_count_alive(pb, 2), 4);
  ASSERT_EQ(cli_opts("clear --namespace=app-a img"), 0);
  ASSERT_STR_EQ(cli_out, "1\n");
  ASSERT_EQ(th_count_alive(pa, 2), 0);
  ASSERT_EQ(th_count_alive(pb, 2), 2);
  waitpid(ha, NULL, 0);
  ASSERT_EQ(cli_opts("ps --all"), 0);
  ASSERT_EQ(count_lines(cli_out), 1);
  ASSERT_CONTAINS(cli_out, "\tnamespace=app-b\n");

  /* A bad namespace, or both ways of choosing, are usage errors: nothing
   * starts, nothing is killed. */
  char never[256], args[512];
  snprintf(never, sizeof(never), "%s/cli-ns-never", th_tmpdir());
  snprintf(args, sizeof(args), "run --namespace 'a/b' img '{\"pidfile\": \"%s\"}'", never);
  ASSERT_USAGE_ERROR(cli_opts(args), "invalid namespace 'a/b'");
  ASSERT_USAGE_ERROR(cli_opts("ps --namespace ''"), "namespace");
  ASSERT_USAGE_ERROR(cli_opts("clear --all --namespace app-b"), "not both");
  usleep(200000);
  ASSERT(access(never, F_OK) != 0);
  ASSERT_EQ(th_count_alive(pb, 2), 2);

  ASSERT_EQ(cli_opts("clear --all"), 0);
  ASSERT_STR_EQ(cli_out, "1\n");
  ASSERT_EQ(th_count_alive(pb, 2), 0);
  waitpid(hb, NULL, 0);
  /* help names the options */
  ASSERT_EQ(cli_bare("ps --help"), 0);
  ASSERT_CONTAINS(cli_out, "--all");
  ASSERT_CONTAINS(cli_out, "--namespace NAME");
  ASSERT_EQ(cli_bare("clear --help"), 0);
  ASSERT_CONTAINS(cli_out, "--all");
  ASSERT_EQ(cli_bare("run --help"), 0);
  ASSERT_CONTAINS(cli_out, "--namespace NAME");
  return 0;
}
