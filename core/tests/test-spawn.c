/* Running workers: lookup, protocol, outcomes, exec errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "multiverse.h"
#include "task.h"

TEST_IMPL(spawn_result_channel) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  ASSERT_OK(th_run(&cfg, "echo", "{\"a\": [1, 2]}", 0, &r));
  ASSERT_EQ(r.result_source, MV_RESULT_CHANNEL);
  ASSERT_STR_EQ(r.result.data, "{\"echo\": {\"a\": [1, 2]}}");
  /* stdout logging did not end up in the result */
  ASSERT_CONTAINS(r.out.data, "debug output on stdout");
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_EQ(r.signal, 0);
  ASSERT(r.elapsed > 0 && r.elapsed < 10);
  ASSERT(r.maxrss_kb > 1000);
  ASSERT(r.utime + r.stime > 0);
  ASSERT_STR_EQ(r.worker, "echo");
  ASSERT_EQ(r.driver, MV_DRIVER_PYTHON);
  ASSERT(strlen(r.task_id) == 16);
  mv_report_dispose(&r);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_stdout_result_any_json) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  ASSERT_OK(th_run(&cfg, "stdout_json", "{\"n\": 7}", 0, &r));
  ASSERT_EQ(r.result_source, MV_RESULT_STDOUT);
  ASSERT_STR_EQ(r.result.data, "[7, \"list results are fine\"]\n");
  mv_report_dispose(&r);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_env_cwd_argv) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  ASSERT_OK(th_run(&cfg, "env_cwd", "{\"secret\": \"not-in-argv\"}", 0, &r));
  ASSERT_CONTAINS(r.result.data, "\"cwd\": \"" MV_TEST_FIXTURES "/workers/env_cwd\"");
  ASSERT_CONTAINS(r.result.data, "\"worker\": \"env_cwd\"");
  ASSERT_CONTAINS(r.result.data, "\"result_fd\": \"3\"");
  char want[64];
  snprintf(want, sizeof(want), "\"task_id\": \"%s\"", r.task_id);
  ASSERT_CONTAINS(r.result.data, want);
  /* the payload never appears in argv or the environment */
  ASSERT(strstr(r.result.data, "not-in-argv") == NULL);
  mv_report_dispose(&r);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_lookup_order_and_drivers) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_worker_t w;
  ASSERT_OK(mv_worker_resolve(&cfg, "echo", &w));
  ASSERT_EQ(w.driver, MV_DRIVER_PYTHON);
  ASSERT_CONTAINS(w.script, "/workers/echo/main.py");
  ASSERT_STR_EQ(w.argv[0], "/usr/bin/python3");
  mv_worker_dispose(&w);
  ASSERT_OK(mv_worker_resolve(&cfg, "single", &w));
  ASSERT_CONTAINS(w.script, "/workers/single.py");
  ASSERT_CONTAINS(w.dir, "/workers");
  mv_worker_dispose(&w);
  ASSERT_OK(mv_worker_resolve(&cfg, "legacy", &w));
  ASSERT_CONTAINS(w.script, "/workers/python/legacy/main.py");
  mv_worker_dispose(&w);
  ASSERT_OK(mv_worker_resolve(&cfg, "execworker", &w));
  ASSERT_EQ(w.driver, MV_DRIVER_EXEC);
  mv_worker_dispose(&w);

  mv_report_t r;
  ASSERT_OK(th_run(&cfg, "single", "{}", 0, &r));
  ASSERT_STR_EQ(r.result.data, "\"single file\"\n");
  mv_report_dispose(&r);
  ASSERT_OK(th_run(&cfg, "legacy", "{}", 0, &r));
  ASSERT_STR_EQ(r.result.data, "\"legacy layout\"\n");
  mv_report_dispose(&r);
  ASSERT_OK(th_run(&cfg, "execworker", "{}", 0, &r));
  ASSERT_STR_EQ(r.result.data, "\"exec\"\n");
  mv_report_dispose(&r);
  ASSERT_OK(th_run(&cfg, "phpworker", "{\"x\":1}", 0, &r));
  ASSERT_STR_EQ(r.result.data, "{\"php\":{\"x\":1}}");
  ASSERT_EQ(r.driver, MV_DRIVER_PHP);
  mv_report_dispose(&r);
  if (access("/usr/bin/node", X_OK) == 0) {
    ASSERT_OK(th_run(&cfg, "jsworker", "{\"x\":1}", 0, &r));
    ASSERT_STR_EQ(r.result.data, "{\"node\":{\"x\":1}}");
    mv_report_dispose(&r);
  }
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_rejects_bad_names_before_spawning) {
  mv_config_t cfg;
  th_config(&cfg);
  const char *bad[] = {"../etc", "a/b", "", ".", "x y", "name;rm", "\xc3\xa9", NULL};
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  for (int i = 0; bad[i]; i++) {
    mv_task_t *t = NULL;
    ASSERT_EQ(mv_task_spawn_worker(loop, &cfg, bad[i], "{}", 2, NULL, &t), MV_EINVAL);
    ASSERT(t == NULL);
    ASSERT(strlen(mv_last_error()) > 0);
  }
  ASSERT_EQ(mv_loop_active(loop), 0);
  ASSERT(!th_has_children());
  char longname[300];
  memset(longname, 'a', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  ASSERT_EQ(mv_validate_worker_name(longname), MV_EINVAL);
  ASSERT_OK(mv_validate_worker_name("img_resize-2"));
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_not_found_names_paths) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  ASSERT_EQ(th_run(&cfg, "nope", "{}", 0, &r), MV_ENOTFOUND);
  ASSERT_CONTAINS(mv_last_error(), "nope/main.py");
  ASSERT_CONTAINS(mv_last_error(), "python/nope/main.py");
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_missing_interpreter_is_typed) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_config_set_string(&cfg.python, "/nonexistent/python3");
  mv_report_t r;
  ASSERT_EQ(th_run(&cfg, "echo", "{}", 0, &r), MV_EINTERP);
  ASSERT_CONTAINS(mv_last_error(), "/nonexistent/python3");
  mv_config_set_string(&cfg.python, "no-such-python-xyz");
  ASSERT_EQ(th_run(&cfg, "echo", "{}", 0, &r), MV_EINTERP);
  ASSERT_CONTAINS(mv_last_error(), "not found on PATH");
  /* The lookup still says whose interpreter is missing. */
  mv_worker_t w;
  ASSERT_EQ(mv_worker_resolve(&cfg, "echo", &w), MV_EINTERP);
  ASSERT_EQ(w.driver, MV_DRIVER_PYTHON);
  ASSERT(w.argv == NULL && w.script == NULL);
  ASSERT(!th_has_children());
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_exec_errors_carry_errno) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  /* exists but not executable */
  ASSERT_EQ(th_run(&cfg, "noexec_main", "{}", 0, &r), MV_ESPAWN);
  ASSERT_EQ(r.spawn_errno, EACCES);
  ASSERT_EQ(r.end, MV_END_SPAWN_FAILED);
  ASSERT_CONTAINS(r.message, "noexec_main/main");
  ASSERT_CONTAINS(r.message, "Permission denied");
  ASSERT(r.elapsed >= 0 && r.elapsed < 10);
  mv_report_dispose(&r);
  /* executable but not a program */
  ASSERT_EQ(th_run(&cfg, "noshebang", "{}", 0, &r), MV_ESPAWN);
  ASSERT_EQ(r.spawn_errno, ENOEXEC);
  mv_report_dispose(&r);
  ASSERT(!th_has_children());
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_nonzero_exit_with_traceback) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  ASSERT_EQ(th_run(&cfg, "fail", "{\"code\": 3, \"value\": 42}", 0, &r), MV_EEXIT);
  ASSERT_EQ(r.exit_code, 3);
  ASSERT_EQ(r.signal, 0);
  ASSERT_CONTAINS(r.err.data, "ValueError: bad input: 42");
  ASSERT_CONTAINS(r.message, "exited with code 3");
  ASSERT_STR_EQ(r.remote.type, "ValueError");
  ASSERT_STR_EQ(r.remote.message, "bad input: 42");
  ASSERT(r.remote.nframes >= 1);
  ASSERT_STR_EQ(r.remote.frames[r.remote.nframes - 1].function, "parse");
  ASSERT_CONTAINS(r.message, "ValueError: bad input: 42");
  mv_report_dispose(&r);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_structured_error) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  ASSERT_EQ(th_run(&cfg, "sdk_fail", "{}", 0, &r), MV_EEXIT);
  ASSERT_STR_EQ(r.remote.type, "QuotaError");
  ASSERT_STR_EQ(r.remote.message, "over quota");
  ASSERT_EQ(r.remote.nframes, 1);
  ASSERT_EQ(r.remote.frames[0].line, 7);
  ASSERT_CONTAINS(r.message, "QuotaError: over quota");
  mv_report_dispose(&r);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_segfault_is_signal) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  ASSERT_EQ(th_run(&cfg, "crash", "{}", 0, &r), MV_ESIGNAL);
  ASSERT_EQ(r.signal, 11);
  ASSERT_EQ(r.exit_code, -1);
  ASSERT_EQ(r.end, MV_END_SIGNALED);
  ASSERT_CONTAINS(r.message, "SIGSEGV");
  mv_report_dispose(&r);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_bad_json_and_no_result) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_report_t r;
  ASSERT_EQ(th_run(&cfg, "badjson", "{}", 0, &r), MV_EPROTO);
  ASSERT_CONTAINS(r.message, "invalid JSON");
  ASSERT_CONTAINS(r.message, "this is not json");
  mv_report_dispose(&r);
  ASSERT_EQ(th_run(&cfg, "silent", "{}", 0, &r), MV_ENORESULT);
  ASSERT_CONTAINS(r.message, "no result");
  mv_report_dispose(&r);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_200mb_output_is_bounded) {
  mv_config_t cfg;
  th_config(&cfg);
  cfg.max_output = 1 << 20;
  mv_report_t r;
  ASSERT_EQ(th_run(&cfg, "bigout", "{\"mb\": 200}", 0, &r), MV_ETOOBIG);
  ASSERT_EQ(r.result.len, 1 << 20);
  ASSERT(r.result.truncated);
  ASSERT_EQ(r.result.total, 200u << 20);
  ASSERT_CONTAINS(r.message, "max_output");
  mv_report_dispose(&r);
  /* stderr keeps its tail: what was printed last survives */
  ASSERT_OK(th_run(&cfg, "bigout", "{\"mb\": 20, \"stderr\": true}", 0, &r));
  ASSERT(r.err.truncated);
  ASSERT_EQ(r.err.len, 1 << 20);
  ASSERT_CONTAINS(r.err.data + r.err.len - 20, "THE END");
  mv_report_dispose(&r);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_children_get_only_fds_0_to_3) {
  mv_config_t cfg;
  th_config(&cfg);
  /* fds the host leaves inheritable must not reach a worker */
  int leak[8];
  for (int i = 0; i < 8; i++) leak[i] = dup(0);
  mv_report_t r;
  ASSERT_OK(th_run(&cfg, "fds", "{}", 0, &r));
  ASSERT_STR_EQ(r.result.data, "[0, 1, 2, 3]");
  mv_report_dispose(&r);
  for (int i = 0; i < 8; i++) close(leak[i]);
  mv_config_dispose(&cfg);
  return 0;
}

