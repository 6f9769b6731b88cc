/*
 * Test runner: `mv_tests NAME` runs one test in a child process with a
 * time limit; `mv_tests` alone runs all of them in order.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "task.h"

#define TEST_ENTRY(name) int run_test_##name(void);
#include "test-list.h"
#undef TEST_ENTRY

typedef struct {
  const char *name;
  int (*fn)(void);
} test_t;

static const test_t tests[] = {
#define TEST_ENTRY(name) {#name, run_test_##name},
#include "test-list.h"
#undef TEST_ENTRY
    {NULL, NULL}};

static int run_one(const test_t *t, unsigned limit) {
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 1;
  }
  if (pid == 0) {
    alarm(limit);
    _exit(t->fn());
  }
  int st;
  while (waitpid(pid, &st, 0) < 0) {
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
    printf("ok     %s\n", t->name);
    return 0;
  }
  if (WIFSIGNALED(st))
    printf("FAILED %s (signal %d%s)\n", t->name, WTERMSIG(st),
           WTERMSIG(st) == SIGALRM ? ", time limit" : "");
  else
    printf("FAILED %s (exit %d)\n", t->name, WEXITSTATUS(st));
  return 1;
}

int main(int argc, char **argv) {
  const char *env = getenv("MV_TEST_TIMEOUT");
  unsigned limit = env ? (unsigned)atoi(env) : 120;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "--list") == 0) {
    for (const test_t *t = tests; t->name; t++) printf("%s\n", t->name);
    return 0;
  }
  int failed = 0, ran = 0;
  for (const test_t *t = tests; t->name; t++) {
    if (argc > 1) {
      int want = 0;
      for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], t->name) == 0) want = 1;
      if (!want) continue;
    }
    ran++;
    failed += run_one(t, limit);
  }
  if (ran == 0) {
    fprintf(stderr, "no such test\n");
    return 2;
  }
  return failed ? 1 : 0;
}
