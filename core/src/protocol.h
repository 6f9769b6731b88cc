/*
 * Control messages between the host and a task's supervisor, over a
 * SOCK_SEQPACKET socketpair (one message per packet, boundaries kept).
 * Both ends come from the same build, so the messages are plain structs;
 * the version field catches a host talking to a stale supervisor.
 */
#ifndef MV_PROTOCOL_H
#define MV_PROTOCOL_H

#include <stdint.h>

#define MV__PROTO_VERSION 2u

enum {
  /* supervisor -> host */
  MV__MSG_STARTED = 1,      /* the task's root process runs: pid, start, tier */
  MV__MSG_SPAWN_FAILED = 2, /* exec of the worker failed: err, stage */
  MV__MSG_EXITED = 3,       /* tree gone: status, end, rusage, leftovers */
  /* host -> supervisor */
  MV__MSG_KILL = 10,        /* SIGTERM, grace, SIGKILL the tree (cancel) */
  MV__MSG_SIGNAL = 11,      /* deliver `value` to every process of the tree */
  MV__MSG_BUSY = 12,        /* persistent task: value = busy (1) or idle (0);
                               elapsed_ns = deadline of the request, 0 = none */
};

typedef struct {
  uint32_t version;
  uint32_t type;
  int32_t pid;              /* STARTED: the task's root process */
  int32_t value;            /* SPAWN_FAILED: errno; SIGNAL: signal */
  uint64_t start;           /* STARTED: root's start time (clock ticks) */
  int32_t wait_status;      /* EXITED: raw wait status of the root */
  int32_t end;              /* EXITED: mv_end_t */
  int64_t elapsed_ns;       /* EXITED: root start to root exit */
  int64_t utime_us, stime_us;
  int64_t maxrss_kb;
  int32_t leftovers;        /* EXITED: processes killed after the root ended */
  int32_t tier;             /* 1 = cgroup, 2 = subreaper */
  int32_t breached;         /* EXITED: processes of the lineage found outside the leaf */
  char text[64];            /* SPAWN_FAILED: stage; EXITED: limit name;
                               STARTED: the leaf's name below its parent ("" = none) */
} mv__msg_t;

/* host -> fork server (forkserver.c): start a worker's supervisor. The
 * message carries six fds: the request (a memfd: "argc\0", the
 * supervisor's argv, then the worker's environment, each NUL-terminated),
 * the worker's stdin, stdout, stderr and result channel, and the task's
 * control socket. */
enum { MV__FS_SPAWN = 1 };
typedef struct {
  uint32_t version;
  uint32_t type;
} mv__fs_msg_t;

#endif
