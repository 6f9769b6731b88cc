/*
 * multiverse — command-line tool over the public C API.
 *
 *   multiverse run [options] WORKER [JSON | -]   run a worker, print its result
 *   multiverse ps [WORKER]                       running workers of this user
 *   multiverse clear [WORKER]                    kill them, print how many
 *
 * Every command works in one registry namespace (--namespace, default
 * "default"); ps and clear take --all for every namespace.
 *   multiverse help [COMMAND]                    usage, on stdout
 *
 * Exit codes of `run`: 0 success, 124 timeout, 126 cannot start, 127 not
 * found, 2 bad usage or input (nothing was started), 1 any other worker
 * failure, 128+N when interrupted by signal N.
 *
 * Options are parsed with getopt_long in "+" mode: they end at the first
 * operand, so a payload such as -1 or a worker named -x (after "--") is
 * never taken for an option.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "multiverse.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { interrupted = sig; }

/* Option values past the range of short options. */
enum {
  OPT_TIMEOUT = 256,
  OPT_KILL_GRACE,
  OPT_WORKERS_PATH,
  OPT_RUNTIME_DIR,
  OPT_PYTHON,
  OPT_MAX_OUTPUT,
  OPT_PAYLOAD_FILE,
  OPT_ENV,
  OPT_NO_INHERIT_ENV,
  OPT_NAMESPACE,
  OPT_ALL,
  OPT_VERSION
};

static const char main_usage[] =
    "usage: multiverse run [OPTIONS] WORKER [JSON | -]\n"
    "       multiverse ps [--namespace NAME | --all] [--runtime-dir DIR] [WORKER]\n"
    "       multiverse clear [--namespace NAME | --all] [--runtime-dir DIR]\n"
    "                        [--kill-grace S] [WORKER]\n"
    "       multiverse help [COMMAND]\n"
    "       multiverse --version\n"
    "\n"
    "Commands:\n"
    "  run     run a worker with a JSON payload and print its JSON result\n"
    "  ps      list this user's running workers\n"
    "  clear   kill this user's running workers (whole process trees)\n"
    "  help    show this help, or a command's (same as COMMAND --help)\n"
    "\n"
    "Options of a command come after its name and before its operands.\n";

static const char run_usage[] =
    "usage: multiverse run [OPTIONS] WORKER [JSON | -]\n"
    "       multiverse run [OPTIONS] --payload-file FILE WORKER\n"
    "\n"
    "Run WORKER with a JSON payload (default {}) and print its JSON result.\n"
    "\n"
    "The payload, checked to be valid JSON before anything starts:\n"
    "  JSON                  as an argument. Every local user can read the\n"
    "                        arguments of a process (/proc/PID/cmdline, ps):\n"
    "                        give passwords, tokens and other secrets through\n"
    "                        stdin or --payload-file instead.\n"
    "  -                     read from stdin, to end of file\n"
    "  --payload-file FILE   read from FILE ('-' is stdin)\n"
    "\n"
    "Options:\n"
    "  --timeout S           kill the worker's whole process tree after S\n"
    "                        seconds (0, the default, is no limit)\n"
    "  --kill-grace S        seconds between SIGTERM and SIGKILL (default 2)\n"
    "  --workers-path DIR    where workers are looked up (default\n"
    "                        $MULTIVERSE_WORKERS_PATH, else .)\n"
    "  --python BIN          interpreter for Python workers (default: the workers\n"
    "                        path's python/venv/bin/python if present, else python3)\n"
    "  --runtime-dir DIR     registry of running workers\n"
    "  --namespace NAME      register the worker under namespace NAME (default\n"
    "                        'default'; letters, digits, '_', '.', '-', at most 64)\n"
    "  --max-output BYTES    bytes kept per output stream (default 64 MiB)\n"
    "  --env NAME=VALUE      set a variable in the worker's environment\n"
    "                        (repeatable; the value is visible in argv too)\n"
    "  --env NAME            pass the host's NAME, keeping its value out of argv\n"
    "  --no-inherit-env      do not pass the host's environment; the worker gets\n"
    "                        only PATH, HOME, LANG, LC_*, TZ, TMPDIR, the --env\n"
    "                        variables and MULTIVERSE_*\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 success, 124 timeout, 126 the worker cannot start,\n"
    "127 no such worker, 2 bad usage or input (nothing was started),\n"
    "1 any other failure, 128+N when interrupted by signal N.\n";

