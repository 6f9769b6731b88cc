/*
 * The WorkerException family. The classes and their typed properties come
 * from the stub; here are the getters and the builders that fill the
 * properties from a core report (mv_report_t), whose one-line `message` is
 * used verbatim as the exception message.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"
#include "zend_interfaces.h"

#include "php_multiverse.h"

#define MVPHP_EXCEPTION_OUTPUT_MAX ((size_t)1 << 20)

/* Properties are protected and declared on the class that introduces them:
 * write with that class as the scope. */
static void mvphp_set(zend_class_entry *scope, zval *ex, const char *name, zval *v) {
  zend_update_property(scope, Z_OBJ_P(ex), name, strlen(name), v);
}

static void mvphp_set_str(zend_class_entry *scope, zval *ex, const char *name, const char *s,
                          size_t len) {
  zval v;
  ZVAL_STRINGL(&v, s ? s : "", s ? len : 0);
  mvphp_set(scope, ex, name, &v);
  zval_ptr_dtor(&v);
}

/* A C string (NULL: ""). */
static void mvphp_set_cstr(zend_class_entry *scope, zval *ex, const char *name, const char *s) {
  mvphp_set_str(scope, ex, name, s, s ? strlen(s) : 0);
}

static void mvphp_set_zstr(zend_class_entry *scope, zval *ex, const char *name, zend_string *s) {
  zval v;
  ZVAL_STR(&v, s);
  mvphp_set(scope, ex, name, &v);
}

static void mvphp_set_long(zend_class_entry *scope, zval *ex, const char *name, zend_long l) {
  zval v;
  ZVAL_LONG(&v, l);
  mvphp_set(scope, ex, name, &v);
}

static void mvphp_set_double(zend_class_entry *scope, zval *ex, const char *name, double d) {
  zval v;
  ZVAL_DOUBLE(&v, d);
  mvphp_set(scope, ex, name, &v);
}

static void mvphp_new(zval *out, zend_class_entry *ce, const char *message, size_t len) {
  object_init_ex(out, ce);
  zval m;
  ZVAL_STRINGL(&m, message, len);
  zend_update_property_ex(zend_ce_exception, Z_OBJ_P(out), ZSTR_KNOWN(ZEND_STR_MESSAGE), &m);
  zval_ptr_dtor(&m);
}

/* Append one frame {file, line, function} to a remoteTrace array. */
static void mvphp_trace_add(zval *trace, const char *file, zend_long line, const char *function) {
  zval fr;
  array_init_size(&fr, 3);
  add_assoc_string(&fr, "file", file ? file : "");
  add_assoc_long(&fr, "line", line);
  add_assoc_string(&fr, "function", function ? function : "");
  add_next_index_zval(trace, &fr);
}

mvphp_code mvphp_code_of(int status, bool remote) {
  switch (status) {
    case MV_ENOTFOUND: return MVPHP_CODE_NOT_FOUND;
    case MV_EINTERP: return MVPHP_CODE_INTERPRETER_MISSING;
    case MV_EEXIT: return remote ? MVPHP_CODE_REMOTE : MVPHP_CODE_EXIT;
    case MV_EREMOTE: return MVPHP_CODE_REMOTE;
    case MV_ESIGNAL: return MVPHP_CODE_SIGNAL;
    case MV_EPROTO:
    case MV_ENORESULT: return MVPHP_CODE_BAD_RESULT;
    case MV_ETOOBIG: return MVPHP_CODE_TOO_BIG;
    case MV_ELIMIT: return MVPHP_CODE_LIMIT;
    case MV_ECANCELED:
    case MV_EHOSTGONE: return MVPHP_CODE_CANCELLED;
    case MV_ETIMEDOUT: return MVPHP_CODE_TIMEOUT;
    /* MV_ESPAWN, MV_EFORK, MV_EMFILE, MV_ENOMEM, MV_ESYS, MV_ESUPERVISOR,
     * MV_EREGISTRY and the rest: the process could not be started, or the
     * machinery that runs it (supervisor, registry, a system call) failed. */
    default: return MVPHP_CODE_SPAWN_FAILED;
  }
}

