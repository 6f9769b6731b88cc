/*
 * The supervisor executable travels inside the library (image_data.c
 * embeds it with .incbin), so a pecl or pip install needs no helper binary
 * on disk. It is copied once per process into a sealed memfd and exec'd
 * from there with execveat(AT_EMPTY_PATH).
 *
 * Process-wide state (the one documented exception to "no globals"): the
 * cached fd of that memfd, guarded by a mutex. It is created on first use,
 * is close-on-exec, and is checked before each use in case the host closed
 * it (daemonising code does that). MULTIVERSE_SUPERVISOR=/path overrides
 * the embedded image (packagers, or hosts where memfd exec is forbidden).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

extern const unsigned char mv__supervisor_image[] __attribute__((visibility("hidden")));
extern const unsigned char mv__supervisor_image_end[] __attribute__((visibility("hidden")));

static pthread_mutex_t mv__image_lock = PTHREAD_MUTEX_INITIALIZER;
static int mv__image_fd = -1;
static dev_t mv__image_dev;
static ino_t mv__image_ino;

static int mv__image_write(int fd) {
  size_t len = (size_t)(mv__supervisor_image_end - mv__supervisor_image);
  if (mv__write_all(fd, mv__supervisor_image, len) < 0) return -1;
  return 0;
}

static int mv__image_memfd(void) {
  int fd = memfd_create("multiverse-supervisor", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create("multiverse-supervisor", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  if (mv__image_write(fd) < 0) {
    close(fd);
    return -1;
  }
  /* Nobody, not even the host, can change the image after this. */
  fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  return fd;
}

/* Fallback: an unnamed file in the temp dir, reopened read-only (exec of
 * an fd open for writing fails with ETXTBSY). */
static int mv__image_tmpfile(void) {
  const char *dir = getenv("TMPDIR");
  if (dir == NULL || *dir == '\0') dir = "/tmp";
  int rw = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0700);
  if (rw < 0) return -1;
  if (mv__image_write(rw) < 0) {
    close(rw);
    return -1;
  }
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", rw);
  int ro = open(path, O_RDONLY | O_CLOEXEC);
  close(rw);
  return ro;
}

const char *mv__supervisor_path(void) {
  const char *p = getenv("MULTIVERSE_SUPERVISOR");
  return (p && *p) ? p : NULL;
}

int mv__supervisor_exec_fd(void) {
  pthread_mutex_lock(&mv__image_lock);
  struct stat st;
  if (mv__image_fd >= 0 &&
      (fstat(mv__image_fd, &st) < 0 || st.st_dev != mv__image_dev ||
       st.st_ino != mv__image_ino)) {
    mv__image_fd = -1; /* closed or replaced behind our back */
  }
  if (mv__image_fd < 0) {
    int fd = mv__image_memfd();
    if (fd < 0) fd = mv__image_tmpfile();
    if (fd >= 0 && fstat(fd, &st) == 0) {
      mv__image_fd = fd;
      mv__image_dev = st.st_dev;
      mv__image_ino = st.st_ino;
    } else if (fd >= 0) {
      close(fd);
    }
  }
  int fd = mv__image_fd;
  pthread_mutex_unlock(&mv__image_lock);
  if (fd < 0) return mv__syserror(MV_ESUPERVISOR, "cannot materialise the supervisor image");
  return fd;
}
