/* Small units: capture, JSON validation, errors, config checks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "internal.h"
#include "task.h"

TEST_IMPL(unit_capture_head_and_tail) {
  mv__capture_t c;
  mv_buf_t b;
  mv__capture_init(&c, 8, 0);
  mv__capture_append(&c, "0123456789", 10);
  mv__capture_append(&c, "abc", 3);
  ASSERT_OK(mv__capture_finish(&c, &b));
  ASSERT_STR_EQ(b.data, "01234567");
  ASSERT(b.truncated);
  ASSERT_EQ(b.total, 13);
  free(b.data);

  mv__capture_init(&c, 8, 1);
  const char *parts[] = {"012", "3456", "789", "abcdefghijk", "XY"};
  for (int i = 0; i < 5; i++) mv__capture_append(&c, parts[i], strlen(parts[i]));
  ASSERT_OK(mv__capture_finish(&c, &b));
  ASSERT_STR_EQ(b.data, "fghijkXY");
  ASSERT_EQ(b.len, 8);
  free(b.data);

  mv__capture_init(&c, 8, 1);
  mv__capture_append(&c, "ab", 2);
  ASSERT_OK(mv__capture_finish(&c, &b));
  ASSERT_STR_EQ(b.data, "ab");
  ASSERT(!b.truncated);
  free(b.data);
  mv__capture_dispose(&c);
  return 0;
}

TEST_IMPL(unit_json_validator) {
  const char *good[] = {"{}", " [1, 2.5e-3, -0, \"a\\u00e9\\n\", true, false, null] ",
                        "\"x\"", "0", "{\"a\": {\"b\": []}}", "\n42\n", NULL};
  const char *bad[] = {"", "  ", "{", "[1,]", "{\"a\" 1}", "01", "1.", "tru", "\"\\x\"",
                       "[1] [2]", "{'a': 1}", "NaN", "\"\x01\"", NULL};
  for (int i = 0; good[i]; i++) ASSERT(mv__json_valid(good[i], strlen(good[i])));
  for (int i = 0; bad[i]; i++) ASSERT(!mv__json_valid(bad[i], strlen(bad[i])));
  /* depth is bounded, not a stack overflow */
  size_t n = 100000;
  char *deep = malloc(n);
  memset(deep, '[', n);
  ASSERT(!mv__json_valid(deep, n));
  free(deep);
  return 0;
}

TEST_IMPL(unit_errors_and_config_checks) {
  ASSERT_STR_EQ(mv_err_name(MV_ETIMEDOUT), "MV_ETIMEDOUT");
  ASSERT_STR_EQ(mv_strerror(MV_EMFILE), "too many open files");
  ASSERT_STR_EQ(mv_err_name(12345), "MV_UNKNOWN");
  ASSERT_EQ(mv_check_timeout(NAN, "timeout"), MV_EINVAL);
  ASSERT_CONTAINS(mv_last_error(), "NAN");
  ASSERT_EQ(mv_check_timeout(-1, "$timeout"), MV_EINVAL);
  ASSERT_CONTAINS(mv_last_error(), "$timeout must be >= 0");
  ASSERT_EQ(mv_check_timeout(INFINITY, "timeout"), MV_EINVAL);
  ASSERT_OK(mv_check_timeout(0, "timeout"));
  mv_config_t cfg, copy;
  mv_config_init(&cfg);
  ASSERT_OK(mv_config_validate(&cfg));
  cfg.kill_grace = -2;
  ASSERT_EQ(mv_config_validate(&cfg), MV_EINVAL);
  ASSERT_CONTAINS(mv_last_error(), "kill_grace");
  cfg.kill_grace = 1;
  mv_config_set_string(&cfg.python, "");
  ASSERT_EQ(mv_config_validate(&cfg), MV_EINVAL);
  mv_config_set_string(&cfg.python, "/usr/bin/python3");
  ASSERT_OK(mv_config_copy(&copy, &cfg));
  ASSERT_STR_EQ(copy.python, "/usr/bin/python3");
  char dir[256];
  ASSERT_OK(mv_config_runtime_dir(&cfg, dir, sizeof(dir)));
  ASSERT(dir[0] == '/');
  mv_config_dispose(&cfg);
  mv_config_dispose(&copy);
  ASSERT(mv_cpu_count() >= 1);
  return 0;
}

TEST_IMPL(unit_procstat_and_which) {
  mv__procstat_t ps;
  ASSERT_OK(mv__procstat(getpid(), &ps));
  ASSERT_EQ(ps.ppid, getppid());
  ASSERT(ps.start > 0);
  char *p = mv__which("sh");
  ASSERT(p != NULL && p[0] == '/');
  free(p);
  ASSERT(mv__which("definitely-not-a-program-xyz") == NULL);
  return 0;
}
