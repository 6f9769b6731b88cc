/*
 * Containment: which processes belong to a task, and killing them all.
 *
 * Every task runs below its own supervisor, which is a child subreaper: a
 * descendant orphaned by setsid() + double fork is reparented to the
 * supervisor instead of init, so the task's lineage is exactly the
 * supervisor's descendants. In the cgroup
 * tier the task root also starts in a fresh cgroup v2 leaf, whose final
 * SIGKILL is one atomic write to cgroup.kill (Linux >= 5.14).
 *
 * The tree is the union of both nets, never one alone: a process allowed
 * to write an ancestor's cgroup.procs (root, or a delegated cgroup) can
 * leave the leaf, but not its lineage; a lineage member seen outside the
 * leaf is a breach, counted so the report can say so. Descendants are
 * found by walking /proc (this kernel may lack
 * /proc/<pid>/task/<tid>/children).
 *
 * Every signal goes through a pidfd opened and then checked against the
 * start time read in the walk, so a pid recycled in between is never hit.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  mv__procstat_t *v;
  size_t n, cap;
} mv__proclist_t;

static int mv__proclist_push(mv__proclist_t *l, const mv__procstat_t *p) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 256;
    mv__procstat_t *nv = realloc(l->v, cap * sizeof(*nv));
    if (nv == NULL) return -1;
    l->v = nv;
    l->cap = cap;
  }
  l->v[l->n++] = *p;
  return 0;
}

/* Every process on the system (pid, ppid, state, start). */
static int mv__proc_scan(mv__proclist_t *all) {
  DIR *d = opendir("/proc");
  if (d == NULL) return -1;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    char *end;
    long pid = strtol(de->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    mv__procstat_t ps;
    if (mv__procstat((pid_t)pid, &ps) < 0) continue; /* exited meanwhile */
    if (mv__proclist_push(all, &ps) < 0) {
      closedir(d);
      return -1;
    }
  }
  closedir(d);
  return 0;
}

/* Descendants of root, found breadth-first over the ppid links. */
static int mv__descendants(pid_t root, mv__proclist_t *out) {
  mv__proclist_t all = {0};
  if (mv__proc_scan(&all) < 0) {
    free(all.v);
    return -1;
  }
  /* Frontier of parents, starting at root; O(depth * n) is fine for the
   * few thousand processes of a machine. */
  size_t done = 0;
  pid_t *parents = malloc(sizeof(pid_t) * (all.n + 1));
  if (parents == NULL) {
    free(all.v);
    return -1;
  }
  size_t np = 0;
  parents[np++] = root;
  char *taken = calloc(all.n ? all.n : 1, 1);
  if (taken == NULL) {
    free(parents);
    free(all.v);
    return -1;
  }
  while (done < np) {
    size_t end = np;
    for (size_t i = 0; i < all.n; i++) {
      if (taken[i]) continue;
      for (size_t j = done; j < end; j++) {
        if (all.v[i].ppid == parents[j] && all.v[i].pid != root) {
          taken[i] = 1;
          parents[np++] = all.v[i].pid;
          if (mv__proclist_push(out, &all.v[i]) < 0) goto oom;
          break;
        }
      }
    }
    done = end;
  }
  free(taken);
  free(parents);
  free(all.v);
  return 0;
oom:
  free(taken);
  free(parents);
  free(all.v);
  return -1;
}

/* Members of a cgroup leaf (direct members only: a task that made
 * sub-cgroups below its leaf is still found through its lineage). */
static int mv__cgroup_members(int cgfd, mv__proclist_t *out) {
  int fd = openat(cgfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  FILE *f = fdopen(fd, "r");
  if (f == NULL) {
    close(fd);
    return -1;
  }
  long pid;
  while (fscanf(f, "%ld", &pid) == 1) {
    mv__procstat_t ps;
    if (mv__procstat((pid_t)pid, &ps) < 0) continue;
    if (mv__proclist_push(out, &ps) < 0) {
      fclose(f);
      return -1;
    }
  }
  fclose(f);
  return 0;
}

static int mv__proclist_has(const mv__proclist_t *l, pid_t pid) {
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i].pid == pid) return 1;
  return 0;
}

/* Is pid in the leaf or a cgroup below it? Read from /proc/<pid>/cgroup
 * ("0::/relative/path"), compared with the leaf's path below the mount. */
static int mv__in_leaf(const mv__contain_t *c, pid_t pid) {
  char path[64], buf[4096];
  snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
  if (mv__read_file(path, buf, sizeof(buf)) <= 0) return 1; /* gone: not a breach */
  const char *rel = c->cgroup_path + c->mount_len;
  size_t rl = strlen(rel);
  for (char *line = buf; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    if (strncmp(line, "0::", 3) == 0) {
      const char *cg = line + 3;
      return strncmp(cg, rel, rl) == 0 && (cg[rl] == '\0' || cg[rl] == '/');
    }
    line = nl ? nl + 1 : NULL;
  }
  return 1;
}