void mvphp_exception_set_code(zval *ex, mvphp_code code) {
  zval v;
  ZVAL_LONG(&v, (zend_long)code);
  zend_update_property_ex(zend_ce_exception, Z_OBJ_P(ex), ZSTR_KNOWN(ZEND_STR_CODE), &v);
}

static void mvphp_fill_from_report(zval *ex, const mv_report_t *r) {
  zend_class_entry *ce = mvphp_ce_WorkerException;
  mvphp_exception_set_code(ex, mvphp_code_of(r->status, r->remote.type != NULL));
  mvphp_set_cstr(ce, ex, "workerName", r->worker);
  mvphp_set_cstr(ce, ex, "driver", mv_driver_name(r->driver));
  /* The exit code only means something when the process exited. */
  if (r->end != MV_END_SPAWN_FAILED && r->signal == 0 && r->exit_code >= 0)
    mvphp_set_long(ce, ex, "exitCode", r->exit_code);
  if (r->signal) mvphp_set_long(ce, ex, "signal", r->signal);
  /* An exception is a diagnostic: it keeps the head of stdout and the tail
   * of stderr (where a traceback is), at most MVPHP_EXCEPTION_OUTPUT_MAX
   * bytes each, so that a worker that printed up to max_output cannot fill
   * PHP's memory_limit through the exception that reports it. */
  if (r->out.data)
    mvphp_set_str(ce, ex, "output", r->out.data,
                  r->out.len < MVPHP_EXCEPTION_OUTPUT_MAX ? r->out.len : MVPHP_EXCEPTION_OUTPUT_MAX);
  if (r->err.data) {
    size_t skip = r->err.len > MVPHP_EXCEPTION_OUTPUT_MAX ? r->err.len - MVPHP_EXCEPTION_OUTPUT_MAX : 0;
    mvphp_set_str(ce, ex, "errorOutput", r->err.data + skip, r->err.len - skip);
  }
  if (r->remote.type) {
    mvphp_set_cstr(ce, ex, "remoteType", r->remote.type);
    mvphp_set_cstr(ce, ex, "remoteMessage", r->remote.message);
  }
  if (r->remote.nframes) {
    zval trace;
    array_init_size(&trace, (uint32_t)r->remote.nframes);
    for (size_t i = 0; i < r->remote.nframes; i++) {
      const mv_frame_t *f = &r->remote.frames[i];
      mvphp_trace_add(&trace, f->file, f->line, f->function);
    }
    mvphp_set(ce, ex, "remoteTrace", &trace);
    zval_ptr_dtor(&trace);
  }
  mvphp_set_double(ce, ex, "elapsed", r->elapsed);
}

void mvphp_exception_from_report(zval *out, const mv_report_t *r, const char *message) {
  int timed_out = r->status == MV_ETIMEDOUT;
  if (message == NULL) message = r->message && *r->message ? r->message : mv_strerror(r->status);
  mvphp_new(out, timed_out ? mvphp_ce_TimeoutException : mvphp_ce_WorkerException, message,
            strlen(message));
  mvphp_fill_from_report(out, r);
  if (timed_out) mvphp_set_double(mvphp_ce_TimeoutException, out, "timeout", r->timeout);
}

void mvphp_exception_simple(zval *out, zend_class_entry *ce, const char *worker,
                            const char *driver, mvphp_code code, const char *message) {
  mvphp_new(out, ce, message, strlen(message));
  mvphp_exception_set_code(out, code);
  mvphp_set_cstr(mvphp_ce_WorkerException, out, "workerName", worker);
  mvphp_set_cstr(mvphp_ce_WorkerException, out, "driver", driver);
}

