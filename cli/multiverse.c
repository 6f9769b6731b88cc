/*
 * multiverse — command-line tool over the public C API.
 *
 *   multiverse run [options] WORKER [JSON]   run a worker, print its result
 *   multiverse ps [WORKER]                   running workers of this user
 *   multiverse clear [WORKER]                kill them, print how many
 *
 * Exit codes of `run`: 0 success, 124 timeout, 126 cannot start, 127 not
 * found, 2 bad usage or input, 1 any other worker failure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "multiverse.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { interrupted = sig; }

static void usage(FILE *f) {
  fputs("usage: multiverse run [--timeout S] [--workers-path DIR] [--kill-grace S]\n"
        "                      [--runtime-dir DIR] [--python BIN] [--max-output BYTES]\n"
        "                      WORKER [JSON]\n"
        "       multiverse ps [--runtime-dir DIR] [WORKER]\n"
        "       multiverse clear [--runtime-dir DIR] [WORKER]\n"
        "       multiverse --version\n",
        f);
}

static int parse_seconds(const char *s, const char *what, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end != '\0' || mv_check_timeout(v, what) < 0) {
    fprintf(stderr, "multiverse: %s: invalid value '%s'%s%s\n", what, s,
            *mv_last_error() ? ": " : "", mv_last_error());
    return -1;
  }
  *out = v;
  return 0;
}

/* Options shared by the subcommands; returns index of first operand. */
static int parse_options(int argc, char **argv, mv_config_t *cfg, double *timeout) {
  int i = 2;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) return i + 1;
    if (strncmp(a, "--", 2) != 0) break;
    if (i + 1 >= argc) {
      fprintf(stderr, "multiverse: option %s needs a value\n", a);
      return -1;
    }
    const char *v = argv[++i];
    if (strcmp(a, "--timeout") == 0) {
      if (parse_seconds(v, "--timeout", timeout) < 0) return -1;
    } else if (strcmp(a, "--kill-grace") == 0) {
      if (parse_seconds(v, "--kill-grace", &cfg->kill_grace) < 0) return -1;
    } else if (strcmp(a, "--workers-path") == 0) {
      mv_config_set_string(&cfg->workers_path, v);
    } else if (strcmp(a, "--runtime-dir") == 0) {
      mv_config_set_string(&cfg->runtime_dir, v);
    } else if (strcmp(a, "--python") == 0) {
      mv_config_set_string(&cfg->python, v);
    } else if (strcmp(a, "--max-output") == 0) {
      char *end;
      unsigned long long n = strtoull(v, &end, 10);
      if (*end != '\0' || n == 0) {
        fprintf(stderr, "multiverse: --max-output: invalid value '%s'\n", v);
        return -1;
      }
      cfg->max_output = (size_t)n;
    } else {
      fprintf(stderr, "multiverse: unknown option %s\n", a);
      return -1;
    }
  }
  return i;
}

static void print_failure(const mv_report_t *r) {
  fprintf(stderr, "multiverse: %s: %s\n", mv_err_name(r->status), r->message);
  if (r->end != MV_END_SPAWN_FAILED) {
    if (r->signal)
      fprintf(stderr, "  signal: %d\n", r->signal);
    else
      fprintf(stderr, "  exit code: %d\n", r->exit_code);
    fprintf(stderr, "  elapsed: %.3f s, tier: %s\n", r->elapsed, r->tier ? r->tier : "?");
  }
  if (r->remote.type) {
    fprintf(stderr, "  remote: %s: %s\n", r->remote.type,
            r->remote.message ? r->remote.message : "");
    for (size_t i = 0; i < r->remote.nframes; i++)
      fprintf(stderr, "    at %s:%ld in %s\n", r->remote.frames[i].file ? r->remote.frames[i].file : "?",
              r->remote.frames[i].line,
              r->remote.frames[i].function ? r->remote.frames[i].function : "?");
  }
  if (r->err.len) {
    size_t n = r->err.len, start = n > 2000 ? n - 2000 : 0;
    fprintf(stderr, "  stderr%s:\n%.*s%s", start ? " (tail)" : "", (int)(n - start),
            r->err.data + start, r->err.data[n - 1] == '\n' ? "" : "\n");
  }
}

static int exit_code_for(int status) {
  switch (status) {
    case MV_OK: return 0;
    case MV_ETIMEDOUT: return 124;
    case MV_ESPAWN: return 126;
    case MV_ENOTFOUND: return 127;
    case MV_EINVAL: return 2;
    default: return 1;
  }
}

