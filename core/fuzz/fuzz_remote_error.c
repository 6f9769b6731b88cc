/*
 * libFuzzer target for mv_remote_error_parse().
 *
 * The input is parsed as a worker's stderr. libFuzzer hands over a buffer
 * of exactly `size` bytes, so AddressSanitizer reports any read past len.
 * Each result is checked against the parser's contract, then disposed so
 * LeakSanitizer sees every allocation released. A second parse must give
 * the same answer (the parser keeps no state between calls).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icore/include \
 *     core/fuzz/fuzz_remote_error.c core/src/remote_error.c -o /tmp/fz
 *   /tmp/fz -max_total_time=60 core/fuzz/corpus/remote_error
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multiverse.h"

#define FRAME_CAP 200

/* abort() rather than assert(): the check must not vanish under NDEBUG. */
#define CHECK(expr)                                                         \
  do {                                                                      \
    if (!(expr)) abort();                                                   \
  } while (0)

/* A returned string: present, and its NUL within the first len + 1 bytes
 * (a copy of input bytes can never be longer than the input). The parser
 * also names things the input does not spell out: `fixed`, when given, is
 * the one such name allowed for this field. */
static void check_string(const char *s, size_t len, const char *fixed) {
  CHECK(s != NULL);
  if (fixed != NULL && strcmp(s, fixed) == 0) return;
  size_t i = 0;
  while (i <= len && s[i] != '\0') i++;
  CHECK(i <= len);
}

static void check_result(int rc, const mv_remote_error_t *e, size_t len) {
  CHECK(rc == 0 || rc == 1 || rc == MV_ENOMEM);
  if (rc != 1) {
    CHECK(e->type == NULL && e->message == NULL && e->language == NULL);
    CHECK(e->frames == NULL && e->nframes == 0);
    return;
  }
  check_string(e->type, len, "Uncaught"); /* a Node non-Error value */
  CHECK(e->type[0] != '\0');
  check_string(e->message, len, NULL);
  CHECK(strcmp(e->language, "python") == 0 || strcmp(e->language, "node") == 0 ||
        strcmp(e->language, "php") == 0);
  CHECK(e->nframes <= FRAME_CAP);
  CHECK((e->nframes == 0) == (e->frames == NULL));
  for (size_t i = 0; i < e->nframes; i++) {
    check_string(e->frames[i].file, len, NULL);
    check_string(e->frames[i].function, len, "<anonymous>");
    CHECK(e->frames[i].line >= 0);
  }
}

static int same_string(const char *a, const char *b) {
  return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void check_same(const mv_remote_error_t *a, const mv_remote_error_t *b) {
  CHECK(same_string(a->type, b->type));
  CHECK(same_string(a->message, b->message));
  CHECK(same_string(a->language, b->language));
  CHECK(a->nframes == b->nframes);
  for (size_t i = 0; i < a->nframes; i++) {
    CHECK(same_string(a->frames[i].file, b->frames[i].file));
    CHECK(same_string(a->frames[i].function, b->frames[i].function));
    CHECK(a->frames[i].line == b->frames[i].line);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mv_remote_error_t a, b;
  /* garbage in the output struct must not matter */
  memset(&a, 0xA5, sizeof a);
  memset(&b, 0x5A, sizeof b);
  int rc = mv_remote_error_parse((const char *)data, size, &a);
  check_result(rc, &a, size);
  int rc2 = mv_remote_error_parse((const char *)data, size, &b);
  CHECK(rc2 == rc);
  check_same(&a, &b);
  mv_remote_error_dispose(&a);
  mv_remote_error_dispose(&b);
  CHECK(a.type == NULL && a.frames == NULL && a.nframes == 0);
  return 0;
}