TEST_IMPL(spawn_argv_task) {
  mv_config_t cfg;
  th_config(&cfg);
  mv_loop_t *loop;
  ASSERT_OK(mv_loop_new(&loop));
  char *argv[] = {"sh", "-c", "cat; echo '[1]' >&3", NULL};
  mv_task_t *t;
  ASSERT_OK(mv_task_spawn_argv(loop, &cfg, argv, "/", "{\"p\":1}", 7, NULL, &t));
  while (!mv_task_done(t)) mv_loop_wait(loop, t, -1);
  const mv_report_t *r = mv_task_report(t);
  ASSERT_OK(r->status);
  ASSERT_STR_EQ(r->out.data, "{\"p\":1}");
  ASSERT_STR_EQ(r->result.data, "[1]\n");
  mv_task_free(t);
  char *missing[] = {"/no/such/program", NULL};
  ASSERT_EQ(mv_task_spawn_argv(loop, &cfg, missing, NULL, "", 0, NULL, &t), MV_ESPAWN);
  mv_loop_free(loop);
  mv_config_dispose(&cfg);
  return 0;
}

/* API.md §1: inherit_env=false keeps the host's secrets in the host; env
 * adds and overrides; the task's own MULTIVERSE_* variables win. */
TEST_IMPL(spawn_env_options) {
  setenv("MV_TEST_SECRET", "hunter2", 1);
  setenv("MV_TEST_OVERRIDDEN", "host", 1);
  for (int inherit = 1; inherit >= 0; inherit--) {
    mv_config_t cfg;
    th_config(&cfg);
    cfg.inherit_env = inherit;
    ASSERT_OK(mv_config_set_env(&cfg, "MV_TEST_ADDED", "a b=c"));
    ASSERT_OK(mv_config_set_env(&cfg, "MV_TEST_OVERRIDDEN", "config"));
    ASSERT_OK(mv_config_set_env(&cfg, "MULTIVERSE_WORKER", "forged"));
    mv_report_t r;
    ASSERT_OK(th_run(&cfg, "env_dump", "{}", 10, &r));
    ASSERT_CONTAINS(r.result.data, "\"MV_TEST_ADDED\": \"a b=c\"");
    ASSERT_CONTAINS(r.result.data, "\"MV_TEST_OVERRIDDEN\": \"config\"");
    ASSERT_CONTAINS(r.result.data, "\"MULTIVERSE_WORKER\": \"env_dump\"");
    ASSERT_CONTAINS(r.result.data, "\"PATH\": ");
    ASSERT_EQ(strstr(r.result.data, "host\"") == NULL, 1);
    ASSERT_EQ(strstr(r.result.data, "hunter2") != NULL, inherit);
    mv_report_dispose(&r);
    mv_config_dispose(&cfg);
  }
  mv_config_t cfg;
  th_config(&cfg);
  ASSERT_EQ(mv_config_set_env(&cfg, "1BAD", "x"), MV_EINVAL);
  ASSERT_CONTAINS(mv_last_error(), "invalid variable name '1BAD'");
  ASSERT_EQ(mv_config_set_env(&cfg, "A=B", "x"), MV_EINVAL);
  ASSERT_EQ(mv_config_set_env(&cfg, "", "x"), MV_EINVAL);
  /* A vector filled by hand is checked before anything starts. */
  char *bad[] = {"NOEQUALS", NULL};
  cfg.env = bad;
  mv_report_t r;
  ASSERT_EQ(th_run(&cfg, "env_dump", "{}", 10, &r), MV_EINVAL);
  cfg.env = NULL;
  mv_config_dispose(&cfg);
  ASSERT(!th_has_children());
  return 0;
}
