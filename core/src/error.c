/*
 * Error codes and the thread-local detail message (after libgit2's
 * git_error_last): a failing call records one precise sentence that the
 * bindings put into the exception they raise.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The only mutable state of this file: one buffer per thread. */
static _Thread_local char mv__detail[1024];

const char *mv_err_name(int err) {
  switch (err) {
    case MV_OK: return "MV_OK";
#define XX(name, val, msg) case MV_##name: return "MV_" #name;
    MV_ERRNO_MAP(XX)
#undef XX
  }
  return "MV_UNKNOWN";
}

const char *mv_strerror(int err) {
  switch (err) {
    case MV_OK: return "success";
#define XX(name, val, msg) case MV_##name: return msg;
    MV_ERRNO_MAP(XX)
#undef XX
  }
  return "unknown error";
}

const char *mv_last_error(void) { return mv__detail; }

void mv_clear_error(void) { mv__detail[0] = '\0'; }

static void mv__vset(const char *fmt, va_list ap) {
  vsnprintf(mv__detail, sizeof(mv__detail), fmt, ap);
}

int mv__error(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  mv__vset(fmt, ap);
  va_end(ap);
  return code;
}

int mv__syserror(int code, const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  mv__vset(fmt, ap);
  va_end(ap);
  size_t n = strlen(mv__detail);
  snprintf(mv__detail + n, sizeof(mv__detail) - n, ": %s", strerror(saved));
  if (code == MV_ESYS) {
    if (saved == EMFILE || saved == ENFILE) code = MV_EMFILE;
    else if (saved == ENOMEM) code = MV_ENOMEM;
  }
  errno = saved;
  return code;
}
