/* Forked function tasks: results of any size, exits, crashes, trees. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "multiverse.h"
#include "task.h"

typedef void (*child_fn)(mv_child_t *ch, void *arg);

static mv_task_t *fork_task(mv_loop_t *loop, mv_config_t *cfg, double timeout,
                            unsigned fork_flags, child_fn fn, void *arg) {
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = timeout;
  o.flags = MV_TASK_NO_REGISTRY;
  o.fork_flags = fork_flags;
  mv_task_t *t = NULL;
  mv_child_t *ch = NULL;
  int r = mv_task_fork(loop, cfg, &o, &t, &ch);
  if (r == MV_FORK_CHILD) {
    fn(ch, arg);
    mv_child_exit(ch, 0);
  }
  if (r < 0) FAIL_AT("mv_task_fork: %s", mv_last_error());
  return t;
}

static const mv_report_t *finish(mv_loop_t *loop, mv_task_t *t) {
  while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
  return mv_task_report(t);
}

static void send_big(mv_child_t *ch, void *arg) {
  size_t n = *(size_t *)arg;
  char *b = malloc(n);
  for (size_t i = 0; i < n; i++) b[i] = (char)('a' + i % 26);
  mv_child_send(ch, b, n);
}

TEST_IMPL(fork_result_100mb) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  size_t n = 100u << 20;
  mv_task_t *t = fork_task(loop, &cfg, 60, 0, send_big, &n);
  const mv_report_t *r = finish(loop, t);
  ASSERT_OK(r->status);
  ASSERT_EQ(r->result.len, n);
  ASSERT_EQ(r->result_source, MV_RESULT_PIPE);
  for (size_t i = 0; i < n; i += 4099) ASSERT(r->result.data[i] == (char)('a' + i % 26));
  ASSERT_EQ(r->driver, MV_DRIVER_FORK);
  mv_task_free(t);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

static void exit5(mv_child_t *ch, void *arg) {
  (void)arg;
  mv_child_exit(ch, 5);
}
static void segv(mv_child_t *ch, void *arg) {
  (void)ch;
  (void)arg;
  signal(SIGSEGV, SIG_DFL); /* a sanitizer's handler would turn it into exit 1 */
  raise(SIGSEGV);
}

TEST_IMPL(fork_exit_code_and_crash) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_task_t *a = fork_task(loop, &cfg, 10, 0, exit5, NULL);
  mv_task_t *b = fork_task(loop, &cfg, 10, 0, segv, NULL);
  const mv_report_t *ra = finish(loop, a), *rb = finish(loop, b);
  ASSERT_EQ(ra->status, MV_EEXIT);
  ASSERT_EQ(ra->exit_code, 5);
  ASSERT_CONTAINS(ra->message, "exited with code 5");
  ASSERT_EQ(rb->status, MV_ESIGNAL);
  ASSERT_EQ(rb->signal, SIGSEGV);
  mv_task_free(a);
  mv_task_free(b);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

static void escape_tree(mv_child_t *ch, void *arg) {
  (void)ch;
  const char *pidfile = arg;
  for (int i = 0; i < 2; i++) {
    if (fork() == 0) {
      setsid();
      if (i == 1 && fork() != 0) _exit(0); /* double fork */
      signal(SIGTERM, SIG_IGN);
      FILE *f = fopen(pidfile, "a");
      fprintf(f, "%d\n", (int)getpid());
      fclose(f);
      for (;;) pause();
    }
  }
  for (;;) pause();
}

