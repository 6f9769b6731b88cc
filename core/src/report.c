/*
 * Turning what the supervisor and the pipes said into a report: one
 * status (MV_OK or the MV_E* that describes the outcome), the raw facts,
 * the remote error, and a one-line message the bindings use verbatim as
 * the exception message.
 */
#include "task_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

void mv_remote_error_dispose(mv_remote_error_t *e);

void mv_report_dispose(mv_report_t *r) {
  free(r->out.data);
  free(r->err.data);
  free(r->result.data);
  free(r->worker);
  free(r->spawn_what);
  free(r->message);
  mv_remote_error_dispose(&r->remote);
  memset(r, 0, sizeof(*r));
}

/* "KILL" for SIGKILL (here, not in util.c: the supervisor, which shares
 * util.c, is also built against C libraries without sigabbrev_np). */
static const char *mv__signal_name(int sig) {
  const char *abbrev = sigabbrev_np(sig);
  return abbrev ? abbrev : "?";
}

static int mv__blank(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strchr(" \t\r\n", p[i]) || p[i] == '\0') return 0;
  return 1;
}

/* First line of a remote error for the message: "ValueError: bad input". */
void mv__remote_line(const mv_remote_error_t *e, char *buf, size_t size) {
  buf[0] = '\0';
  if (e->type == NULL) return;
  const char *msg = e->message ? e->message : "";
  size_t nl = strcspn(msg, "\n");
  if (nl > 200) nl = 200;
  if (*msg) snprintf(buf, size, ": %s: %.*s", e->type, (int)nl, msg);
  else snprintf(buf, size, ": %s", e->type);
}

/* Last non-empty line of stderr, for failures without a parsed error. */
static void mv__stderr_tail(const mv_buf_t *err, char *buf, size_t size) {
  buf[0] = '\0';
  size_t end = err->len;
  while (end > 0 && strchr(" \t\r\n", err->data[end - 1]) && err->data[end - 1]) end--;
  if (end == 0) return;
  size_t start = end;
  while (start > 0 && err->data[start - 1] != '\n') start--;
  size_t n = end - start;
  if (n > 200) n = 200;
  snprintf(buf, size, ": %.*s", (int)n, err->data + start);
}

static const char *mv__what(const mv_task_t *t) {
  return t->kind == MV__TASK_FORK ? "task" : "worker";
}

static void mv__classify(mv_task_t *t, mv_report_t *r) {
  const mv__msg_t *m = &t->exit_msg;
  char detail[512] = "";
  if (t->spawn_failed) {
    r->status = MV_ESPAWN;
    r->end = MV_END_SPAWN_FAILED;
    r->spawn_errno = t->spawn_err;
    r->spawn_what = mv__strdup(t->script ? t->script : "");
    const char *hint = t->spawn_err == ENOENT    ? " (file or its interpreter not found)"
                       : t->spawn_err == EACCES  ? " (not executable)"
                       : t->spawn_err == ENOEXEC ? " (not an executable format; add a #! line)"
                       : t->spawn_err == EAGAIN  ? " (process limit reached: RLIMIT_NPROC or "
                                                   "the pids cgroup)"
                       : t->spawn_err == EMFILE  ? " (file descriptor limit reached)"
                                                 : "";
    if (t->kind == MV__TASK_FORK || r->spawn_what == NULL || r->spawn_what[0] == '\0')
      r->message = mv__asprintf("cannot start %s '%s': %s failed: %s%s", mv__what(t), r->worker,
                                t->spawn_stage, strerror(t->spawn_err), hint);
    else
      r->message = mv__asprintf("cannot start %s '%s': %s of %s failed: %s%s", mv__what(t),
                                r->worker, t->spawn_stage, r->spawn_what, strerror(t->spawn_err),
                                hint);
    return;
  }
  if (!t->exited) {
    r->status = MV_ESUPERVISOR;
    r->message = mv__asprintf("the supervisor of %s '%s' exited without reporting",
                              mv__what(t), r->worker);
    return;
  }
  int ws = m->wait_status;
  r->exit_code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
  r->signal = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
  r->end = (mv_end_t)m->end;

  /* The remote error: the SDK's structured error first, else stderr. */
  int have_remote = 0;
  if (t->kind != MV__TASK_FORK && r->result.len)
    have_remote = mv__json_structured_error(r->result.data, r->result.len, &r->remote) > 0;
  int failed = r->end != MV_END_EXITED || r->exit_code != 0 || have_remote;
  if (failed && !have_remote && r->err.len)
    have_remote = mv_remote_error_parse(r->err.data, r->err.len, &r->remote) > 0;
  if (have_remote) mv__remote_line(&r->remote, detail, sizeof(detail));
  else mv__stderr_tail(&r->err, detail, sizeof(detail));

  switch (r->end) {
    case MV_END_TIMEOUT:
      r->status = MV_ETIMEDOUT;
      r->message = mv__asprintf("%s '%s' timed out after %g s (process tree killed)",
                                mv__what(t), r->worker, r->timeout);
      return;
    case MV_END_CANCELED:
    case MV_END_HOSTGONE:
      r->status = MV_ECANCELED;
      r->message = mv__asprintf("%s '%s' was canceled (process tree killed)", mv__what(t),
                                r->worker);
      return;
    case MV_END_CLEARED:
      r->status = MV_ECANCELED;
      r->message = mv__asprintf("%s '%s' was killed by clear() (process tree killed)",
                                mv__what(t), r->worker);
      return;
    case MV_END_IDLE:
      r->status = MV_ECANCELED;
      r->message = mv__asprintf("%s '%s' ended after its idle timeout", mv__what(t), r->worker);
      return;
    case MV_END_LIMIT:
      r->status = MV_ELIMIT;
      r->message = mv__asprintf("%s '%s' exceeded its %s limit (process tree killed)",
                                mv__what(t), r->worker, r->limit);
      return;
    case MV_END_SIGNALED:
      r->status = MV_ESIGNAL;
      r->message = mv__asprintf("%s '%s' was killed by signal %d (SIG%s)%s", mv__what(t),
                                r->worker, r->signal, mv__signal_name(r->signal), detail);
      return;
    default:
      break;
  }
  if (r->exit_code != 0) {
    r->status = MV_EEXIT;
    r->message = mv__asprintf("%s '%s' exited with code %d%s", mv__what(t), r->worker,
                              r->exit_code, detail);
    return;
  }
  if (t->kind == MV__TASK_FORK) {
    r->status = have_remote ? MV_EREMOTE : MV_OK;
    return;
  }
  mv__report_result(r, mv__what(t), have_remote, detail);
}