static const char ps_usage[] =
    "usage: multiverse ps [--namespace NAME | --all] [--runtime-dir DIR] [WORKER]\n"
    "\n"
    "List this user's running workers of one namespace (all, or those named\n"
    "WORKER exactly), one per line, tab-separated:\n"
    "  PID  WORKER  TASK_ID  STATE  ELAPSED  host=HOST_PID  namespace=NAME\n"
    "\n"
    "Options:\n"
    "  --namespace NAME      the namespace to list (default 'default')\n"
    "  --all                 list every namespace\n"
    "  --runtime-dir DIR     registry of running workers\n"
    "  -h, --help            show this help\n";

static const char clear_usage[] =
    "usage: multiverse clear [--namespace NAME | --all] [--runtime-dir DIR]\n"
    "                        [--kill-grace S] [WORKER]\n"
    "\n"
    "Kill this user's running workers of one namespace (all, or those named\n"
    "WORKER exactly), each with its whole process tree, and print how many\n"
    "were killed. Workers of other namespaces are left alone.\n"
    "\n"
    "Options:\n"
    "  --namespace NAME      the namespace to clear (default 'default')\n"
    "  --all                 clear every namespace\n"
    "  --runtime-dir DIR     registry of running workers\n"
    "  --kill-grace S        the grace the workers run with: clear waits up to\n"
    "                        S + 10 seconds for their trees to end (default 2)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 success, 2 bad usage, 1 a tree did not end in time or\n"
    "the registry could not be read.\n";

static const struct option run_options[] = {
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"kill-grace", required_argument, NULL, OPT_KILL_GRACE},
    {"workers-path", required_argument, NULL, OPT_WORKERS_PATH},
    {"runtime-dir", required_argument, NULL, OPT_RUNTIME_DIR},
    {"python", required_argument, NULL, OPT_PYTHON},
    {"max-output", required_argument, NULL, OPT_MAX_OUTPUT},
    {"payload-file", required_argument, NULL, OPT_PAYLOAD_FILE},
    {"env", required_argument, NULL, OPT_ENV},
    {"no-inherit-env", no_argument, NULL, OPT_NO_INHERIT_ENV},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static const struct option ps_options[] = {
    {"runtime-dir", required_argument, NULL, OPT_RUNTIME_DIR},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"all", no_argument, NULL, OPT_ALL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static const struct option clear_options[] = {
    {"runtime-dir", required_argument, NULL, OPT_RUNTIME_DIR},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"all", no_argument, NULL, OPT_ALL},
    {"kill-grace", required_argument, NULL, OPT_KILL_GRACE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static const struct option main_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

/* "+" stops at the first operand; ":" makes a missing value return ':'
 * instead of '?', so the two errors get their own messages. */
#define SHORT_OPTIONS "+:h"

/* A bad command line: the message, then where to find the usage. `cmd` is
 * the command ("run") or NULL for the top level. Returns exit code 2. */
static int usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "multiverse%s%s: ", cmd ? " " : "", cmd ? cmd : "");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'multiverse%s%s --help' for more information.\n", cmd ? " " : "",
          cmd ? cmd : "");
  return 2;
}

/* Explain what getopt_long rejected ('?' or ':'); returns exit code 2.
 * getopt's own messages are off (opterr = 0) so that every error has the
 * same shape and ends with the --help hint. */
