/*
 * The process's warm pools (core mv_pool_t), kept across requests.
 *
 * A warm worker is worth its start-up only if its processes outlive the
 * request: under PHP-FPM a worker process serves many requests, and the CLI
 * server serves them all from one process. So the pools belong to the PHP
 * process, not to the request. They live in MultiWorker's loop
 * (loops.c), which stays with them, and are freed at module shutdown: the
 * processes retire (end of file on stdin, kill_grace to exit, then their
 * trees are killed). Between requests nobody runs the loop; each process's
 * supervisor still ends it after idle_timeout, and the pool notices on its
 * next call. If the PHP process dies, the supervisors kill the trees.
 *
 * One pool per worker name and workers_path: the same worker called from
 * two applications served by one FPM pool keeps two pools. When a call
 * finds its pool made with other settings (interpreters, runtime_dir,
 * kill_grace, max_output, containment, inherit_env, env, or other warm
 * settings: configure() and ini_set() can change them per request), the
 * old pool is retired and
 * a new one made, so an FPM worker never keeps stale copies of a worker
 * running. The timeout is not part of it: each call passes its own.
 *
 * A relative (or unset) workers_path is made absolute when the pool is
 * made: its replacement processes must start from the same directory even
 * when a later request runs elsewhere (FPM changes to each script's
 * directory).
 *
 * Ownership: the pools belong to the PID that made MultiWorker's loop.
 * After a fork the child drops its copies without touching the processes
 * (mv_pool_free knows a copy from its loop's owner) and makes its own.
 * Everything here is malloc'd: nothing refers to a request's memory.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "php.h"

#include "php_multiverse.h"

typedef struct mvphp_warm_pool {
  char *name;
  char *workers_path;        /* absolute */
  char *fingerprint;         /* everything else the processes depend on */
  mv_pool_t *pool;
  struct mvphp_warm_pool *next;
} mvphp_warm_pool_t;

/* printf into a malloc'd string (NULL when out of memory). */
static char *mvphp_pstrprintf(const char *fmt, ...) ZEND_ATTRIBUTE_FORMAT(printf, 1, 2);
static char *mvphp_pstrprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *s = malloc((size_t)n + 1);
  if (s == NULL) return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

/* workers_path as the core would see it from here: NULL means ".". */
static char *mvphp_absolute_workers_path(const char *path) {
  if (path && path[0] == '/') return mvphp_pstrprintf("%s", path);
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == NULL) return mvphp_pstrprintf("%s", path ? path : ".");
  if (path == NULL || strcmp(path, ".") == 0) return mvphp_pstrprintf("%s", cwd);
  return mvphp_pstrprintf("%s/%s", cwd, path);
}

static char *mvphp_fingerprint(const mv_config_t *c, const mv_warm_t *w) {
  char dir[1024];
  if (mv_config_runtime_dir(c, dir, sizeof(dir)) < 0)
    snprintf(dir, sizeof(dir), "%s", c->runtime_dir ? c->runtime_dir : "");
  char *fp = mvphp_pstrprintf("%s\n%s\n%s\n%s\n%.17g\n%zu\n%d\n%d %d %.17g\n%d",
                              c->python ? c->python : "", c->node ? c->node : "",
                              c->php ? c->php : "", dir, c->kill_grace, c->max_output,
                              (int)c->containment, w->processes, w->max_requests,
                              w->idle_timeout, c->inherit_env);
  /* The env entries, each with its length: a value may hold newlines. */
  for (char **e = c->env; fp && e && *e; e++) {
    char *longer = mvphp_pstrprintf("%s\n%zu:%s", fp, strlen(*e), *e);
    free(fp);
    fp = longer;
  }
  return fp;
}

/* Retire (or, in a forked child, forget) one pool and free its entry. */
static void mvphp_warm_pool_free(mvphp_warm_pool_t *p) {
  mv_pool_free(p->pool);
  free(p->name);
  free(p->workers_path);
  free(p->fingerprint);
  free(p);
}

int mvphp_warm_pools_get(mvphp_loop_t *lw, const mv_config_t *cfg, const char *name,
                         const mv_warm_t *warm, mv_pool_t **out) {
  *out = NULL;
  char *path = mvphp_absolute_workers_path(cfg->workers_path);
  char *fp = mvphp_fingerprint(cfg, warm);
  int r = 0;
  if (path == NULL || fp == NULL) {
    r = MV_ENOMEM;
    goto done;
  }
  mvphp_warm_pool_t **pp = &MVPHP_G(warm_pools), *p = NULL;
  for (; *pp; pp = &(*pp)->next) {
    if (strcmp((*pp)->name, name) == 0 && strcmp((*pp)->workers_path, path) == 0) {
      p = *pp;
      break;
    }
  }
  if (p && strcmp(p->fingerprint, fp) != 0) {
    /* Made with other settings: retire it before its replacement starts. */
    *pp = p->next;
    mvphp_warm_pool_free(p);
    p = NULL;
  }
  if (p == NULL) {
    mv_config_t pcfg;
    if (mv_config_copy(&pcfg, cfg) < 0) {
      r = MV_ENOMEM;
      goto done;
    }
    if (mv_config_set_string(&pcfg.workers_path, path) < 0) {
      mv_config_dispose(&pcfg);
      r = MV_ENOMEM;
      goto done;
    }
    mv_pool_t *pool = NULL;
    p = calloc(1, sizeof(*p));
    if (p == NULL || (p->name = mvphp_pstrprintf("%s", name)) == NULL) {
      r = MV_ENOMEM;
    } else {
      r = mv_pool_new(lw->loop, &pcfg, name, warm, &pool);
    }
    mv_config_dispose(&pcfg);
    if (r < 0) {
      if (p) free(p->name);
      free(p);
      goto done;
    }
    p->pool = pool;
    p->workers_path = path;
    p->fingerprint = fp;
    path = fp = NULL;
    p->next = MVPHP_G(warm_pools);
    MVPHP_G(warm_pools) = p;
  }
  *out = p->pool;
done:
  free(path);
  free(fp);
  return r;
}

size_t mvphp_warm_pools_count(void) {
  size_t n = 0;
  for (mvphp_warm_pool_t *p = MVPHP_G(warm_pools); p; p = p->next) n++;
  return n;
}

void mvphp_warm_pools_free(void) {
  mvphp_warm_pool_t *p = MVPHP_G(warm_pools);
  MVPHP_G(warm_pools) = NULL;
  while (p) {
    mvphp_warm_pool_t *next = p->next;
    mvphp_warm_pool_free(p);
    p = next;
  }
}
