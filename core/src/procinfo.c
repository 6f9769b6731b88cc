/*
 * Process identity from /proc: parent, state and start time. The start
 * time (field 22 of /proc/<pid>/stat, clock ticks since boot) together with
 * the pid names a process uniquely, which is how the registry avoids
 * signalling a recycled pid.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int mv__procstat(pid_t pid, mv__procstat_t *out) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  ssize_t n = mv__read_file(path, buf, sizeof(buf));
  if (n <= 0) return -1;
  /* comm is in parentheses and may itself contain ')' or spaces: the
   * fields resume after the last ')'. */
  char *rp = strrchr(buf, ')');
  if (rp == NULL || rp[1] == '\0') {
    errno = EINVAL;
    return -1;
  }
  char *p = rp + 2;
  out->pid = pid;
  out->state = *p;
  /* After the state come fields 4.. ; we need 4 (ppid) and 22 (start). */
  int field = 3;
  char *save = NULL;
  unsigned long long start = 0;
  long ppid = 0;
  for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
    if (field == 4) ppid = strtol(tok, NULL, 10);
    if (field == 22) {
      start = strtoull(tok, NULL, 10);
      break;
    }
    field++;
  }
  if (field != 22) {
    errno = EINVAL;
    return -1;
  }
  out->ppid = (pid_t)ppid;
  out->start = start;
  return 0;
}

long mv__proc_rss_kb(pid_t pid) {
  char path[64], buf[256];
  snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
  if (mv__read_file(path, buf, sizeof(buf)) <= 0) return -1;
  unsigned long size = 0, resident = 0;
  if (sscanf(buf, "%lu %lu", &size, &resident) != 2) return -1;
  return (long)(resident * (unsigned long)(sysconf(_SC_PAGESIZE) / 1024));
}