static int option_error(const char *cmd, int what, char **argv, const struct option *longopts) {
  const char *arg = argv[optind - 1];
  if (what == ':') return usage_error(cmd, "option '%s' needs a value", arg);
  if (strncmp(arg, "--", 2) != 0) return usage_error(cmd, "unknown option '-%c'", optopt);
  const char *name = arg + 2, *eq = strchr(name, '=');
  size_t n = eq ? (size_t)(eq - name) : strlen(name);
  int matches = 0, exact = -1, last = -1;
  for (int i = 0; longopts[i].name; i++) {
    if (strncmp(longopts[i].name, name, n) != 0) continue;
    matches++;
    last = i;
    if (longopts[i].name[n] == '\0') exact = i;
  }
  int hit = exact >= 0 ? exact : matches == 1 ? last : -1;
  if (hit >= 0 && eq && longopts[hit].has_arg == no_argument)
    return usage_error(cmd, "option '--%s' takes no value", longopts[hit].name);
  if (matches > 1 && exact < 0) {
    char all[256] = "";
    for (int i = 0; longopts[i].name; i++)
      if (strncmp(longopts[i].name, name, n) == 0)
        snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s--%s", *all ? ", " : "",
                 longopts[i].name);
    return usage_error(cmd, "ambiguous option '%.*s' (%s)", (int)(n + 2), arg, all);
  }
  return usage_error(cmd, "unknown option '%s'", arg);
}

/* The next option of argv (argv[0] is the command), as getopt_long returns
 * it. Reset optind to 0 before the first call for a new argv. */
static int next_option(int argc, char **argv, const struct option *longopts) {
  opterr = 0;
  return getopt_long(argc, argv, SHORT_OPTIONS, longopts, NULL);
}

static int parse_seconds(const char *cmd, const char *s, const char *what, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end != '\0' || mv_check_timeout(v, what) < 0)
    return usage_error(cmd, "%s: invalid value '%s'%s%s", what, s, *mv_last_error() ? ": " : "",
                       mv_last_error());
  *out = v;
  return 0;
}

static int parse_bytes(const char *cmd, const char *s, const char *what, size_t *out) {
  char *end = NULL;
  errno = 0;
  /* strtoull takes "-5" as a huge number: only digits are accepted. */
  unsigned long long n = s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 10) : 0;
  if (errno || end == NULL || *end != '\0' || n == 0 || n > SIZE_MAX)
    return usage_error(cmd, "%s: invalid value '%s': a number of bytes > 0", what, s);
  *out = (size_t)n;
  return 0;
}

static int set_path(const char *cmd, char **field, const char *value, const char *what) {
  if (*value == '\0') return usage_error(cmd, "%s: the value must not be empty", what);
  if (mv_config_set_string(field, value) < 0) {
    fprintf(stderr, "multiverse: out of memory\n");
    return 1;
  }
  return 0;
}

/* --namespace NAME, checked before anything starts. */
static int set_namespace(const char *cmd, mv_config_t *cfg, const char *value) {
  if (mv_check_namespace(value) < 0)
    return usage_error(cmd, "--namespace: %s", mv_last_error());
  return set_path(cmd, &cfg->ns, value, "--namespace");
}

/* --env NAME=VALUE sets a variable; --env NAME passes the host's value,
 * which keeps it out of argv where every local user could read it. */
static int add_env(mv_config_t *cfg, const char *spec) {
  const char *eq = strchr(spec, '=');
  char *name = eq ? strndup(spec, (size_t)(eq - spec)) : strdup(spec);
  if (name == NULL) {
    fprintf(stderr, "multiverse: out of memory\n");
    return 1;
  }
  const char *value = eq ? eq + 1 : NULL;
  int r = mv_check_env_name(name);
  if (r == 0 && value == NULL && (value = getenv(name)) == NULL) {
    fprintf(stderr, "multiverse run: --env %s: not set in this environment (use --env %s=VALUE)\n",
            name, name);
    free(name);
    return 2;
  }
  if (r == 0) r = mv_config_set_env(cfg, name, value);
  free(name);
  if (r < 0) {
    fprintf(stderr, "multiverse run: %s\n", mv_last_error()); /* "env: invalid ..." */
    return r == MV_EINVAL ? 2 : 1;
  }
  return 0;
}

