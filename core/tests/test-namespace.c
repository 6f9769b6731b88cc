/* Registry namespaces (API.md §1): list and clear see one namespace, or
 * all of them; entries of older builds count as "default". */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "multiverse.h"
#include "task.h"

static const char *rt_dir(void) {
  static char rt[128];
  snprintf(rt, sizeof(rt), "%s/run", th_tmpdir());
  return rt;
}

/* A separate host process running the img worker in namespace ns (NULL:
 * the configuration's default) until it is killed. */
static pid_t start_host_in(const char *ns, const char *pidfile) {
  pid_t host = fork();
  if (host == 0) {
    th_die_with_parent();
    mv_config_t cfg;
    th_config(&cfg);
    if (ns) mv_config_set_string(&cfg.ns, ns);
    char payload[512];
    snprintf(payload, sizeof(payload), "{\"pidfile\": \"%s\"}", pidfile);
    mv_report_t r;
    int st = th_run(&cfg, "img", payload, 0, &r);
    _exit(st == MV_ECANCELED ? 0 : 1);
  }
  return host;
}

static size_t count_in(const char *ns, const char *worker) {
  mv_entry_t *e;
  size_t n = 0;
  if (mv_registry_list(rt_dir(), ns, worker, &e, &n) < 0) return (size_t)-1;
  free(e);
  return n;
}

TEST_IMPL(registry_namespace_filters_list_and_clear) {
  char pfa[256], pfb[256];
  snprintf(pfa, sizeof(pfa), "%s/app-a", th_tmpdir());
  snprintf(pfb, sizeof(pfb), "%s/app-b", th_tmpdir());
  pid_t ha = start_host_in("app-a", pfa), hb = start_host_in("app.b_2", pfb);
  pid_t pa[4], pb[4];
  ASSERT_EQ(th_wait_pids(pfa, pa, 2, 10), 2);
  ASSERT_EQ(th_wait_pids(pfb, pb, 2, 10), 2);

  /* Each namespace lists its own task only; NULL lists both. */
  mv_entry_t *e;
  size_t n;
  ASSERT_OK(mv_registry_list(rt_dir(), "app-a", NULL, &e, &n));
  ASSERT_EQ(n, 1);
  ASSERT_STR_EQ(e[0].ns, "app-a");
  ASSERT_STR_EQ(e[0].worker, "img");
  ASSERT_EQ(e[0].host_pid, ha);
  ASSERT(e[0].pid == pa[0] || e[0].pid == pa[1]);
  free(e);
  ASSERT_OK(mv_registry_list(rt_dir(), "app.b_2", "img", &e, &n));
  ASSERT_EQ(n, 1);
  ASSERT_STR_EQ(e[0].ns, "app.b_2");
  ASSERT_EQ(e[0].host_pid, hb);
  free(e);
  ASSERT_EQ(count_in(MV_DEFAULT_NAMESPACE, NULL), 0);
  ASSERT_EQ(count_in("app-a", "img_resize"), 0);
  ASSERT_OK(mv_registry_list(rt_dir(), NULL, NULL, &e, &n));
  ASSERT_EQ(n, 2);
  ASSERT(strcmp(e[0].ns, e[1].ns) != 0);
  free(e);

  /* Clearing a namespace with nothing of it running kills nothing. */
  int killed = -1;
  ASSERT_OK(mv_registry_clear(rt_dir(), MV_DEFAULT_NAMESPACE, NULL, 10, &killed));
  ASSERT_EQ(killed, 0);
  ASSERT_EQ(th_count_alive(pa, 2), 2);
  ASSERT_EQ(th_count_alive(pb, 2), 2);

  /* Clearing app-a (even by the worker's name, which app.b_2 shares)
   * leaves app.b_2's tree running. */
  ASSERT_OK(mv_registry_clear(rt_dir(), "app-a", "img", 10, &killed));
  ASSERT_EQ(killed, 1);
  ASSERT_EQ(th_count_alive(pa, 2), 0); /* setsid grandchild included */
  ASSERT_EQ(th_count_alive(pb, 2), 2);
  int st;
  ASSERT_EQ(waitpid(ha, &st, 0), ha);
  ASSERT_EQ(WEXITSTATUS(st), 0); /* the host saw MV_ECANCELED */
  usleep(100000);
  ASSERT_EQ(th_count_alive(pb, 2), 2);
  ASSERT_EQ(count_in("app-a", NULL), 0);
  ASSERT_EQ(count_in("app.b_2", NULL), 1);

  /* All namespaces: app.b_2's tree goes too. */
  ASSERT_OK(mv_registry_clear(rt_dir(), NULL, NULL, 10, &killed));
  ASSERT_EQ(killed, 1);
  ASSERT_EQ(th_count_alive(pb, 2), 0);
  ASSERT_EQ(waitpid(hb, &st, 0), hb);
  ASSERT_EQ(WEXITSTATUS(st), 0);
  ASSERT_EQ(count_in(NULL, NULL), 0);
  ASSERT(!th_has_children());
  return 0;
}

