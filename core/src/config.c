/* Configuration values, their defaults and their validation. */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MV__MAX_SECONDS (365.0 * 24 * 3600)

void mv_config_init(mv_config_t *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->kill_grace = MV_DEFAULT_KILL_GRACE;
  cfg->max_output = MV_DEFAULT_MAX_OUTPUT;
  cfg->inherit_env = 1;
  /* The environment can force a tier (tests, or hosts where the cgroup
   * directory is writable but should not be used). */
  const char *c = getenv("MULTIVERSE_CONTAINMENT");
  if (c && strcmp(c, "cgroup") == 0) cfg->containment = MV_CONTAIN_CGROUP;
  else if (c && strcmp(c, "subreaper") == 0) cfg->containment = MV_CONTAIN_SUBREAPER;
}

void mv_config_dispose(mv_config_t *cfg) {
  free(cfg->workers_path);
  free(cfg->python);
  free(cfg->node);
  free(cfg->php);
  free(cfg->runtime_dir);
  free(cfg->ns);
  cfg->workers_path = cfg->python = cfg->node = cfg->php = cfg->runtime_dir = cfg->ns = NULL;
  mv_config_clear_env(cfg);
  mv_config_clear_warm(cfg);
}

void mv_config_clear_warm(mv_config_t *cfg) {
  for (size_t i = 0; i < cfg->nwarm; i++) free(cfg->warm[i].name);
  free(cfg->warm);
  cfg->warm = NULL;
  cfg->nwarm = 0;
}

int mv__warm_check(const char *name, const mv_warm_t *w) {
  if (w->processes < 1)
    return mv__error(MV_EINVAL, "warm '%s': processes must be >= 1, got %d", name, w->processes);
  if (w->max_requests < 0)
    return mv__error(MV_EINVAL, "warm '%s': max_requests must be >= 0, got %d", name,
                     w->max_requests);
  char what[300];
  snprintf(what, sizeof(what), "warm '%s': idle_timeout", name);
  int r = mv_check_timeout(w->idle_timeout, what);
  if (r < 0) return r;
  snprintf(what, sizeof(what), "warm '%s': greet_timeout", name);
  return mv_check_timeout(w->greet_timeout, what);
}

int mv_config_set_warm(mv_config_t *cfg, const char *name, const mv_warm_t *settings) {
  int r = mv_validate_worker_name(name);
  if (r < 0) return r;
  if (settings && (r = mv__warm_check(name, settings)) < 0) return r;
  mv_warm_entry_t e = {NULL, settings != NULL, {0, 0, 0, 0}};
  if (settings) e.settings = *settings;
  for (size_t i = 0; i < cfg->nwarm; i++) {
    if (strcmp(cfg->warm[i].name, name) == 0) {
      e.name = cfg->warm[i].name;
      cfg->warm[i] = e;
      return 0;
    }
  }
  if ((e.name = mv__strdup(name)) == NULL) return mv__error(MV_ENOMEM, "out of memory");
  mv_warm_entry_t *v = realloc(cfg->warm, (cfg->nwarm + 1) * sizeof(*v));
  if (v == NULL) {
    free(e.name);
    return mv__error(MV_ENOMEM, "out of memory");
  }
  v[cfg->nwarm++] = e;
  cfg->warm = v;
  return 0;
}