/* All of f, NUL-terminated; NULL with errno set on a read error. */
static char *read_all(FILE *f, size_t *len) {
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap);
  errno = 0;
  while (buf != NULL) {
    n += fread(buf + n, 1, cap - 1 - n, f);
    if (ferror(f)) break;
    if (feof(f)) {
      buf[n] = '\0';
      *len = n;
      return buf;
    }
    char *bigger = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
    if (bigger == NULL) {
      errno = ENOMEM;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  int e = errno ? errno : EIO;
  free(buf);
  errno = e;
  return NULL;
}

/* The payload from FILE, or from stdin for "-". Returns 0 or an exit code. */
static int read_payload(const char *path, char **out, size_t *len) {
  int use_stdin = strcmp(path, "-") == 0;
  FILE *f = use_stdin ? stdin : fopen(path, "r");
  char *buf = f ? read_all(f, len) : NULL;
  int e = errno;
  if (f && !use_stdin) fclose(f);
  if (buf == NULL) {
    fprintf(stderr, "multiverse run: cannot read the payload from %s: %s\n",
            use_stdin ? "stdin" : path, strerror(e));
    return e == ENOMEM ? 1 : 2;
  }
  *out = buf;
  return 0;
}

/* Length of the UTF-8 sequence at p (at most n bytes), 0 if invalid:
 * overlong forms, surrogates and code points past U+10FFFF included. */
static size_t utf8_len(const unsigned char *p, size_t n) {
  size_t k = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : 2;
  if (p[0] < 0xC2 || p[0] > 0xF4 || n < k) return 0;
  for (size_t i = 1; i < k; i++)
    if ((p[i] & 0xC0) != 0x80) return 0;
  if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) ||
      (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F))
    return 0;
  return k;
}

/* Length of a number in JSON's grammar at p, 0 if there is none:
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static size_t json_number_len(const char *p, size_t n) {
  size_t i = 0, d;
#define DIGITS() for (d = i; i < n && p[i] >= '0' && p[i] <= '9'; i++)
  if (i < n && p[i] == '-') i++;
  if (i < n && p[i] == '0') {
    i++;
  } else {
    DIGITS();
    if (i == d) return 0;
  }
  if (i < n && p[i] == '.') {
    i++;
    DIGITS();
    if (i == d) return 0;
  }
  if (i < n && (p[i] == 'e' || p[i] == 'E')) {
    i++;
    if (i < n && (p[i] == '+' || p[i] == '-')) i++;
    DIGITS();
    if (i == d) return 0;
  }
#undef DIGITS
  return i;
}

typedef struct {
  const char *problem; /* first one found, NULL if none */
  size_t at;           /* its byte offset */
  int truncated;       /* ends inside a string or an unclosed [ or { */
  long max_depth;
} json_scan_t;

/* What cJSON does not check: it accepts numbers such as 01, 1. and -.5,
 * control characters inside strings, invalid UTF-8 and a leading byte
 * order mark, all of which the workers' parsers (Python's json, PHP's
 * json_decode, JSON.parse) reject. One pass over the text; it relies on
 * cJSON for the structure and only looks at tokens. */