/* The tree: the leaf's members and the anchor's lineage (its descendants
 * and, when the anchor is the task root, the anchor itself). Neither net
 * alone is enough: a process with write access to a cgroup.procs above
 * the leaf can leave it, and a double fork leaves a lineage that has no
 * subreaper. A lineage member outside the leaf is a breach: counted in
 * c->breached. */
static int mv__tree(mv__contain_t *c, mv__proclist_t *out) {
  if (c->cgroup_fd >= 0 && mv__cgroup_members(c->cgroup_fd, out) < 0) return -1;
  mv__proclist_t lin = {0};
  if (c->anchor <= 0) return 0; /* the leaf alone (host-side cleanup, root unknown) */
  if (mv__descendants(c->anchor, &lin) < 0) {
    free(lin.v);
    return -1;
  }
  if (c->anchor != c->self) {
    mv__procstat_t a;
    if (mv__procstat(c->anchor, &a) == 0 && a.start == c->anchor_start &&
        mv__proclist_push(&lin, &a) < 0) {
      free(lin.v);
      return -1;
    }
  }
  int outside = 0;
  for (size_t i = 0; i < lin.n; i++) {
    const mv__procstat_t *p = &lin.v[i];
    if (p->pid == c->exclude || p->state == 'Z' || mv__proclist_has(out, p->pid)) continue;
    if (mv__proclist_push(out, p) < 0) {
      free(lin.v);
      return -1;
    }
    if (c->cgroup_fd >= 0 && !mv__in_leaf(c, p->pid)) outside++;
  }
  free(lin.v);
  if (outside > c->breached) c->breached = outside;
  return 0;
}

/* Signal one process through a pidfd, after checking it is still the one
 * the walk saw. */
static int mv__signal_checked(const mv__procstat_t *p, int sig) {
  int pfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
  if (pfd < 0) return 0;
  mv__procstat_t now;
  int ok = mv__procstat(p->pid, &now) == 0 && now.start == p->start;
  if (ok) ok = syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) == 0;
  close(pfd);
  return ok;
}

/* A process of the tree that may be signalled: alive, not the supervisor
 * and not its helper. */
static int mv__target(const mv__contain_t *c, const mv__procstat_t *p) {
  return p->pid != c->self && p->pid != c->exclude && p->state != 'Z';
}

int mv__contain_signal_all(mv__contain_t *c, int sig) {
  mv__proclist_t l = {0};
  if (mv__tree(c, &l) < 0) {
    free(l.v);
    return -1;
  }
  int n = 0, anchor = -1;
  for (size_t i = 0; i < l.n; i++) {
    if (!mv__target(c, &l.v[i])) continue;
    /* The anchor goes last: while it lives, orphans of the tree are
     * reparented to it (it is a subreaper) and stay findable. */
    if (l.v[i].pid == c->anchor && c->anchor != c->self) {
      anchor = (int)i;
      continue;
    }
    n += mv__signal_checked(&l.v[i], sig);
  }
  /* A root that leaves its leaf takes its children's last net with it
   * when it dies: once a breach is seen it is stopped instead, and the
   * kill rounds (which come at once for a breached tree) end it last. */
  if (anchor >= 0)
    n += mv__signal_checked(&l.v[anchor], c->breached && sig == SIGTERM ? SIGSTOP : sig);
  free(l.v);
  return n;
}

int mv__contain_count(mv__contain_t *c) {
  mv__proclist_t l = {0};
  if (mv__tree(c, &l) < 0) {
    free(l.v);
    return -1;
  }
  int n = 0;
  for (size_t i = 0; i < l.n; i++) n += mv__target(c, &l.v[i]);
  free(l.v);
  return n;
}

