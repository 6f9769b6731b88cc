/*
 * The environment a worker is exec'd with (API.md §1): the host's, or
 * with inherit_env off only the variables a program needs to run (PATH,
 * HOME, LANG, LC_*, TZ, TMPDIR), so that database passwords and cloud
 * keys of the host stay in the host; then the configured `env`; then the
 * MULTIVERSE_* variables of the task, which nothing overrides.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const mv__minimal_env[] = {"PATH", "HOME", "LANG", "TZ", "TMPDIR"};

static int mv__named(const char *entry, const char *name) {
  size_t n = strlen(name);
  return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* A host variable the worker gets with inherit_env off. */
static int mv__minimal(const char *entry) {
  if (strncmp(entry, "LC_", 3) == 0) return 1;
  for (size_t i = 0; i < MV__ARRAY_SIZE(mv__minimal_env); i++)
    if (mv__named(entry, mv__minimal_env[i])) return 1;
  return 0;
}

/* Is entry's name set by one of the "NAME=value" strings in v? */
static int mv__overridden(const char *entry, char *const *v) {
  const char *eq = strchr(entry, '=');
  size_t n = eq ? (size_t)(eq - entry) : strlen(entry);
  for (; v && *v; v++)
    if (strncmp(*v, entry, n) == 0 && (*v)[n] == '=') return 1;
  return 0;
}

char **mv__worker_env(const mv_config_t *cfg, const char *worker, const char *task_id,
                      int warm) {
  extern char **environ;
  char *ours[5] = {NULL};
  ours[0] = mv__asprintf("MULTIVERSE_WORKER=%s", worker);
  ours[1] = mv__asprintf("MULTIVERSE_TASK_ID=%s", task_id);
  ours[2] = mv__strdup("MULTIVERSE_RESULT_FD=3");
  ours[3] = warm ? mv__strdup("MULTIVERSE_WARM=1") : NULL;
  size_t nh = mv__strv_len(environ), nc = mv__strv_len(cfg->env);
  char **v = calloc(nh + nc + 5, sizeof(char *));
  size_t i = 0;
  if (v == NULL || !ours[0] || !ours[1] || !ours[2] || (warm && !ours[3])) goto oom;
  for (size_t j = 0; j < nh; j++) {
    const char *e = environ[j];
    /* A host that is itself a task must not pass its task's identity on. */
    if (strncmp(e, "MULTIVERSE_WORKER=", 18) == 0 || strncmp(e, "MULTIVERSE_TASK_ID=", 19) == 0 ||
        strncmp(e, "MULTIVERSE_RESULT_FD=", 21) == 0 || strncmp(e, "MULTIVERSE_WARM=", 16) == 0)
      continue;
    if (!cfg->inherit_env && !mv__minimal(e) && strncmp(e, "MULTIVERSE_", 11) != 0) continue;
    if (mv__overridden(e, cfg->env) || mv__overridden(e, ours)) continue;
    if ((v[i++] = mv__strdup(e)) == NULL) goto oom;
  }
  for (size_t j = 0; j < nc; j++) {
    if (mv__overridden(cfg->env[j], ours)) continue;
    if ((v[i++] = mv__strdup(cfg->env[j])) == NULL) goto oom;
  }
  for (size_t j = 0; j < 4 && ours[j]; j++) {
    v[i++] = ours[j];
    ours[j] = NULL;
  }
  return v;
oom:
  for (size_t j = 0; j < 4; j++) free(ours[j]);
  mv__strv_free(v);
  return NULL;
}