static void json_scan(const char *text, size_t len, json_scan_t *s) {
  const unsigned char *p = (const unsigned char *)text;
  int in_string = 0;
  long depth = 0;
  memset(s, 0, sizeof(*s));
#define PROBLEM(what, where) \
  if (!s->problem) s->problem = (what), s->at = (where)
  if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) PROBLEM("a byte order mark at the start", 0);
  for (size_t i = 0; i < len;) {
    unsigned char c = p[i];
    if (c >= 0x80) {
      size_t k = utf8_len(p + i, len - i);
      if (k == 0) PROBLEM("invalid UTF-8", i);
      i += k ? k : 1;
    } else if (in_string) {
      if (c == '"') in_string = 0;
      else if (c < 0x20) PROBLEM("a control character inside a string (it must be escaped)", i);
      i += c == '\\' && i + 1 < len && p[i + 1] < 0x80 ? 2 : 1;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t run = strspn(text + i, "0123456789+-.eE");
      if (run > len - i) run = len - i;
      if (json_number_len(text + i, run) != run)
        PROBLEM("a number in a form JSON does not allow", i);
      i += run;
    } else {
      if (c == '"') in_string = 1;
      else if (c == '[' || c == '{') depth++;
      else if (c == ']' || c == '}') depth--;
      if (depth > s->max_depth) s->max_depth = depth;
      i++;
    }
  }
#undef PROBLEM
  s->truncated = in_string || depth > 0;
}

/* Refuse a payload that is not exactly one JSON value, naming the problem
 * and where it is. The message never quotes the payload: it may hold the
 * secrets that were kept out of argv, and stderr often ends up in logs. */
static int check_payload(const char *p, size_t len, const char *from) {
  const char *bad = memchr(p, '\0', len);
  if (bad) {
    fprintf(stderr, "multiverse run: invalid JSON payload (%s): a NUL byte at byte %zu\n", from,
            (size_t)(bad - p));
    return 2;
  }
  if (strspn(p, " \t\r\n") == len) {
    fprintf(stderr, "multiverse run: invalid JSON payload (%s): it is empty\n", from);
    return 2;
  }
  json_scan_t scan;
  json_scan(p, len, &scan);
  /* The length counts the terminating NUL: with require_null_terminated,
   * cJSON checks that the byte after the value (and whitespace) is it. */
  const char *end = NULL;
  cJSON *json = cJSON_ParseWithLengthOpts(p, len + 1, &end, 1);
  const char *what = scan.problem;
  size_t at = scan.at;
  char deep[64];
  if (json != NULL) {
    cJSON_Delete(json);
    if (what == NULL) return 0;
  } else {
    /* cJSON's error offset is approximate: it may point at the start of
     * the value it gave up on, or past the end. */
    at = end && end >= p && (size_t)(end - p) < len ? (size_t)(end - p) : len - 1;
    cJSON *head = cJSON_ParseWithLengthOpts(p, len, NULL, 0);
    if (head != NULL) {
      what = "unexpected data after the JSON value";
      cJSON_Delete(head);
    } else if (scan.max_depth > CJSON_NESTING_LIMIT) {
      snprintf(deep, sizeof(deep), "nested deeper than %d levels", CJSON_NESTING_LIMIT);
      what = deep;
    } else if (scan.truncated) {
      what = "unexpected end of input";
      at = len;
    } else if (what == NULL) {
      what = "syntax error";
    } else {
      at = scan.at;
    }
  }
  size_t line = 1, col = 1;
  for (size_t i = 0; i < at; i++) {
    if (p[i] == '\n') {
      line++;
      col = 1;
    } else if (((unsigned char)p[i] & 0xC0) != 0x80) {
      col++; /* columns count characters, not bytes */
    }
  }
  fprintf(stderr, "multiverse run: invalid JSON payload (%s): %s at line %zu, column %zu\n", from,
          what, line, col);
  return 2;
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
    case MV_ESPAWN:
    case MV_EINTERP: return 126;
    case MV_ENOTFOUND: return 127;
    case MV_EINVAL: return 2;
    default: return 1;
  }
}