TEST_IMPL(fork_timeout_kills_tree) {
  const mv_containment_t tiers[2] = {MV_CONTAIN_SUBREAPER, MV_CONTAIN_AUTO};
  for (int i = 0; i < 2; i++) {
    mv_config_t cfg;
    th_config(&cfg);
    cfg.containment = tiers[i];
    mv_loop_t *loop;
    ASSERT_OK(mv_loop_new(&loop));
    char pidfile[256];
    snprintf(pidfile, sizeof(pidfile), "%s/fork-tree-%d", th_tmpdir(), i);
    mv_task_t *t = fork_task(loop, &cfg, 0.5, 0, escape_tree, pidfile);
    const mv_report_t *r = finish(loop, t);
    ASSERT_EQ(r->status, MV_ETIMEDOUT);
    pid_t pids[8];
    ASSERT_EQ(th_read_pids(pidfile, pids, 8), 2);
    ASSERT_EQ(th_count_alive(pids, 2), 0);
    mv_task_free(t);
    mv_loop_free(loop);
    mv_config_dispose(&cfg);
  }
  ASSERT(!th_has_children());
  return 0;
}

static const char *atexit_file;
static void host_atexit(void) {
  FILE *f = fopen(atexit_file, "a");
  fprintf(f, "%d\n", (int)getpid());
  fclose(f);
}
static void hello(mv_child_t *ch, void *arg) {
  (void)arg;
  mv_child_send(ch, "hi", 2);
}

/* The child ends with _exit: the host's atexit handlers run once, and a
 * stdio buffer the host filled before forking is flushed once. */
TEST_IMPL(fork_child_skips_host_shutdown) {
  char file[256], buffered[256];
  snprintf(file, sizeof(file), "%s/atexit", th_tmpdir());
  snprintf(buffered, sizeof(buffered), "%s/buffered", th_tmpdir());
  atexit_file = file;
  pid_t host = fork();
  if (host == 0) {
    atexit(host_atexit);
    FILE *f = fopen(buffered, "w");
    setvbuf(f, NULL, _IOFBF, 4096);
    fprintf(f, "%d\n", (int)getpid());
    mv_config_t cfg;
    th_config(&cfg);
    mv_loop_t *loop;
    mv_loop_new(&loop);
    for (int i = 0; i < 3; i++) {
      mv_task_t *t = fork_task(loop, &cfg, 10, MV_FORK_CAPTURE, hello, NULL);
      const mv_report_t *r = finish(loop, t);
      if (r->status != MV_OK || strcmp(r->result.data, "hi") != 0) _exit(3);
      mv_task_free(t);
    }
    mv_loop_free(loop);
    exit(0); /* runs host_atexit and flushes f, once */
  }
  int st;
  waitpid(host, &st, 0);
  ASSERT_EQ(WEXITSTATUS(st), 0);
  pid_t pids[8];
  ASSERT_EQ(th_read_pids(file, pids, 8), 1);
  ASSERT_EQ(pids[0], host);
  ASSERT_EQ(th_read_pids(buffered, pids, 8), 1);
  return 0;
}

static void nested(mv_child_t *ch, void *arg) {
  mv_loop_t *parent_loop = arg;
  int epfd = mv_loop_fd(parent_loop);
  mv_loop_forget(parent_loop);
  if (fcntl(epfd, F_GETFD) != -1) mv_child_exit(ch, 8); /* the copy's fds are closed */
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  int st = th_run(&cfg, "echo", "{\"nested\": 1}", 10, &r);
  if (st == MV_OK) mv_child_send(ch, r.result.data, r.result.len);
  mv_child_exit(ch, st == MV_OK ? 0 : 9);
}

TEST_IMPL(fork_child_uses_library_after_forget) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_task_t *t = fork_task(loop, &cfg, 20, 0, nested, loop);
  const mv_report_t *r = finish(loop, t);
  ASSERT_OK(r->status);
  ASSERT_STR_EQ(r->result.data, "{\"echo\": {\"nested\": 1}}");
  mv_task_free(t);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

/* A pre-forked server: reads framed requests, answers each doubled. */
static void serve_frames(mv_child_t *ch, void *arg) {
  (void)arg;
  int fd = mv_child_request_fd(ch);
  for (;;) {
    unsigned char hdr[8];
    size_t got = 0;
    while (got < 8) {
      ssize_t n = read(fd, hdr + got, 8 - got);
      if (n <= 0) mv_child_exit(ch, 0); /* the host closed: done */
      got += (size_t)n;
    }
    size_t len = 0;
    for (int i = 7; i >= 0; i--) len = (len << 8) | hdr[i];
    char *buf = malloc(len * 2 + 1);
    got = 0;
    while (got < len) {
      ssize_t n = read(fd, buf + got, len - got);
      if (n <= 0) mv_child_exit(ch, 1);
      got += (size_t)n;
    }
    memcpy(buf + len, buf, len);
    mv_child_send_frame(ch, buf, len * 2);
    free(buf);
  }
}