/* The one entry file in the registry, read into buf; its path in path. */
static int read_only_entry(char *path, size_t psize, char *buf, size_t bsize) {
  DIR *d = opendir(rt_dir());
  if (d == NULL) return -1;
  struct dirent *de;
  int found = 0;
  while ((de = readdir(d)) != NULL) {
    size_t l = strlen(de->d_name);
    if (l > 6 && strcmp(de->d_name + l - 6, ".entry") == 0) {
      snprintf(path, psize, "%s/%s", rt_dir(), de->d_name);
      found++;
    }
  }
  closedir(d);
  if (found != 1) return -1;
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  size_t n = fread(buf, 1, bsize - 1, f);
  fclose(f);
  buf[n] = '\0';
  return 0;
}

/* Replace the entry file with `text` (atomically, as the registry does). */
static void rewrite_entry(const char *path, const char *text) {
  char tmp[600];
  snprintf(tmp, sizeof(tmp), "%s.new", path);
  FILE *f = fopen(tmp, "w");
  fputs(text, f);
  fclose(f);
  rename(tmp, path);
}

TEST_IMPL(registry_namespace_old_entries_are_default) {
  char pf[256];
  snprintf(pf, sizeof(pf), "%s/old", th_tmpdir());
  pid_t host = start_host_in(NULL, pf);
  pid_t p[4];
  ASSERT_EQ(th_wait_pids(pf, p, 2, 10), 2);
  char path[512], text[2048];
  ASSERT_OK(read_only_entry(path, sizeof(path), text, sizeof(text)));
  /* A configuration without a namespace registers under "default". */
  ASSERT_CONTAINS(text, "\nnamespace=default\n");
  ASSERT_EQ(count_in("default", NULL), 1);

  /* The same entry as a build without namespaces wrote it: no such line. */
  char *line = strstr(text, "namespace=default\n");
  memmove(line, line + strlen("namespace=default\n"), strlen(line + strlen("namespace=default\n")) + 1);
  ASSERT(strstr(text, "namespace") == NULL);
  rewrite_entry(path, text);
  mv_entry_t *e;
  size_t n;
  ASSERT_OK(mv_registry_list(rt_dir(), "default", NULL, &e, &n));
  ASSERT_EQ(n, 1);
  ASSERT_STR_EQ(e[0].ns, "default");
  free(e);
  ASSERT_EQ(count_in("other", NULL), 0);
  int killed = -1;
  ASSERT_OK(mv_registry_clear(rt_dir(), "other", NULL, 10, &killed));
  ASSERT_EQ(killed, 0);
  ASSERT_EQ(th_count_alive(p, 2), 2);

  /* A namespace no build writes makes the entry corrupt: skipped, and its
   * tree is never signalled. */
  char bad[2100];
  snprintf(bad, sizeof(bad), "%snamespace=../etc\n", text);
  rewrite_entry(path, bad);
  ASSERT_EQ(count_in(NULL, NULL), 0);
  ASSERT_OK(mv_registry_clear(rt_dir(), NULL, NULL, 10, &killed));
  ASSERT_EQ(killed, 0);
  ASSERT_EQ(th_count_alive(p, 2), 2);

  /* The old form again: cleared in "default". */
  rewrite_entry(path, text);
  ASSERT_OK(mv_registry_clear(rt_dir(), "default", NULL, 10, &killed));
  ASSERT_EQ(killed, 1);
  ASSERT_EQ(th_count_alive(p, 2), 0);
  int st;
  ASSERT_EQ(waitpid(host, &st, 0), host);
  ASSERT_EQ(WEXITSTATUS(st), 0);
  return 0;
}