static int mv__same_str(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* Is every entry of a in b? (env vectors, as sets) */
static int mv__strv_subset(char *const *a, char *const *b) {
  for (; a && *a; a++) {
    int found = 0;
    for (char *const *x = b; x && *x && !found; x++) found = strcmp(*a, *x) == 0;
    if (!found) return 0;
  }
  return 1;
}

int mv_config_same_start(const mv_config_t *a, const mv_config_t *b) {
  char ra[1024], rb[1024];
  if (mv_config_runtime_dir(a, ra, sizeof(ra)) < 0) ra[0] = '\0';
  if (mv_config_runtime_dir(b, rb, sizeof(rb)) < 0) rb[0] = '\0';
  mv_clear_error();
  return mv__same_str(a->workers_path, b->workers_path) && mv__same_str(a->python, b->python) &&
         mv__same_str(a->node, b->node) && mv__same_str(a->php, b->php) &&
         strcmp(ra, rb) == 0 &&
         strcmp(mv_config_namespace(a), mv_config_namespace(b)) == 0 && a->kill_grace == b->kill_grace &&
         a->max_output == b->max_output && a->containment == b->containment &&
         (a->inherit_env != 0) == (b->inherit_env != 0) &&
         mv__strv_len(a->env) == mv__strv_len(b->env) && mv__strv_subset(a->env, b->env);
}

void mv_config_clear_env(mv_config_t *cfg) {
  mv__strv_free(cfg->env);
  cfg->env = NULL;
}

int mv_check_env_name(const char *name) {
  if (name == NULL || *name == '\0')
    return mv__error(MV_EINVAL, "env: a variable name must not be empty");
  int ok = !(name[0] >= '0' && name[0] <= '9');
  for (const char *c = name; ok && *c; c++)
    ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
         *c == '_';
  if (!ok || strlen(name) > 255)
    return mv__error(MV_EINVAL,
                     "env: invalid variable name '%.64s' (letters, digits and '_', not "
                     "starting with a digit)",
                     name);
  return 0;
}

int mv_config_set_env(mv_config_t *cfg, const char *name, const char *value) {
  int r = mv_check_env_name(name);
  if (r < 0) return r;
  if (value == NULL) return mv__error(MV_EINVAL, "env: the value of '%s' is missing", name);
  char *entry = mv__asprintf("%s=%s", name, value);
  if (entry == NULL) return mv__error(MV_ENOMEM, "out of memory");
  size_t n = mv__strv_len(cfg->env), nl = strlen(name);
  for (size_t i = 0; i < n; i++) {
    if (strncmp(cfg->env[i], name, nl) == 0 && cfg->env[i][nl] == '=') {
      free(cfg->env[i]);
      cfg->env[i] = entry;
      return 0;
    }
  }
  char **v = realloc(cfg->env, (n + 2) * sizeof(char *));
  if (v == NULL) {
    free(entry);
    return mv__error(MV_ENOMEM, "out of memory");
  }
  v[n] = entry;
  v[n + 1] = NULL;
  cfg->env = v;
  return 0;
}

int mv_config_set_string(char **field, const char *value) {
  char *copy = NULL;
  if (value) {
    copy = mv__strdup(value);
    if (copy == NULL) return mv__error(MV_ENOMEM, "out of memory");
  }
  free(*field);
  *field = copy;
  return 0;
}

int mv_config_copy(mv_config_t *dst, const mv_config_t *src) {
  *dst = *src;
  dst->workers_path = dst->python = dst->node = dst->php = dst->runtime_dir = dst->ns = NULL;
  dst->env = NULL;
  dst->warm = NULL;
  dst->nwarm = 0;
  int bad = mv_config_set_string(&dst->workers_path, src->workers_path) < 0 ||
            mv_config_set_string(&dst->python, src->python) < 0 ||
            mv_config_set_string(&dst->node, src->node) < 0 ||
            mv_config_set_string(&dst->php, src->php) < 0 ||
            mv_config_set_string(&dst->runtime_dir, src->runtime_dir) < 0 ||
            mv_config_set_string(&dst->ns, src->ns) < 0;
  size_t n = mv__strv_len(src->env);
  if (!bad && n > 0) {
    dst->env = calloc(n + 1, sizeof(char *));
    bad = dst->env == NULL;
    for (size_t i = 0; !bad && i < n; i++) bad = (dst->env[i] = mv__strdup(src->env[i])) == NULL;
  }
  for (size_t i = 0; !bad && i < src->nwarm; i++)
    bad = mv_config_set_warm(dst, src->warm[i].name,
                             src->warm[i].warm ? &src->warm[i].settings : NULL) < 0;
  if (bad) {
    mv_config_dispose(dst);
    return MV_ENOMEM;
  }
  return 0;
}

int mv_check_timeout(double seconds, const char *what) {
  if (isnan(seconds)) return mv__error(MV_EINVAL, "%s must be a number, got NAN", what);
  if (isinf(seconds)) return mv__error(MV_EINVAL, "%s must be finite, got INF", what);
  if (seconds < 0) return mv__error(MV_EINVAL, "%s must be >= 0, got %g", what, seconds);
  if (seconds > MV__MAX_SECONDS)
    return mv__error(MV_EINVAL, "%s must be at most one year (%g s), got %g", what,
                     MV__MAX_SECONDS, seconds);
  return 0;
}

static int mv__check_nonempty(const char *v, const char *what) {
  if (v && *v == '\0') return mv__error(MV_EINVAL, "%s must not be empty", what);
  if (v && strlen(v) > 4000) return mv__error(MV_EINVAL, "%s is too long", what);
  return 0;
}

int mv_config_validate(const mv_config_t *cfg) {
  int r;
  if ((r = mv_check_timeout(cfg->timeout, "timeout")) < 0) return r;
  if ((r = mv_check_timeout(cfg->kill_grace, "kill_grace")) < 0) return r;
  if (cfg->max_output == 0) return mv__error(MV_EINVAL, "max_output must be > 0");
  if ((r = mv__check_nonempty(cfg->workers_path, "workers_path")) < 0) return r;
  if ((r = mv__check_nonempty(cfg->python, "python")) < 0) return r;
  if ((r = mv__check_nonempty(cfg->node, "node")) < 0) return r;
  if ((r = mv__check_nonempty(cfg->php, "php")) < 0) return r;
  if ((r = mv__check_nonempty(cfg->runtime_dir, "runtime_dir")) < 0) return r;
  if (cfg->runtime_dir && cfg->runtime_dir[0] != '/')
    return mv__error(MV_EINVAL, "runtime_dir must be an absolute path, got '%s'",
                     cfg->runtime_dir);
  if (cfg->ns && (r = mv_check_namespace(cfg->ns)) < 0) return r;
  if (cfg->containment < MV_CONTAIN_AUTO || cfg->containment > MV_CONTAIN_SUBREAPER)
    return mv__error(MV_EINVAL, "containment must be auto, cgroup or subreaper");
  for (char **e = cfg->env; e && *e; e++) {
    const char *eq = strchr(*e, '=');
    char name[256];
    size_t nl = eq ? (size_t)(eq - *e) : strlen(*e);
    snprintf(name, sizeof(name), "%.*s", (int)(nl < 255 ? nl : 255), *e);
    if (eq == NULL || nl > 255) return mv__error(MV_EINVAL, "env: malformed entry '%.64s'", *e);
    if ((r = mv_check_env_name(name)) < 0) return r;
  }
  return 0;
}

const char *mv_config_namespace(const mv_config_t *cfg) {
  return cfg && cfg->ns ? cfg->ns : MV_DEFAULT_NAMESPACE;
}

int mv_check_namespace(const char *ns) {
  if (ns == NULL || *ns == '\0') return mv__error(MV_EINVAL, "namespace must not be empty");
  size_t n = strlen(ns);
  int ok = n <= MV_NAMESPACE_MAX;
  for (const char *c = ns; ok && *c; c++)
    ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
         *c == '_' || *c == '.' || *c == '-';
  if (!ok)
    return mv__error(MV_EINVAL,
                     "invalid namespace '%.80s'%s (1 to %d letters, digits, '_', '.' or '-')",
                     ns, n > 80 ? "..." : "", MV_NAMESPACE_MAX);
  return 0;
}

/* A real directory (not a symlink to one) owned by this user. */
static int mv__own_dir(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid();
}

/* The user's home directory: $HOME when it names a directory of this user,
 * else the one of the passwd entry. A HOME carried over from another user
 * (sudo) would otherwise have us create files in their home. */
static int mv__home_dir(char *buf, size_t size) {
  const char *env = getenv("HOME");
  struct stat st;
  if (env && env[0] == '/' && stat(env, &st) == 0 && S_ISDIR(st.st_mode) &&
      st.st_uid == geteuid()) {
    int n = snprintf(buf, size, "%s", env);
    return n < 0 || (size_t)n >= size ? -1 : 0;
  }
  size_t cap = 4096;
  int rc = -1;
  for (;;) {
    char *pwbuf = malloc(cap);
    if (pwbuf == NULL) break;
    struct passwd pw, *found = NULL;
    int e = getpwuid_r(geteuid(), &pw, pwbuf, cap, &found);
    if (e == 0 && found && found->pw_dir && found->pw_dir[0] == '/') {
      int n = snprintf(buf, size, "%s", found->pw_dir);
      rc = n < 0 || (size_t)n >= size ? -1 : 0;
    }
    free(pwbuf);
    if (e != ERANGE || cap >= (1u << 20)) break;
    cap *= 2;
  }
  /* No usable passwd entry: a HOME that is not ours is still better than
   * nothing; mv__registry_prepare() says what is wrong with it. */
  if (rc < 0 && env && env[0] == '/') {
    int n = snprintf(buf, size, "%s", env);
    rc = n < 0 || (size_t)n >= size ? -1 : 0;
  }
  return rc;
}

int mv_config_runtime_dir(const mv_config_t *cfg, char *buf, size_t size) {
  int n;
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  struct stat st;
  if (cfg && cfg->runtime_dir) {
    n = snprintf(buf, size, "%s", cfg->runtime_dir);
  } else if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
             st.st_uid == geteuid()) {
    n = snprintf(buf, size, "%s/multiverse", xdg);
  } else {
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "/tmp/multiverse-%u", (unsigned)geteuid());
    /* Claim the directory while resolving rather than later: once it is
     * ours no other user can replace it (/tmp is sticky), so nobody can
     * slip one in between this choice and its use, and every process of
     * the user keeps choosing it. Whatever makes the mkdir fail (it
     * exists, a read-only /tmp), the check below decides. */
    mkdir(tmp, 0700);
    if (mv__own_dir(tmp)) {
      n = snprintf(buf, size, "%s", tmp);
    } else {
      /* Squatted by another user (or a symlink, or not a directory): a
       * directory only this user can create. */
      char home[4096];
      if (mv__home_dir(home, sizeof(home)) < 0)
        return mv__error(MV_EREGISTRY,
                         "'%s' is not this user's directory and there is no home "
                         "directory to use instead",
                         tmp);
      n = snprintf(buf, size, "%s%s.cache/multiverse/run", home,
                   home[strlen(home) - 1] == '/' ? "" : "/");
    }
  }
  if (n < 0 || (size_t)n >= size) return mv__error(MV_EINVAL, "runtime_dir path too long");
  return 0;
}

int mv_cpu_count(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}