static char answers[4][64];
static int nanswers;
static void on_answer(mv_task_t *t, const char *msg, size_t len, void *data) {
  (void)t;
  (void)data;
  snprintf(answers[nanswers++ % 4], 64, "%.*s", (int)len, msg);
}

TEST_IMPL(fork_persistent_frames) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = -1;
  o.flags = MV_TASK_PERSISTENT | MV_TASK_NO_REGISTRY;
  o.on_message = on_answer;
  mv_task_t *t;
  mv_child_t *ch;
  int r = mv_task_fork(loop, &cfg, &o, &t, &ch);
  if (r == MV_FORK_CHILD) serve_frames(ch, NULL);
  ASSERT_OK(r);
  ASSERT_OK(mv_task_send(t, "ab", 2));
  ASSERT_OK(mv_task_send(t, "", 0));
  ASSERT_OK(mv_task_send(t, "xyz\n", 4));
  while (nanswers < 3) mv_loop_wait(loop, NULL, 0.05);
  ASSERT_STR_EQ(answers[0], "abab");
  ASSERT_STR_EQ(answers[1], "");
  ASSERT_STR_EQ(answers[2], "xyz\nxyz\n");
  /* closing its input ends the server cleanly */
  ASSERT_OK(mv_task_close_input(t));
  while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
  ASSERT_OK(mv_task_report(t)->status);
  ASSERT_EQ(mv_task_send(t, "late", 4), MV_ECANCELED);
  mv_task_free(t);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(fork_persistent_wait_returns_on_message) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = -1;
  o.flags = MV_TASK_PERSISTENT | MV_TASK_NO_REGISTRY;
  o.on_message = on_answer;
  mv_task_t *t;
  mv_child_t *ch;
  int r = mv_task_fork(loop, &cfg, &o, &t, &ch);
  if (r == MV_FORK_CHILD) serve_frames(ch, NULL);
  ASSERT_OK(r);
  nanswers = 0;
  ASSERT_OK(mv_task_send(t, "q", 1));
  /* An answer ends a wait for any task, as an end does: no polling. */
  double t0 = th_now();
  while (nanswers == 0) ASSERT_OK(mv_loop_wait(loop, NULL, 10));
  ASSERT(th_now() - t0 < 5);
  ASSERT_STR_EQ(answers[0], "qq");
  ASSERT(!mv_task_done(t));
  mv_task_free(t);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

static void sleep_then_answer(mv_child_t *ch, void *arg) {
  (void)arg;
  usleep(1500 * 1000);
  mv_child_send(ch, "done", 4);
}

/* A close-on-exec pipe the host holds while it forks a task (another
 * thread's subprocess being started): with MV_FORK_CLOSE_PIPES the task
 * does not keep it, so the host's reader sees end-of-file as soon as the
 * host closes its own end, not when the task ends. The task still
 * answers through its own channel. */
