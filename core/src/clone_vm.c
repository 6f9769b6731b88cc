/*
 * A child that shares the caller's memory until it execs, born in a given
 * cgroup: clone3(CLONE_VM | CLONE_VFORK [| CLONE_INTO_CGROUP]) running a
 * function on a stack of its own.
 *
 * glibc wraps clone() this way but not clone3(), and a C caller cannot
 * continue on a new stack after the system call returns in the child, so
 * the child's side is a few instructions of assembly: call fn(arg) on the
 * new stack, then exit with its value. x86_64 only; elsewhere (and under
 * sanitizers, which cannot follow a thread they did not see start) it
 * reports ENOSYS and callers use fork().
 *
 * Task forks use it for the middle process (task_start.c): sharing the
 * host's memory, the middle process costs no copy of it, forks the task
 * with the C library's fork() (its locks and thread id handled as usual),
 * and execs the supervisor, which releases the host.
 */
/* The task resumes in the caller's frame with longjmp() from the middle
 * process's stack: the fortified longjmp refuses a jump between stacks. */
#undef _FORTIFY_SOURCE
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MV__CLONE_VM_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MV__CLONE_VM_OFF 1
#endif
#endif

#if defined(__x86_64__) && !defined(MV__CLONE_VM_OFF)

struct mv__clone3_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

/* long mv__clone3_run(struct mv__clone3_args *a, size_t size,
 *                     int (*fn)(void *), void *arg)
 * fn and arg travel in r8/r9, which the kernel gives the child unchanged. */
__asm__(".text\n"
        ".type mv__clone3_run,@function\n"
        "mv__clone3_run:\n"
        "  mov %rdx, %r8\n"
        "  mov %rcx, %r9\n"
        "  mov $435, %eax\n" /* __NR_clone3 */
        "  syscall\n"
        "  test %rax, %rax\n"
        "  jnz 1f\n"
        "  xor %ebp, %ebp\n"
        "  mov %r9, %rdi\n"
        "  call *%r8\n"
        "  mov %eax, %edi\n"
        "  mov $60, %eax\n" /* __NR_exit */
        "  syscall\n"
        "  hlt\n"
        "1:\n"
        "  ret\n"
        ".size mv__clone3_run, .-mv__clone3_run\n");
long mv__clone3_run(struct mv__clone3_args *a, size_t size, int (*fn)(void *), void *arg);

#define MV__CLONE_STACK (256 * 1024)

/* One stack kept for the next clone. The child is done with its stack
 * when the clone returns (CLONE_VFORK: it has exec'd or exited), and a
 * fresh one each time costs an mmap, the page faults of its first use and
 * an munmap, which in a threaded host interrupts every other CPU running
 * it to flush their TLBs. Threads cloning at once take turns: one gets the
 * kept stack, the others map their own. */
static void *mv__kept_stack;

static void *mv__stack_take(void) {
  void *stack = __atomic_exchange_n(&mv__kept_stack, NULL, __ATOMIC_ACQ_REL);
  if (stack != NULL) return stack;
  stack = mmap(NULL, MV__CLONE_STACK, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  return stack == MAP_FAILED ? NULL : stack;
}

static void mv__stack_give(void *stack) {
  void *none = NULL;
  if (!__atomic_compare_exchange_n(&mv__kept_stack, &none, stack, 0, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE))
    munmap(stack, MV__CLONE_STACK);
}

pid_t mv__clone_vm(int (*fn)(void *), void *arg, int cgroup_fd) {
  size_t stack_size = MV__CLONE_STACK;
  void *stack = mv__stack_take();
  if (stack == NULL) return -1;
  struct mv__clone3_args ca;
  memset(&ca, 0, sizeof(ca));
  ca.flags = CLONE_VM | CLONE_VFORK | (cgroup_fd >= 0 ? 0x200000000ULL : 0);
  ca.exit_signal = SIGCHLD;
  ca.stack = (uint64_t)(uintptr_t)stack;
  ca.stack_size = stack_size;
  ca.cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0;
  long pid = mv__clone3_run(&ca, sizeof(ca), fn, arg);
  int err = errno;
  mv__stack_give(stack);
  if (pid < 0) {
    errno = (int)-pid;
    return -1;
  }
  errno = err;
  return (pid_t)pid;
}

typedef struct {
  jmp_buf jb;             /* where the task resumes: the caller's frame */
  sigset_t mask;          /* the calling thread's signal mask */
  int (*middle)(void *, pid_t);
  void *arg;
} mv__fork_vm_t;

/* The middle process: fork the task, which jumps back into the caller's
 * frame in its own copy of memory; then the middle's own work (exec). */
static int mv__fork_vm_middle(void *p) {
  mv__fork_vm_t *x = p;
  /* The task's orphans come back to the middle (and to what it execs). */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  /* The middle's copy of the caller's dispositions: an ignored SIGCHLD
   * would have the kernel reap the task before the supervisor it becomes
   * can (the task puts the caller's back: mv__task_child). */
  signal(SIGCHLD, SIG_DFL);
  pid_t t = fork();
  if (t == 0) longjmp(x->jb, 1);
  return x->middle(x->arg, t);
}

__attribute__((noinline)) pid_t mv__fork_vm(int (*middle)(void *, pid_t), void *arg,
                                             int cgroup_fd) {
  mv__fork_vm_t x;
  x.middle = middle;
  x.arg = arg;
  /* No handler of the caller's may run in the middle process, which
   * shares its memory: everything is blocked across the clone. */
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &x.mask);
  if (setjmp(x.jb) != 0) {
    /* The task: a fork of the caller as it was in this call. */
    pthread_sigmask(SIG_SETMASK, &x.mask, NULL);
    return 0;
  }
  pid_t pid = mv__clone_vm(mv__fork_vm_middle, &x, cgroup_fd);
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &x.mask, NULL);
  errno = err;
  return pid;
}

#else

pid_t mv__fork_vm(int (*middle)(void *, pid_t), void *arg, int cgroup_fd) {
  MV__UNUSED(middle);
  MV__UNUSED(arg);
  MV__UNUSED(cgroup_fd);
  errno = ENOSYS;
  return -1;
}

pid_t mv__clone_vm(int (*fn)(void *), void *arg, int cgroup_fd) {
  MV__UNUSED(fn);
  MV__UNUSED(arg);
  MV__UNUSED(cgroup_fd);
  errno = ENOSYS;
  return -1;
}

#endif