static void mv__cgroup_kill(const mv__contain_t *c) {
  if (c->cgroup_fd < 0) return;
  int fd = openat(c->cgroup_fd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (write(fd, "1", 1) < 0) {
    /* the walk kills what it finds all the same */
  }
  close(fd);
}

int mv__contain_kill_round(mv__contain_t *c) {
  /* A task root that is the anchor is stopped, not killed, while it has
   * descendants: a stopped process forks nothing, and the orphans of the
   * descendants killed meanwhile come back to it instead of init. The
   * leaf's atomic kill would take the root first, so it waits too. */
  int anchored = c->anchor > 0 && c->anchor != c->self;
  if (!anchored && !c->self_in_leaf) mv__cgroup_kill(c);
  mv__proclist_t l = {0};
  if (mv__tree(c, &l) < 0) {
    free(l.v);
    return -1;
  }
  int n = 0;
  const mv__procstat_t *anchor = NULL;
  for (size_t i = 0; i < l.n; i++) {
    if (!mv__target(c, &l.v[i])) continue;
    if (anchored && l.v[i].pid == c->anchor) {
      anchor = &l.v[i];
      continue;
    }
    n += mv__signal_checked(&l.v[i], SIGKILL);
  }
  int others = n;
  if (anchor) n += mv__signal_checked(anchor, others > 0 ? SIGSTOP : SIGKILL);
  if (anchored && others == 0 && !c->self_in_leaf) mv__cgroup_kill(c);
  free(l.v);
  return n;
}

int mv__contain_kill_sync(mv__contain_t *c, double timeout) {
  double deadline = mv__now() + timeout;
  for (;;) {
    int n = mv__contain_kill_round(c);
    if (n == 0 && mv__contain_count(c) == 0) return 0;
    if (mv__now() >= deadline) return -1;
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* cgroup v2 discovery -------------------------------------------------- */

/* Mount point of the cgroup2 hierarchy from /proc/self/mountinfo. */
static char *mv__cgroup2_mount(void) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL) return NULL;
  char *line = NULL, *found = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    /* fields: id parent maj:min root mountpoint opts... - fstype src opts */
    char *sep = strstr(line, " - ");
    if (sep == NULL || strncmp(sep + 3, "cgroup2 ", 8) != 0) continue;
    char root[4096], mnt[4096];
    if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2) continue;
    if (strcmp(root, "/") != 0) continue; /* a bind of a subtree: skip */
    found = mv__strdup(mnt);
    break;
  }
  free(line);
  fclose(f);
  return found;
}

/* The cgroup parent is resolved once per process: /proc/self/cgroup and
 * mountinfo are parsed again only in a new process (after fork). No
 * mutex: a forked child must never find one locked by a thread it did
 * not inherit. A superseded entry is left allocated (once per fork), as
 * another thread may still be reading it. */
typedef struct {
  pid_t pid;
  char *dir; /* NULL: no usable cgroup */
  size_t mount_len; /* dir[0..mount_len) is the cgroup2 mount point */
} mv__parent_cache_t;
static mv__parent_cache_t *_Atomic mv__parent_cache;

static char *mv__cgroup_parent_resolve(size_t *mount_len);

static mv__parent_cache_t *mv__parent_cached(void) {
  mv__parent_cache_t *c = atomic_load(&mv__parent_cache);
  if (c == NULL || c->pid != getpid()) {
    mv__parent_cache_t *n = malloc(sizeof(*n));
    if (n == NULL) return NULL;
    n->pid = getpid();
    n->mount_len = 0;
    n->dir = mv__cgroup_parent_resolve(&n->mount_len);
    atomic_store(&mv__parent_cache, n);
    c = n;
  }
  return c;
}

char *mv__cgroup_parent(void) {
  mv__parent_cache_t *c = mv__parent_cached();
  if (c == NULL) {
    size_t ml;
    return mv__cgroup_parent_resolve(&ml);
  }
  return c->dir ? mv__strdup(c->dir) : NULL;
}

size_t mv__cgroup_mount_len(void) {
  mv__parent_cache_t *c = mv__parent_cached();
  return c && c->dir ? c->mount_len : 0;
}

static char *mv__cgroup_parent_resolve(size_t *mount_len) {
  char buf[4096];
  if (mv__read_file("/proc/self/cgroup", buf, sizeof(buf)) <= 0) return NULL;
  const char *rel = NULL;
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "0::", 3) == 0) rel = line + 3;
  }
  if (rel == NULL) return NULL;
  char *mnt = mv__cgroup2_mount();
  if (mnt == NULL) return NULL;
  char *dir = mv__asprintf("%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
  *mount_len = strlen(mnt);
  free(mnt);
  if (dir == NULL) return NULL;
  /* Writable means: we may create a leaf here and move processes from
   * this cgroup into it (write access to the common ancestor's procs). */
  char procs[4200];
  snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
  if (access(dir, W_OK) != 0 || access(procs, W_OK) != 0) {
    free(dir);
    return NULL;
  }
  return dir;
}

char *mv__cgroup_make_leaf(const char *parent, const char *suffix) {
  char *leaf = mv__asprintf("%s/multiverse-%s", parent, suffix);
  if (leaf == NULL) return NULL;
  if (mkdir(leaf, 0755) < 0 && errno != EEXIST) {
    free(leaf);
    return NULL;
  }
  char kill_path[4200];
  snprintf(kill_path, sizeof(kill_path), "%s/cgroup.kill", leaf);
  if (access(kill_path, W_OK) != 0) { /* kernel < 5.14: no atomic kill */
    rmdir(leaf);
    free(leaf);
    return NULL;
  }
  return leaf;
}