static int run_worker(mv_config_t *cfg, double timeout, const char *worker, const char *payload,
                      size_t len) {
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
  r = mv_task_spawn_worker(loop, cfg, worker, payload, len, &opts, &t);
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

static int cmd_run(int argc, char **argv, mv_config_t *cfg) {
  const char *cmd = "run";
  double timeout = -1;
  const char *payload_file = NULL;
  int o, r;
  optind = 0;
  while ((o = next_option(argc, argv, run_options)) != -1) {
    switch (o) {
      case 'h': fputs(run_usage, stdout); return 0;
      case OPT_TIMEOUT: r = parse_seconds(cmd, optarg, "--timeout", &timeout); break;
      case OPT_KILL_GRACE: r = parse_seconds(cmd, optarg, "--kill-grace", &cfg->kill_grace); break;
      case OPT_WORKERS_PATH: r = set_path(cmd, &cfg->workers_path, optarg, "--workers-path"); break;
      case OPT_RUNTIME_DIR: r = set_path(cmd, &cfg->runtime_dir, optarg, "--runtime-dir"); break;
      case OPT_PYTHON: r = set_path(cmd, &cfg->python, optarg, "--python"); break;
      case OPT_MAX_OUTPUT: r = parse_bytes(cmd, optarg, "--max-output", &cfg->max_output); break;
      case OPT_PAYLOAD_FILE:
        payload_file = optarg;
        r = *optarg ? 0 : usage_error(cmd, "--payload-file: the value must not be empty");
        break;
      case OPT_ENV: r = add_env(cfg, optarg); break;
      case OPT_NO_INHERIT_ENV: cfg->inherit_env = 0; r = 0; break;
      case OPT_NAMESPACE: r = set_namespace(cmd, cfg, optarg); break;
      default: r = option_error(cmd, o, argv, run_options);
    }
    if (r) return r;
  }
  int left = argc - optind;
  if (left < 1) return usage_error(cmd, "missing WORKER");
  if (left > 2) return usage_error(cmd, "unexpected argument '%s'", argv[optind + 2]);
  const char *worker = argv[optind];
  const char *arg = left == 2 ? argv[optind + 1] : NULL;
  if (arg && payload_file)
    return usage_error(cmd, "give the payload either as an argument or with --payload-file, "
                            "not both");
  /* A bad name fails here, before stdin is consumed. */
  if (mv_validate_worker_name(worker) < 0) {
    fprintf(stderr, "multiverse: %s: %s\n", mv_err_name(MV_EINVAL), mv_last_error());
    return 2;
  }
  if (arg && strcmp(arg, "-") == 0) payload_file = "-";

  char *buf = NULL; /* the payload read from a file or stdin */
  const char *payload = arg ? arg : "{}", *from = "argument";
  size_t len;
  if (payload_file) {
    if ((r = read_payload(payload_file, &buf, &len)) != 0) return r;
    payload = buf;
    from = strcmp(payload_file, "-") == 0 ? "stdin" : payload_file;
  } else {
    len = strlen(payload);
  }
  r = check_payload(payload, len, from);
  if (r == 0) r = run_worker(cfg, timeout, worker, payload, len);
  free(buf);
  return r;
}

/* Options of ps and clear; returns 0, or an exit code (-1: help shown).
 * *ns is the namespace to look at, NULL with --all. */
static int parse_registry_options(const char *cmd, int argc, char **argv, mv_config_t *cfg,
                                  const struct option *longopts, const char *usage,
                                  const char **ns) {
  int o, r, all = 0;
  optind = 0;
  while ((o = next_option(argc, argv, longopts)) != -1) {
    switch (o) {
      case 'h': fputs(usage, stdout); return -1;
      case OPT_RUNTIME_DIR: r = set_path(cmd, &cfg->runtime_dir, optarg, "--runtime-dir"); break;
      case OPT_KILL_GRACE: r = parse_seconds(cmd, optarg, "--kill-grace", &cfg->kill_grace); break;
      case OPT_NAMESPACE: r = set_namespace(cmd, cfg, optarg); break;
      case OPT_ALL: all = 1; r = 0; break;
      default: r = option_error(cmd, o, argv, longopts);
    }
    if (r) return r;
  }
  if (argc - optind > 1) return usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
  if (all && cfg->ns) return usage_error(cmd, "give --namespace or --all, not both");
  *ns = all ? NULL : mv_config_namespace(cfg);
  return 0;
}

static int cmd_ps(int argc, char **argv, mv_config_t *cfg) {
  const char *ns;
  int r = parse_registry_options("ps", argc, argv, cfg, ps_options, ps_usage, &ns);
  if (r) return r < 0 ? 0 : r;
  char dir[1024];
  if (mv_config_runtime_dir(cfg, dir, sizeof(dir)) < 0) {
    fprintf(stderr, "multiverse ps: %s\n", mv_last_error());
    return 2;
  }
  mv_entry_t *e;
  size_t n;
  r = mv_registry_list(dir, ns, optind < argc ? argv[optind] : NULL, &e, &n);
  if (r < 0) {
    fprintf(stderr, "multiverse: %s: %s\n", mv_err_name(r), mv_last_error());
    return r == MV_EINVAL ? 2 : 1;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
  for (size_t k = 0; k < n; k++)
    printf("%d\t%s\t%s\t%s\t%.1fs\thost=%d\tnamespace=%s\n", (int)e[k].pid, e[k].worker,
           e[k].task_id, e[k].state, now - e[k].started_at, (int)e[k].host_pid, e[k].ns);
  free(e);
  return 0;
}

static int cmd_clear(int argc, char **argv, mv_config_t *cfg) {
  const char *ns;
  int r = parse_registry_options("clear", argc, argv, cfg, clear_options, clear_usage, &ns);
  if (r) return r < 0 ? 0 : r;
  char dir[1024];
  if (mv_config_runtime_dir(cfg, dir, sizeof(dir)) < 0) {
    fprintf(stderr, "multiverse clear: %s\n", mv_last_error());
    return 2;
  }
  int killed = 0;
  r = mv_registry_clear(dir, ns, optind < argc ? argv[optind] : NULL,
                        cfg->kill_grace + MV_KILL_MARGIN, &killed);
  printf("%d\n", killed);
  if (r < 0) {
    fprintf(stderr, "multiverse: %s: %s\n", mv_err_name(r), mv_last_error());
    return r == MV_EINVAL ? 2 : 1;
  }
  return 0;
}

typedef struct {
  const char *name;
  const char *usage;
  int (*fn)(int argc, char **argv, mv_config_t *cfg);
} command_t;

static const command_t commands[] = {
    {"run", run_usage, cmd_run}, {"ps", ps_usage, cmd_ps}, {"clear", clear_usage, cmd_clear}};

static const command_t *find_command(const char *name) {
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

/* multiverse help [COMMAND] */
static int cmd_help(int argc, char **argv) {
  if (argc > 2) return usage_error("help", "unexpected argument '%s'", argv[2]);
  if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    fputs(main_usage, stdout);
    return 0;
  }
  const command_t *c = find_command(argv[1]);
  if (c == NULL) return usage_error(NULL, "unknown command '%s'", argv[1]);
  fputs(c->usage, stdout);
  return 0;
}

int main(int argc, char **argv) {
  int o;
  while ((o = next_option(argc, argv, main_options)) != -1) {
    switch (o) {
      case 'h': fputs(main_usage, stdout); return 0;
      case OPT_VERSION: printf("multiverse %s\n", MV_VERSION_STRING); return 0;
      default: return option_error(NULL, o, argv, main_options);
    }
  }
  if (optind >= argc) {
    fputs(main_usage, stderr);
    return 2;
  }
  /* From here on argv[0] is the command, as getopt_long expects. */
  argc -= optind;
  argv += optind;
  if (strcmp(argv[0], "help") == 0) return cmd_help(argc, argv);
  const command_t *c = find_command(argv[0]);
  if (c == NULL) return usage_error(NULL, "unknown command '%s'", argv[0]);

  mv_config_t cfg;
  mv_config_init(&cfg);
  const char *wp = getenv("MULTIVERSE_WORKERS_PATH");
  if (wp && *wp) mv_config_set_string(&cfg.workers_path, wp);
  int rc = c->fn(argc, argv, &cfg);
  mv_config_dispose(&cfg);
  return rc;
}