static int cmd_run(int argc, char **argv, mv_config_t *cfg) {
  double timeout = -1;
  int i = parse_options(argc, argv, cfg, &timeout);
  if (i < 0) return 2;
  if (i >= argc || argc - i > 2) {
    usage(stderr);
    return 2;
  }
  const char *worker = argv[i];
  const char *payload = i + 1 < argc ? argv[i + 1] : "{}";

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal; /* no SA_RESTART: the wait returns MV_EINTR */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  mv_loop_t *loop;
  int r = mv_loop_new(&loop);
  if (r < 0) {
    fprintf(stderr, "multiverse: %s\n", mv_last_error());
    return 1;
  }
  mv_task_opts_t opts;
  memset(&opts, 0, sizeof(opts));
  opts.timeout = timeout;
  mv_task_t *t;
  r = mv_task_spawn_worker(loop, cfg, worker, payload, strlen(payload), &opts, &t);
  if (r < 0) {
    fprintf(stderr, "multiverse: %s: %s\n", mv_err_name(r), mv_last_error());
    mv_loop_free(loop);
    return exit_code_for(r);
  }
  while (!mv_task_done(t)) {
    r = mv_loop_wait(loop, t, -1);
    if (r == MV_EINTR && interrupted) mv_task_cancel(t); /* kill the tree, then report */
  }
  const mv_report_t *rep = mv_task_report(t);
  int code = exit_code_for(rep->status);
  if (rep->status == MV_OK) {
    fwrite(rep->result.data, 1, rep->result.len, stdout);
    if (rep->result.len == 0 || rep->result.data[rep->result.len - 1] != '\n') putchar('\n');
  } else {
    print_failure(rep);
    if (interrupted) code = 128 + interrupted;
  }
  mv_task_free(t);
  mv_loop_free(loop);
  return code;
}

static int cmd_ps(int argc, char **argv, mv_config_t *cfg) {
  double unused = -1;
  int i = parse_options(argc, argv, cfg, &unused);
  if (i < 0 || argc - i > 1) return 2;
  char dir[1024];
  if (mv_config_runtime_dir(cfg, dir, sizeof(dir)) < 0) return 2;
  mv_entry_t *e;
  size_t n;
  int r = mv_registry_list(dir, i < argc ? argv[i] : NULL, &e, &n);
  if (r < 0) {
    fprintf(stderr, "multiverse: %s: %s\n", mv_err_name(r), mv_last_error());
    return r == MV_EINVAL ? 2 : 1;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
  for (size_t k = 0; k < n; k++)
    printf("%d\t%s\t%s\t%s\t%.1fs\thost=%d\n", (int)e[k].pid, e[k].worker, e[k].task_id,
           e[k].state, now - e[k].started_at, (int)e[k].host_pid);
  free(e);
  return 0;
}

static int cmd_clear(int argc, char **argv, mv_config_t *cfg) {
  double unused = -1;
  int i = parse_options(argc, argv, cfg, &unused);
  if (i < 0 || argc - i > 1) return 2;
  char dir[1024];
  if (mv_config_runtime_dir(cfg, dir, sizeof(dir)) < 0) return 2;
  int killed = 0;
  int r = mv_registry_clear(dir, i < argc ? argv[i] : NULL, cfg->kill_grace + 10.0, &killed);
  printf("%d\n", killed);
  if (r < 0) {
    fprintf(stderr, "multiverse: %s: %s\n", mv_err_name(r), mv_last_error());
    return r == MV_EINVAL ? 2 : 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("multiverse %s\n", MV_VERSION_STRING);
    return 0;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    return 0;
  }
  mv_config_t cfg;
  mv_config_init(&cfg);
  const char *wp = getenv("MULTIVERSE_WORKERS_PATH");
  if (wp && *wp) mv_config_set_string(&cfg.workers_path, wp);
  int rc;
  if (strcmp(argv[1], "run") == 0) rc = cmd_run(argc, argv, &cfg);
  else if (strcmp(argv[1], "ps") == 0) rc = cmd_ps(argc, argv, &cfg);
  else if (strcmp(argv[1], "clear") == 0) rc = cmd_clear(argc, argv, &cfg);
  else {
    usage(stderr);
    rc = 2;
  }
  mv_config_dispose(&cfg);
  return rc;
}