TEST_IMPL(fork_close_pipes_frees_host_pipes) {
  for (int drop = 0; drop <= 1; drop++) {
    mv_config_t cfg;
    th_config(&cfg);
    mv_loop_t *loop;
    ASSERT_OK(mv_loop_new(&loop));
    /* One pipe's write end at a low number, another's far above, beyond
     * the first few hundred fds the task looks at in one go. */
    int p[2], q[2];
    ASSERT_OK(pipe2(p, O_CLOEXEC));
    ASSERT_OK(pipe2(q, O_CLOEXEC));
    struct rlimit rl;
    ASSERT_OK(getrlimit(RLIMIT_NOFILE, &rl));
    int high = rl.rlim_cur > 700 ? 600 : (int)rl.rlim_cur - 8;
    int qw = fcntl(q[1], F_DUPFD_CLOEXEC, high);
    ASSERT(qw >= high);
    close(q[1]);
    mv_task_t *t = fork_task(loop, &cfg, 10, drop ? MV_FORK_CLOSE_PIPES : 0, sleep_then_answer,
                             NULL);
    close(p[1]);
    close(qw);
    double t0 = th_now();
    char b;
    ASSERT_EQ(read(p[0], &b, 1), 0);
    ASSERT_EQ(read(q[0], &b, 1), 0);
    double waited = th_now() - t0;
    close(p[0]);
    close(q[0]);
    if (drop) ASSERT(waited < 0.5);
    else ASSERT(waited > 1.0); /* without the flag the task held the write ends */
    const mv_report_t *r = finish(loop, t);
    ASSERT_OK(r->status);
    ASSERT_STR_EQ(r->result.data, "done");
    mv_task_free(t);
    mv_loop_free(loop);
    mv_config_dispose(&cfg);
  }
  return 0;
}

/* A pre-forked server whose requests leave processes behind: each
 * request's leftovers are killed by mv_child_end_request() before the
 * answer, and the server goes on. */
static void serve_leaving_children(mv_child_t *ch, void *arg) {
  const char *pidfile = arg;
  int fd = mv_child_request_fd(ch);
  for (;;) {
    unsigned char hdr[8];
    if (read(fd, hdr, 8) != 8) mv_child_exit(ch, 0);
    char body[64];
    size_t len = hdr[0];
    if (len > sizeof(body) || read(fd, body, len) != (ssize_t)len) mv_child_exit(ch, 3);
    /* a setsid child and a double-forked daemon, both ignoring SIGTERM */
    for (int i = 0; i < 2; i++) {
      if (fork() == 0) {
        setsid();
        if (i == 1 && fork() != 0) _exit(0);
        signal(SIGTERM, SIG_IGN);
        FILE *f = fopen(pidfile, "a");
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
        for (;;) pause();
      }
    }
    pid_t pids[8];
    th_wait_pids(pidfile, pids, 2, 10);
    int killed = mv_child_end_request(ch);
    char answer[16];
    int n = snprintf(answer, sizeof(answer), "%d", killed);
    mv_child_send_frame(ch, answer, (size_t)n);
    remove(pidfile);
  }
}

static void on_frame(mv_task_t *t, const char *msg, size_t len, void *data) {
  (void)t;
  snprintf(data, 16, "%.*s", (int)len, msg);
}

TEST_IMPL(fork_persistent_end_request_kills_leftovers) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  char pidfile[256], answer[16] = "";
  snprintf(pidfile, sizeof(pidfile), "%s/persistent-leftovers", th_tmpdir());
  mv_task_opts_t o;
  memset(&o, 0, sizeof(o));
  o.timeout = 30;
  o.flags = MV_TASK_PERSISTENT | MV_TASK_NO_REGISTRY;
  o.on_message = on_frame;
  o.data = answer;
  mv_task_t *t = NULL;
  mv_child_t *ch = NULL;
  int r = mv_task_fork(loop, &cfg, &o, &t, &ch);
  if (r == MV_FORK_CHILD) serve_leaving_children(ch, pidfile);
  ASSERT_OK(r);
  for (int i = 0; i < 2; i++) {
    answer[0] = '\0';
    ASSERT_OK(mv_task_send(t, "x", 1));
    while (answer[0] == '\0') mv_loop_wait(loop, NULL, 10);
    ASSERT_STR_EQ(answer, "2");
  }
  ASSERT(!mv_task_done(t)); /* the server goes on */
  mv_task_close_input(t);
  while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
  mv_task_free(t);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

/* 7 when the task has the host's SIGCHLD disposition (ignored) back. */
static void exit_seven(mv_child_t *ch, void *arg) {
  (void)arg;
  struct sigaction sa;
  sigaction(SIGCHLD, NULL, &sa);
  mv_child_exit(ch, sa.sa_handler == SIG_IGN ? 7 : 8);
}