static int entries_in_registry(void) {
  DIR *d = opendir(rt_dir());
  if (d == NULL) return 0;
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) n += de->d_name[0] != '.';
  closedir(d);
  return n;
}

TEST_IMPL(registry_namespace_invalid_rejected) {
  char longest[MV_NAMESPACE_MAX + 1], too_long[MV_NAMESPACE_MAX + 2];
  memset(longest, 'n', MV_NAMESPACE_MAX);
  longest[MV_NAMESPACE_MAX] = '\0';
  memset(too_long, 'n', MV_NAMESPACE_MAX + 1);
  too_long[MV_NAMESPACE_MAX + 1] = '\0';
  const char *const bad[] = {"", "a/b", "..a b", "ns\n", "\xc3\xa9", "a:b", "$x", too_long};
  const char *const good[] = {"default", "a", "A.b-c_9", "..", "-", longest};
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) ASSERT_OK(mv_check_namespace(good[i]));
  char pf[256];
  snprintf(pf, sizeof(pf), "%s/never", th_tmpdir());
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ASSERT_EQ(mv_check_namespace(bad[i]), MV_EINVAL);
    ASSERT_CONTAINS(mv_last_error(), "namespace");
    /* In a configuration: refused before anything starts. */
    mv_config_t cfg;
    th_config(&cfg);
    ASSERT_OK(mv_config_set_string(&cfg.ns, bad[i]));
    ASSERT_EQ(mv_config_validate(&cfg), MV_EINVAL);
    mv_report_t r;
    char payload[512];
    snprintf(payload, sizeof(payload), "{\"pidfile\": \"%s\"}", pf);
    ASSERT_EQ(th_run(&cfg, "img", payload, 5, &r), MV_EINVAL);
    ASSERT_CONTAINS(mv_last_error(), "namespace");
    mv_config_dispose(&cfg);
    /* ... and by list and clear. */
    mv_entry_t *e = NULL;
    size_t n = 99;
    ASSERT_EQ(mv_registry_list(rt_dir(), bad[i], NULL, &e, &n), MV_EINVAL);
    ASSERT_EQ(n, 0);
    int killed = -1;
    ASSERT_EQ(mv_registry_clear(rt_dir(), bad[i], NULL, 1, &killed), MV_EINVAL);
    ASSERT_EQ(killed, 0);
  }
  usleep(200000);
  ASSERT(access(pf, F_OK) != 0); /* no worker ever ran */
  ASSERT_EQ(entries_in_registry(), 0);
  ASSERT(!th_has_children());
  return 0;
}

TEST_IMPL(registry_namespace_in_the_configuration) {
  mv_config_t a, b;
  th_config(&a);
  ASSERT_STR_EQ(mv_config_namespace(&a), MV_DEFAULT_NAMESPACE);
  ASSERT_OK(mv_config_copy(&b, &a));
  /* Unset and "default" start workers the same way. */
  ASSERT_OK(mv_config_set_string(&b.ns, MV_DEFAULT_NAMESPACE));
  ASSERT_EQ(mv_config_same_start(&a, &b), 1);
  /* Another namespace does not: a warm pool made under one is replaced,
   * so that its processes are registered where the configuration says. */
  ASSERT_OK(mv_config_set_string(&a.ns, "app-a"));
  ASSERT_EQ(mv_config_same_start(&a, &b), 0);
  mv_config_dispose(&b);
  ASSERT_OK(mv_config_copy(&b, &a));
  ASSERT_STR_EQ(b.ns, "app-a");
  ASSERT(b.ns != a.ns);
  ASSERT_EQ(mv_config_same_start(&a, &b), 1);
  ASSERT_OK(mv_config_validate(&b));
  mv_config_dispose(&a);
  mv_config_dispose(&b);
  ASSERT(a.ns == NULL && b.ns == NULL);
  return 0;
}