/* mount_len: where the mount point ends in leaf, when the caller knows
 * (0: read it from mountinfo). */
static int mv__contain_open(mv__contain_t *c, char *leaf, size_t mount_len) {
  c->cgroup_fd = open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (c->cgroup_fd < 0) {
    rmdir(leaf);
    free(leaf);
    return -1;
  }
  c->cgroup_path = leaf;
  if (mount_len > 0 && mount_len < strlen(leaf) && leaf[mount_len] == '/') {
    c->mount_len = mount_len;
    return 0;
  }
  /* The leaf as /proc/<pid>/cgroup names it: its path below the mount. */
  char *mnt = mv__cgroup2_mount();
  size_t ml = mnt ? strlen(mnt) : 0;
  if (mnt && strncmp(leaf, mnt, ml) == 0 && leaf[ml] == '/') c->mount_len = ml;
  free(mnt);
  return 0;
}

static void mv__contain_reset(mv__contain_t *c) {
  memset(c, 0, sizeof(*c));
  c->cgroup_fd = -1;
  c->self = getpid();
  c->anchor = c->self;
}

int mv__contain_init(mv__contain_t *c, mv_containment_t want) {
  mv__contain_reset(c);
  if (want == MV_CONTAIN_SUBREAPER) return 0;
  char *parent = mv__cgroup_parent();
  char suffix[24];
  snprintf(suffix, sizeof(suffix), "%d", (int)c->self);
  char *leaf = parent ? mv__cgroup_make_leaf(parent, suffix) : NULL;
  free(parent);
  if (leaf && mv__contain_open(c, leaf, mv__cgroup_mount_len()) == 0) return 0;
  if (want == MV_CONTAIN_CGROUP)
    return mv__error(MV_ESUPERVISOR,
                     "containment 'cgroup' requested but no writable cgroup v2 "
                     "directory with cgroup.kill is available");
  return 0;
}

int mv__contain_adopt(mv__contain_t *c, const char *cgroup_path, size_t mount_len,
                      int self_in_leaf) {
  mv__contain_reset(c);
  if (cgroup_path == NULL || *cgroup_path == '\0') return 0;
  char *leaf = mv__strdup(cgroup_path);
  if (leaf == NULL || mv__contain_open(c, leaf, mount_len) < 0) return -1;
  /* A supervisor born in the leaf with its task kills member by member
   * (cgroup.kill would take it too); the host removes the leaf after. */
  if (self_in_leaf < 0) self_in_leaf = c->mount_len > 0 && mv__in_leaf(c, getpid());
  c->self_in_leaf = self_in_leaf;
  return 0;
}

void mv__contain_set_root(mv__contain_t *c, pid_t root, unsigned long long start) {
  c->anchor = root;
  c->anchor_start = start;
}

const char *mv__contain_tier(const mv__contain_t *c) {
  return c->cgroup_fd >= 0 ? "cgroup" : "subreaper";
}

int mv__contain_leave(mv__contain_t *c) {
  if (!c->self_in_leaf || c->cgroup_path == NULL) return 0;
  const char *slash = strrchr(c->cgroup_path, '/');
  if (slash == NULL) return -1;
  char procs[4200];
  snprintf(procs, sizeof(procs), "%.*s/cgroup.procs", (int)(slash - c->cgroup_path),
           c->cgroup_path);
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int ok = write(fd, "0", 1) == 1;
  close(fd);
  if (ok) c->self_in_leaf = 0;
  return ok ? 0 : -1;
}

void mv__contain_dispose(mv__contain_t *c) {
  if (c->cgroup_fd >= 0) close(c->cgroup_fd);
  c->cgroup_fd = -1;
  if (c->cgroup_path) {
    /* Empty by now, but the kernel may finish the exit of the last member
     * a moment after it was reaped. A supervisor inside the leaf leaves
     * that to the host, which reaps it. */
    for (int i = 0; i < 50 && !c->self_in_leaf && rmdir(c->cgroup_path) < 0 && errno == EBUSY;
         i++) {
      struct timespec ts = {0, 2 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
    free(c->cgroup_path);
    c->cgroup_path = NULL;
  }
}

const char *mv_containment_probe(mv_containment_t want) {
  if (want == MV_CONTAIN_SUBREAPER) return "subreaper";
  char *parent = mv__cgroup_parent();
  int ok = parent != NULL;
  free(parent);
  return ok ? "cgroup" : (want == MV_CONTAIN_CGROUP ? "none" : "subreaper");
}