void mv__report_result(mv_report_t *r, const char *what, int have_remote, const char *detail) {
  if (have_remote) {
    r->status = MV_EREMOTE;
    r->message = mv__asprintf("%s '%s' failed%s", what, r->worker, detail);
    return;
  }
  const char *where = r->result_source == MV_RESULT_CHANNEL ? "the result channel" : "stdout";
  if (r->result.truncated) {
    r->status = MV_ETOOBIG;
    r->message = mv__asprintf("%s '%s' wrote %zu bytes to %s, more than max_output (%zu bytes)",
                              what, r->worker, r->result.total, where, r->result.len);
  } else if (mv__blank(r->result.data, r->result.len)) {
    r->status = MV_ENORESULT;
    r->message = mv__asprintf("%s '%s' exited with code 0 but produced no result "
                              "(nothing on stdout or the result channel)",
                              what, r->worker);
  } else if (!mv__json_valid(r->result.data, r->result.len)) {
    r->status = MV_EPROTO;
    size_t n = r->result.len < 80 ? r->result.len : 80;
    char snippet[81];
    for (size_t i = 0; i < n; i++) {
      char ch = r->result.data[i];
      snippet[i] = (ch == '\n' || ch == '\r' || ch == '\0') ? ' ' : ch;
    }
    snippet[n] = '\0';
    r->message = mv__asprintf("%s '%s' printed invalid JSON on %s: \"%s%s\"", what,
                              r->worker, where, snippet, r->result.len > 80 ? "..." : "");
  } else {
    r->status = MV_OK;
  }
}

void mv__report_build(mv_task_t *t) {
  mv_report_t *r = &t->report;
  memset(r, 0, sizeof(*r));
  r->worker = mv__strdup(t->worker);
  r->driver = t->driver;
  r->pid = t->root;
  r->timeout = t->timeout;
  snprintf(r->task_id, sizeof(r->task_id), "%s", t->task_id);
  const mv__msg_t *m = &t->exit_msg;
  r->tier = m->tier == 1 ? "cgroup" : "subreaper";
  r->elapsed = t->exited ? (double)m->elapsed_ns / 1e9 : (t->t_end - t->t_start);
  r->utime = (double)m->utime_us / 1e6;
  r->stime = (double)m->stime_us / 1e6;
  r->maxrss_kb = (long)m->maxrss_kb;
  r->leftovers = m->leftovers;
  snprintf(r->limit, sizeof(r->limit), "%.63s", m->text);
  mv__capture_finish(&t->cap[MV__W_OUT], &r->out);
  mv__capture_finish(&t->cap[MV__W_ERR], &r->err);
  mv_buf_t res;
  mv__capture_finish(&t->cap[MV__W_RES], &res);
  if (t->kind == MV__TASK_FORK) {
    r->result = res;
    r->result_source = MV_RESULT_PIPE;
  } else if (res.total > 0) {
    r->result = res;
    r->result_source = MV_RESULT_CHANNEL;
  } else {
    /* No result channel: the whole of stdout is the result. */
    free(res.data);
    r->result = r->out;
    r->result.data = malloc(r->out.len + 1);
    if (r->result.data) {
      memcpy(r->result.data, r->out.data, r->out.len + 1);
    } else {
      r->result.len = 0;
    }
    r->result_source = MV_RESULT_STDOUT;
  }
  r->breached = m->breached;
  mv__classify(t, r);
  if (r->message == NULL) r->message = mv__strdup("");
  if (r->breached > 0) {
    /* Said in every message, success included: the task did something
     * only a hostile or broken program does. */
    char *m2 = mv__asprintf("%s%scontainment breached: %d process%s of %s '%s' left its cgroup "
                            "(found through its lineage and killed)",
                            r->message, *r->message ? "; " : "", r->breached,
                            r->breached == 1 ? "" : "es", mv__what(t), r->worker);
    if (m2) {
      free(r->message);
      r->message = m2;
    }
  }
}