void mvphp_throw_code(mvphp_code code, const char *driver, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = NULL;
  zend_vspprintf(&msg, 0, fmt, ap);
  va_end(ap);
  zval ex;
  mvphp_exception_simple(&ex, mvphp_ce_WorkerException, "", driver, code, msg);
  efree(msg);
  zend_throw_exception_object(&ex);
}

void mvphp_fatal_exception(zval *out, const mv_report_t *r, const char *type, const char *msg,
                           const char *file, long line) {
  char *text = NULL;
  zend_spprintf(&text, 0, "task '%s' exited with code %d: PHP %s: %s (at %s:%ld)", r->worker,
                r->exit_code, type, msg, file, line);
  mvphp_exception_from_report(out, r, text);
  efree(text);
  /* The child's own error, as a PHP worker's fatal error is. */
  mvphp_exception_set_code(out, MVPHP_CODE_REMOTE);
  zend_class_entry *ce = mvphp_ce_WorkerException;
  mvphp_set_cstr(ce, out, "remoteType", type);
  mvphp_set_cstr(ce, out, "remoteMessage", msg);
  zval trace;
  array_init(&trace);
  mvphp_trace_add(&trace, file, line, "");
  mvphp_set(ce, out, "remoteTrace", &trace);
  zval_ptr_dtor(&trace);
}

void mvphp_exception_set_errors(zval *ex, zval *errors) {
  mvphp_set(mvphp_ce_WorkerException, ex, "errors", errors);
}

void mvphp_exception_set_timeout(zval *ex, double timeout) {
  mvphp_set_double(mvphp_ce_TimeoutException, ex, "timeout", timeout);
}

static zval *mvphp_record_get(HashTable *rec, const char *key) {
  zval *v = zend_hash_str_find(rec, key, strlen(key));
  return v ? v : &EG(uninitialized_zval);
}

void mvphp_task_exception(zval *out, const mv_report_t *r, HashTable *rec,
                          int serialize_failure) {
  zend_string *cls = zval_get_string(mvphp_record_get(rec, "class"));
  zend_string *msg = zval_get_string(mvphp_record_get(rec, "message"));
  zend_string *file = zval_get_string(mvphp_record_get(rec, "file"));
  zend_string *trace = zval_get_string(mvphp_record_get(rec, "trace"));
  zend_long line = zval_get_long(mvphp_record_get(rec, "line"));
  zend_string *text;
  if (serialize_failure)
    text = zend_strpprintf(0, "Closure returned a value that cannot be serialized: %s",
                           ZSTR_VAL(msg));
  else
    text = zend_strpprintf(0, "Closure threw %s: %s (at %s:" ZEND_LONG_FMT ")", ZSTR_VAL(cls),
                           ZSTR_VAL(msg), ZSTR_VAL(file), line);
  mvphp_new(out, mvphp_ce_TaskException, ZSTR_VAL(text), ZSTR_LEN(text));
  zend_string_release(text);
  mvphp_fill_from_report(out, r);
  /* getCode() says what kind of failure this is, as for every
   * WorkerException: the closure's own error, or a result that cannot
   * come back. */
  mvphp_exception_set_code(out, serialize_failure ? MVPHP_CODE_BAD_RESULT : MVPHP_CODE_REMOTE);

  zend_class_entry *ce = mvphp_ce_TaskException;
  /* The original code: Exception::$code is untyped (PDOException keeps a
   * string there), so it is passed on as it was. */
  zval *code = mvphp_record_get(rec, "code");
  if (Z_TYPE_P(code) == IS_LONG || Z_TYPE_P(code) == IS_STRING)
    mvphp_set(ce, out, "originalCode", code);

  mvphp_set_zstr(ce, out, "originalClass", cls);
  mvphp_set_zstr(ce, out, "originalFile", file);
  mvphp_set_long(ce, out, "originalLine", line);
  mvphp_set_zstr(ce, out, "originalTrace", trace);
  /* What the closure threw is also what a remote error means here. */
  mvphp_set_zstr(mvphp_ce_WorkerException, out, "remoteType", cls);
  mvphp_set_zstr(mvphp_ce_WorkerException, out, "remoteMessage", msg);
  zend_string_release(cls);
  zend_string_release(msg);
  zend_string_release(file);
  zend_string_release(trace);
}

