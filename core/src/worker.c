/*
 * Worker lookup (API.md §1): a name that matches ^[A-Za-z0-9_-]+$ is looked
 * up in a fixed list of places under workers_path; the first hit decides
 * the driver. The interpreter is found on PATH here, in the host, so a
 * missing python3 is reported as such before anything is spawned.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MV__NAME_MAX 255
#define MV__WARM_CONFIG_MAX (64 * 1024)

const char *mv_driver_name(mv_driver_t d) {
  switch (d) {
    case MV_DRIVER_PYTHON: return "python";
    case MV_DRIVER_NODE: return "node";
    case MV_DRIVER_PHP: return "php";
    case MV_DRIVER_EXEC: return "exec";
    case MV_DRIVER_FORK: return "fork";
  }
  return "unknown";
}

int mv_validate_worker_name(const char *name) {
  if (name == NULL || *name == '\0')
    return mv__error(MV_EINVAL, "worker name must not be empty");
  size_t n = strlen(name);
  if (n > MV__NAME_MAX)
    return mv__error(MV_EINVAL, "worker name is too long (%zu bytes, max %d)", n,
                     MV__NAME_MAX);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok)
      return mv__error(MV_EINVAL,
                       "invalid worker name '%.64s': only letters, digits, '_' and "
                       "'-' are allowed (no paths)",
                       name);
  }
  return 0;
}

typedef struct {
  const char *fmt;      /* relative to workers_path; %s = name */
  mv_driver_t driver;
  int in_dir;           /* the worker has its own directory */
} mv__place_t;

/* The lookup order of API.md §1. */
static const mv__place_t mv__places[] = {
    {"%s/main.py", MV_DRIVER_PYTHON, 1},
    {"%s/main.js", MV_DRIVER_NODE, 1},
    {"%s/main.php", MV_DRIVER_PHP, 1},
    {"%s/main", MV_DRIVER_EXEC, 1},
    {"%s.py", MV_DRIVER_PYTHON, 0},
    {"%s.js", MV_DRIVER_NODE, 0},
    {"%s.php", MV_DRIVER_PHP, 0},
    {"python/%s/main.py", MV_DRIVER_PYTHON, 1},
};

static char *mv__read_small(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  char *buf = malloc(MV__WARM_CONFIG_MAX + 1);
  ssize_t n = buf ? read(fd, buf, MV__WARM_CONFIG_MAX) : -1;
  close(fd);
  if (n < 0) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  return buf;
}

static char *mv__interpreter(const mv_config_t *cfg, const char *base,
                             mv_driver_t d) {
  const char *name = NULL;
  switch (d) {
    case MV_DRIVER_PYTHON:
      if (cfg->python) {
        name = cfg->python;
      } else {
        /* The shared venv of the Laravel layout wins over PATH. */
        char *venv = mv__asprintf("%s/python/venv/bin/python", base);
        if (venv && access(venv, X_OK) == 0) return venv;
        free(venv);
        name = "python3";
      }
      break;
    case MV_DRIVER_NODE: name = cfg->node ? cfg->node : "node"; break;
    case MV_DRIVER_PHP: name = cfg->php ? cfg->php : "php"; break;
    default: return NULL;
  }
  char *path = mv__which(name);
  if (path == NULL) {
    int e = errno;
    mv__error(MV_EINTERP, "%s interpreter '%s' %s", mv_driver_name(d), name,
              e == EACCES ? "is not executable"
                          : (strchr(name, '/') ? "does not exist" : "was not found on PATH"));
    errno = e;
  }
  return path;
}

static char **mv__argv_for(mv_driver_t d, const char *interp, const char *script) {
  char **v = calloc(8, sizeof(char *));
  if (v == NULL) return NULL;
  int i = 0;
  switch (d) {
    case MV_DRIVER_PYTHON:
    case MV_DRIVER_NODE:
      v[i++] = mv__strdup(interp);
      break;
    case MV_DRIVER_PHP:
      /* Errors to stderr, never mixed into the JSON on stdout. */
      v[i++] = mv__strdup(interp);
      v[i++] = mv__strdup("-d");
      v[i++] = mv__strdup("display_errors=stderr");
      v[i++] = mv__strdup("-d");
      v[i++] = mv__strdup("log_errors=0");
      break;
    default:
      break;
  }
  v[i++] = mv__strdup(script);
  for (int j = 0; j < i; j++) {
    if (v[j] == NULL) {
      mv__strv_free(v);
      return NULL;
    }
  }
  return v;
}

int mv_worker_resolve(const mv_config_t *cfg, const char *name, mv_worker_t *out) {
  memset(out, 0, sizeof(*out));
  int r = mv_validate_worker_name(name);
  if (r < 0) return r;
  const char *wp = cfg->workers_path ? cfg->workers_path : ".";
  char base[PATH_MAX];
  if (realpath(wp, base) == NULL)
    return mv__syserror(MV_ENOTFOUND, "workers_path '%s' is not usable", wp);

  for (size_t i = 0; i < MV__ARRAY_SIZE(mv__places); i++) {
    char rel[600], path[PATH_MAX + 600];
    snprintf(rel, sizeof(rel), mv__places[i].fmt, name);
    snprintf(path, sizeof(path), "%s/%s", base, rel);
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) continue;

    mv_driver_t d = mv__places[i].driver;
    out->driver = d;
    out->script = mv__strdup(path);
    char *slash = strrchr(path, '/');
    out->dir = slash ? mv__asprintf("%.*s", (int)(slash - path), path) : mv__strdup(base);
    if (out->script == NULL || out->dir == NULL) goto oom;
    if (mv__places[i].in_dir) {
      char *cfgpath = mv__asprintf("%s/multiverse.json", out->dir);
      if (cfgpath == NULL) goto oom;
      out->warm_config = mv__read_small(cfgpath);
      free(cfgpath);
    }
    char *interp = NULL;
    if (d != MV_DRIVER_EXEC) {
      interp = mv__interpreter(cfg, base, d);
      if (interp == NULL) {
        int e = errno;
        mv_worker_dispose(out);
        out->driver = d; /* which driver's interpreter is missing */
        errno = e;
        return MV_EINTERP;
      }
    }
    out->argv = mv__argv_for(d, interp, out->script);
    free(interp);
    if (out->argv == NULL) goto oom;
    return 0;
  }
  char tried[1024];
  size_t off = 0;
  for (size_t i = 0; i < MV__ARRAY_SIZE(mv__places) && off < sizeof(tried); i++) {
    char rel[600];
    snprintf(rel, sizeof(rel), mv__places[i].fmt, name);
    off += (size_t)snprintf(tried + off, sizeof(tried) - off, "%s%s", i ? ", " : "", rel);
  }
  return mv__error(MV_ENOTFOUND, "worker '%s' not found in %s (tried %s)", name, base,
                   tried);
oom:
  mv_worker_dispose(out);
  return mv__error(MV_ENOMEM, "out of memory resolving worker '%s'", name);
}

void mv_worker_dispose(mv_worker_t *w) {
  free(w->script);
  free(w->dir);
  free(w->warm_config);
  mv__strv_free(w->argv);
  memset(w, 0, sizeof(*w));
}