static void sleep_long(mv_child_t *ch, void *arg) {
  (void)ch;
  (void)arg;
  sleep(30);
}

/* The supervisor of a forked task is exec'd by a middle process that
 * shares the host's memory and hands it the host's fds and signal
 * dispositions as they were: it must keep none of the host's stdio (a
 * pipe reader of the host's stdout would wait for it), must still end
 * the tree on SIGTERM (clear) when the host ignores SIGTERM, and must see
 * its task's exit status when the host ignores SIGCHLD. */
TEST_IMPL(fork_supervisor_drops_host_stdio_and_dispositions) {
  const mv_containment_t tiers[2] = {MV_CONTAIN_SUBREAPER, MV_CONTAIN_AUTO};
  for (int i = 0; i < 2; i++) {
    int p[2];
    ASSERT_OK(pipe(p));
    int saved_out = dup(1);
    ASSERT(saved_out >= 0);
    ASSERT(dup2(p[1], 1) == 1);
    close(p[1]);
    struct sigaction ign, old;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    ASSERT_OK(sigaction(SIGTERM, &ign, &old));
    struct sigaction oldchld;
    ASSERT_OK(sigaction(SIGCHLD, &ign, &oldchld));

    mv_config_t cfg;
    th_config(&cfg);
    cfg.containment = tiers[i];
    mv_loop_t *loop;
    ASSERT_OK(mv_loop_new(&loop));
    mv_task_t *t = fork_task(loop, &cfg, 0, 0, exit_seven, NULL);
    const mv_report_t *r = finish(loop, t);
    ASSERT_EQ(r->end, MV_END_EXITED);
    ASSERT_EQ(r->exit_code, 7);
    mv_task_free(t);

    t = fork_task(loop, &cfg, 0, 0, sleep_long, NULL);
    /* Known once the supervisor has said the task started. */
    for (int tries = 0; tries < 200 && mv_task_pid(t) <= 0; tries++) mv_loop_wait(loop, NULL, 0.05);
    pid_t root = mv_task_pid(t);
    ASSERT(root > 0);
    /* The supervisor is the task's parent. */
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)root);
    FILE *f = fopen(path, "r");
    ASSERT(f != NULL);
    ASSERT(fgets(buf, sizeof(buf), f) != NULL);
    fclose(f);
    int ppid = 0;
    ASSERT_EQ(sscanf(strrchr(buf, ')') + 2, "%*c %d", &ppid), 1);
    ASSERT(ppid > 0 && ppid != getpid());
    /* Its stdio and fd 3 are /dev/null once it runs (it may still be
     * starting: give it a moment). */
    const int fds[3] = {0, 1, 3};
    for (int k = 0; k < 3; k++) {
      char link[64], target[256] = "";
      snprintf(link, sizeof(link), "/proc/%d/fd/%d", ppid, fds[k]);
      for (int tries = 0; tries < 200; tries++) {
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
        if (strcmp(target, "/dev/null") == 0) break;
        usleep(10000);
      }
      ASSERT_STR_EQ(target, "/dev/null");
    }
    /* SIGTERM to the supervisor (what clear() sends) ends the tree. */
    ASSERT_OK(kill(ppid, SIGTERM));
    r = finish(loop, t);
    ASSERT(r->status != MV_OK);
    ASSERT(kill(root, 0) < 0 && errno == ESRCH);
    mv_task_free(t);
    mv_loop_free(loop);
    mv_config_dispose(&cfg);

    ASSERT_OK(sigaction(SIGTERM, &old, NULL));
    ASSERT_OK(sigaction(SIGCHLD, &oldchld, NULL));
    ASSERT(dup2(saved_out, 1) == 1);
    close(saved_out);
    /* Nobody but the test holds the pipe's write end any more. */
    char c;
    ASSERT_EQ(read(p[0], &c, 1), 0);
    close(p[0]);
  }
  ASSERT(!th_has_children());
  return 0;
}