void mvphp_task_exception_here(zval *out, zend_object *ex, const char *name) {
  /* A report of no process: its exit code is unknown (-1), so the
   * exception has none, and it took no time of its own. */
  mv_report_t r;
  memset(&r, 0, sizeof(r));
  r.worker = (char *)name;
  r.driver = MV_DRIVER_FORK;
  r.exit_code = -1;
  zval rec;
  mvphp_exception_record(&rec, ex);
  mvphp_task_exception(out, &r, Z_ARRVAL(rec), 0);
  zval_ptr_dtor(&rec);
}

void mvphp_throw(zval *ex) {
  Z_ADDREF_P(ex);
  zend_throw_exception_object(ex);
}

/* Getters ----------------------------------------------------------------- */

static void mvphp_get(INTERNAL_FUNCTION_PARAMETERS, zend_class_entry *scope, const char *name) {
  ZEND_PARSE_PARAMETERS_NONE();
  zval rv;
  zval *v = zend_read_property(scope, Z_OBJ_P(ZEND_THIS), name, strlen(name), 1, &rv);
  RETURN_COPY_DEREF(v);
}

#define MVPHP_GETTER(cls, method, scope, prop)                  \
  ZEND_METHOD(cls, method) {                                    \
    mvphp_get(INTERNAL_FUNCTION_PARAM_PASSTHRU, scope, prop);   \
  }

MVPHP_GETTER(Multiverse_WorkerException, getWorkerName, mvphp_ce_WorkerException, "workerName")
MVPHP_GETTER(Multiverse_WorkerException, getDriver, mvphp_ce_WorkerException, "driver")
MVPHP_GETTER(Multiverse_WorkerException, getExitCode, mvphp_ce_WorkerException, "exitCode")
MVPHP_GETTER(Multiverse_WorkerException, getSignal, mvphp_ce_WorkerException, "signal")
MVPHP_GETTER(Multiverse_WorkerException, getErrorOutput, mvphp_ce_WorkerException, "errorOutput")
MVPHP_GETTER(Multiverse_WorkerException, getOutput, mvphp_ce_WorkerException, "output")
MVPHP_GETTER(Multiverse_WorkerException, getRemoteType, mvphp_ce_WorkerException, "remoteType")
MVPHP_GETTER(Multiverse_WorkerException, getRemoteMessage, mvphp_ce_WorkerException,
             "remoteMessage")
MVPHP_GETTER(Multiverse_WorkerException, getRemoteTrace, mvphp_ce_WorkerException, "remoteTrace")
MVPHP_GETTER(Multiverse_WorkerException, getElapsed, mvphp_ce_WorkerException, "elapsed")
MVPHP_GETTER(Multiverse_WorkerException, getErrors, mvphp_ce_WorkerException, "errors")
MVPHP_GETTER(Multiverse_TimeoutException, getTimeout, mvphp_ce_TimeoutException, "timeout")
MVPHP_GETTER(Multiverse_TaskException, getOriginalClass, mvphp_ce_TaskException, "originalClass")
MVPHP_GETTER(Multiverse_TaskException, getOriginalFile, mvphp_ce_TaskException, "originalFile")
MVPHP_GETTER(Multiverse_TaskException, getOriginalLine, mvphp_ce_TaskException, "originalLine")
MVPHP_GETTER(Multiverse_TaskException, getOriginalTrace, mvphp_ce_TaskException, "originalTrace")
MVPHP_GETTER(Multiverse_TaskException, getOriginalCode, mvphp_ce_TaskException, "originalCode")
