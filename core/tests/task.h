/*
 * Minimal test harness (after libuv's test/task.h): each test is a
 * function registered in test-list.h; the runner executes one test per
 * process so a crash fails only that test.
 */
#ifndef MV_TEST_TASK_H
#define MV_TEST_TASK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_IMPL(name) int run_test_##name(void); int run_test_##name(void)

#define FAIL_AT(...)                                                        \
  do {                                                                      \
    fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                         \
    fprintf(stderr, __VA_ARGS__);                                           \
    fprintf(stderr, "\n");                                                  \
    abort();                                                                \
  } while (0)

#define ASSERT(expr)                                                        \
  do {                                                                      \
    if (!(expr)) FAIL_AT("assertion failed: %s", #expr);                    \
  } while (0)

#define ASSERT_EQ(a, b)                                                     \
  do {                                                                      \
    long long a_ = (long long)(a), b_ = (long long)(b);                     \
    if (a_ != b_) FAIL_AT("%s == %s failed: %lld != %lld", #a, #b, a_, b_); \
  } while (0)

#define ASSERT_OK(expr)                                                     \
  do {                                                                      \
    long long r_ = (long long)(expr);                                       \
    if (r_ != 0) FAIL_AT("%s returned %lld (%s)", #expr, r_,                \
                         mv_last_error());                                  \
  } while (0)

#define ASSERT_STR_EQ(a, b)                                                 \
  do {                                                                      \
    const char *a_ = (a), *b_ = (b);                                        \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                    \
      FAIL_AT("%s == %s failed: \"%s\" != \"%s\"", #a, #b,                  \
              a_ ? a_ : "(null)", b_ ? b_ : "(null)");                      \
  } while (0)

#define ASSERT_CONTAINS(hay, needle)                                        \
  do {                                                                      \
    const char *h_ = (hay), *n_ = (needle);                                 \
    if (h_ == NULL || strstr(h_, n_) == NULL)                               \
      FAIL_AT("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_);    \
  } while (0)

#endif
