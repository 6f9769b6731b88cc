/*
 * What a forked child does, and how the parent reads what it sent.
 *
 * The child runs its body (a closure, a chunk of map/filter/reduce), sends
 * one blob on the task's result pipe and leaves with _exit() through
 * mv_child_exit(): it never returns into PHP, so none of PHP's shutdown
 * runs in it — no destructors, no shutdown functions, no output-buffer
 * flush, no closing of connections it shares with the parent. A fatal error
 * (zend_bailout) is caught here for the same reason.
 *
 * Blob: "MV1" + kind + serialize(...):
 *   R  the result value;
 *   E  the exception the body threw: class, message, code, file, line,
 *      trace (getTraceAsString());
 *   S  the result could not be serialized (a closure, a resource);
 *   F  a PHP fatal error ended the child (memory limit, E_USER_ERROR): type,
 *      file, line and message, NUL-separated and built with plain C, since
 *      the engine is not to be trusted any more at that point.
 * A child that calls exit() sends nothing and exits with that status; a
 * child killed by a signal sends nothing. The parent reports those from
 * the task report (exit code, signal), never as an empty result.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"
#include "zend_interfaces.h"
#include "zend_smart_str.h"
#include "zend_max_execution_timer.h"
#include "ext/standard/php_var.h"
#include "ext/random/php_random.h"

#include "php_multiverse.h"

#define MVPHP_BLOB_MAGIC "MV1"
#define MVPHP_RECURSION_MAX 256

/* Per-process state the child must not share with its parent. */
static void mvphp_after_fork_child(void) {
  /* What pcntl_fork() does in the child: timers are per process. */
  zend_max_execution_timer_init();
  /* The parent's tasks are not ours: drop every loop copy (fds, memory)
   * before anything here uses the library (nested Process::map). */
  mvphp_loops_forget_all();
  /* Children must not all draw the same mt_rand()/rand()/shuffle() and
   * lcg_value() sequence: reseed on first use, as Python does after fork. */
  RANDOM_G(mt19937_seeded) = false;
  RANDOM_G(combined_lcg_seeded) = false;
}

void mvphp_call(zval *callable, HashTable *args, zval *result) {
  zend_fcall_info fci;
  zend_fcall_info_cache fcc;
  char *error = NULL;
  if (zend_fcall_info_init(callable, 0, &fci, &fcc, NULL, &error) == FAILURE) {
    zend_type_error("task is not callable: %s", error ? error : "unknown reason");
    if (error) efree(error);
    return;
  }
  if (error) efree(error);
  fci.retval = result;
  /* call_user_func_array() semantics: integer keys are positional,
   * string keys are named arguments. */
  fci.named_params = args && zend_hash_num_elements(args) ? args : NULL;
  zend_call_function(&fci, &fcc);
}

/* A resource would serialize silently as i:0 — find it instead. Arrays and
 * the properties of objects without custom serialization are searched. */
static const char *mvphp_find_resource(zval *v, int depth) {
  ZVAL_DEREF(v);
  if (depth > MVPHP_RECURSION_MAX) return NULL;
  if (Z_TYPE_P(v) == IS_RESOURCE) {
    const char *type = zend_rsrc_list_get_rsrc_type(Z_RES_P(v));
    return type ? type : "unknown";
  }
  HashTable *ht = NULL;
  if (Z_TYPE_P(v) == IS_ARRAY) {
    ht = Z_ARRVAL_P(v);
  } else if (Z_TYPE_P(v) == IS_OBJECT) {
    zend_class_entry *ce = Z_OBJCE_P(v);
    /* Custom serialization decides for itself what goes out. */
    if (ce->__serialize || ce->serialize ||
        zend_hash_str_exists(&ce->function_table, "__sleep", sizeof("__sleep") - 1))
      return NULL;
    ht = Z_OBJPROP_P(v);
  }
  if (ht == NULL) return NULL;
  if (GC_IS_RECURSIVE(ht)) return NULL;
  GC_TRY_PROTECT_RECURSION(ht);
  const char *found = NULL;
  zval *e;
  ZEND_HASH_FOREACH_VAL(ht, e) {
    if (Z_TYPE_P(e) == IS_INDIRECT) e = Z_INDIRECT_P(e);
    if ((found = mvphp_find_resource(e, depth + 1)) != NULL) break;
  } ZEND_HASH_FOREACH_END();
  GC_TRY_UNPROTECT_RECURSION(ht);
  return found;
}

static void mvphp_blob_begin(smart_str *out, char kind) {
  smart_str_appendl(out, MVPHP_BLOB_MAGIC, sizeof(MVPHP_BLOB_MAGIC) - 1);
  smart_str_appendc(out, kind);
}

static void mvphp_serialize(smart_str *out, zval *v) {
  php_serialize_data_t var_hash;
  PHP_VAR_SERIALIZE_INIT(var_hash);
  php_var_serialize(out, v, &var_hash);
  PHP_VAR_SERIALIZE_DESTROY(var_hash);
}

static void mvphp_record_add_str(zval *rec, const char *key, zend_object *ex,
                                 zend_class_entry *base, zend_string *prop) {
  zval rv, *v = zend_read_property_ex(base, ex, prop, 1, &rv);
  add_assoc_str(rec, key, zval_get_string(v));
}

void mvphp_exception_record(zval *rec, zend_object *ex) {
  zend_class_entry *base = zend_get_exception_base(ex);
  zval rv;
  array_init(rec);
  add_assoc_str(rec, "class", zend_string_copy(ex->ce->name));
  mvphp_record_add_str(rec, "message", ex, base, ZSTR_KNOWN(ZEND_STR_MESSAGE));
  zval *code = zend_read_property_ex(base, ex, ZSTR_KNOWN(ZEND_STR_CODE), 1, &rv);
  ZVAL_DEREF(code);
  if (Z_TYPE_P(code) == IS_LONG || Z_TYPE_P(code) == IS_STRING) {
    Z_TRY_ADDREF_P(code);
    add_assoc_zval(rec, "code", code);
  } else {
    add_assoc_long(rec, "code", 0);
  }
  mvphp_record_add_str(rec, "file", ex, base, ZSTR_KNOWN(ZEND_STR_FILE));
  zval *line = zend_read_property_ex(base, ex, ZSTR_KNOWN(ZEND_STR_LINE), 1, &rv);
  add_assoc_long(rec, "line", zval_get_long(line));
  zval trace;
  ZVAL_UNDEF(&trace);
  zend_call_method_with_0_params(ex, ex->ce, NULL, "gettraceasstring", &trace);
  if (EG(exception)) zend_clear_exception();
  add_assoc_str(rec, "trace",
                Z_TYPE(trace) == IS_STRING ? zend_string_copy(Z_STR(trace)) : ZSTR_EMPTY_ALLOC());
  zval_ptr_dtor(&trace);
}

/* The blob for an exception the body threw. */
static void mvphp_exception_blob(smart_str *out, zend_object *ex) {
  zval rec;
  mvphp_exception_record(&rec, ex);
  mvphp_blob_begin(out, 'E');
  mvphp_serialize(out, &rec);
  zval_ptr_dtor(&rec);
}

static void mvphp_unserializable_record(smart_str *out, const char *cls, const char *msg) {
  zval rec;
  array_init(&rec);
  add_assoc_string(&rec, "class", cls);
  add_assoc_string(&rec, "message", msg);
  add_assoc_long(&rec, "code", 0);
  add_assoc_string(&rec, "file", "");
  add_assoc_long(&rec, "line", 0);
  add_assoc_string(&rec, "trace", "");
  mvphp_blob_begin(out, 'S');
  mvphp_serialize(out, &rec);
  zval_ptr_dtor(&rec);
}

/* Serialize the result; returns the exit code. */
static int mvphp_result_record(smart_str *out, zval *result) {
  const char *rsrc = mvphp_find_resource(result, 0);
  if (rsrc) {
    char msg[256];
    snprintf(msg, sizeof(msg), "a resource (%s) cannot be serialized", rsrc);
    mvphp_unserializable_record(out, "", msg);
    return 255;
  }
  mvphp_blob_begin(out, 'R');
  mvphp_serialize(out, result);
  if (EG(exception)) {
    /* "Serialization of 'Closure' is not allowed", a __sleep that throws */
    zend_object *ex = EG(exception);
    GC_ADDREF(ex);
    zend_clear_exception();
    zval rv, *m = zend_read_property_ex(zend_get_exception_base(ex), ex,
                                        ZSTR_KNOWN(ZEND_STR_MESSAGE), 1, &rv);
    zend_string *msg = zval_get_string(m);
    smart_str_free(out);
    mvphp_unserializable_record(out, ZSTR_VAL(ex->ce->name), ZSTR_VAL(msg));
    zend_string_release(msg);
    OBJ_RELEASE(ex);
    return 255;
  }
  return 0;
}

static const char *mvphp_error_label(int type) {
  switch (type) {
    case E_PARSE: return "Parse error";
    case E_RECOVERABLE_ERROR: return "Recoverable fatal error";
    default: return "Fatal error";
  }
}

/* A fatal error ended the body: PHP either bailed out or (for errors
 * raised inside a call, like the memory limit) unwinds as exit(255). */
static int mvphp_last_error_fatal(void) {
  return PG(last_error_message) != NULL &&
         (PG(last_error_type) & (E_ERROR | E_CORE_ERROR | E_COMPILE_ERROR | E_USER_ERROR |
                                 E_RECOVERABLE_ERROR | E_PARSE));
}

/* Report the fatal error without PHP's allocator (the memory limit may be
 * what failed). */
static void mvphp_send_fatal(mv_child_t *child) {
  const char *label = mvphp_error_label(PG(last_error_type));
  const char *msg = PG(last_error_message) ? ZSTR_VAL(PG(last_error_message)) : "";
  const char *file = PG(last_error_file) ? ZSTR_VAL(PG(last_error_file)) : "";
  char line[32];
  int nl = snprintf(line, sizeof(line), "%d", PG(last_error_lineno));
  size_t lens[4] = {strlen(label), strlen(file), (size_t)nl, strlen(msg)};
  const char *parts[4] = {label, file, line, msg};
  size_t total = sizeof(MVPHP_BLOB_MAGIC) + lens[0] + lens[1] + lens[2] + lens[3] + 4;
  char *buf = malloc(total), *p = buf;
  if (buf == NULL) return;
  memcpy(p, MVPHP_BLOB_MAGIC, sizeof(MVPHP_BLOB_MAGIC) - 1);
  p += sizeof(MVPHP_BLOB_MAGIC) - 1;
  *p++ = 'F';
  for (int i = 0; i < 4; i++) {
    memcpy(p, parts[i], lens[i]);
    p += lens[i];
    *p++ = '\0';
  }
  mv_child_send(child, buf, (size_t)(p - buf));
  free(buf);
}

/* Run the body and send its outcome; returns the exit code. */
static int mvphp_child_run(mv_child_t *child, mvphp_child_body body, void *arg) {
  zval result;
  ZVAL_UNDEF(&result);
  body(arg, &result);
  smart_str out = {0};
  int code;
  if (EG(exception)) {
    zend_object *ex = EG(exception);
    /* exit(): leave with its status, sending nothing (unless it is how a
     * fatal error ends). */
    if (zend_is_unwind_exit(ex)) {
      if (EG(exit_status) == 255 && mvphp_last_error_fatal()) mvphp_send_fatal(child);
      return EG(exit_status);
    }
    if (zend_is_graceful_exit(ex)) return 0;
    GC_ADDREF(ex);
    zend_clear_exception();
    mvphp_exception_blob(&out, ex);
    code = 255; /* what PHP exits with on an uncaught exception */
  } else {
    if (Z_TYPE(result) == IS_UNDEF) ZVAL_NULL(&result);
    code = mvphp_result_record(&out, &result);
  }
  /* Nothing is released: the process ends right after, and releasing could
   * run destructors of objects the child shares with its parent. */
  if (out.s && mv_child_send(child, ZSTR_VAL(out.s), ZSTR_LEN(out.s)) < 0) code = 254;
  return code;
}

ZEND_NORETURN void mvphp_child_main(mv_child_t *child, mvphp_child_body body, void *arg) {
  mvphp_after_fork_child();
  volatile int code = 255;
  zend_try {
    code = mvphp_child_run(child, body, arg);
  } zend_catch {
    /* A fatal error, already displayed by PHP: tell the parent which, and
     * exit as PHP would. Nothing here may bail out again, but if it did,
     * this catch still keeps the child out of PHP's shutdown. */
    code = EG(exit_status) ? EG(exit_status) : 255;
    zend_try {
      if (mvphp_last_error_fatal()) mvphp_send_fatal(child);
    } zend_end_try();
  } zend_end_try();
  mv_child_exit(child, code);
}

/* Parent side ------------------------------------------------------------- */

static zend_result mvphp_unserialize(zval *out, const char *data, size_t len) {
  php_unserialize_data_t var_hash;
  PHP_VAR_UNSERIALIZE_INIT(var_hash);
  const unsigned char *p = (const unsigned char *)data;
  zval *tmp = var_tmp_var(&var_hash);
  int ok = php_var_unserialize(tmp, &p, p + len, &var_hash);
  if (ok) ZVAL_COPY(out, tmp);
  /* Delayed __wakeup()/__unserialize() calls run here. */
  PHP_VAR_UNSERIALIZE_DESTROY(var_hash);
  if (!ok) {
    ZVAL_UNDEF(out);
    return FAILURE;
  }
  if (EG(exception)) {
    zval_ptr_dtor(out);
    ZVAL_UNDEF(out);
    return FAILURE;
  }
  return SUCCESS;
}

void mvphp_fork_outcome(mvphp_job_t *j, const mv_report_t *r) {
  const mv_buf_t *b = &r->result;
  /* Killed by us (timeout, cancel, clear) or a limit: whatever was sent
   * may be incomplete, and the report says what happened. */
  if (r->status == MV_ETIMEDOUT || r->status == MV_ECANCELED || r->status == MV_ELIMIT ||
      r->status == MV_ESPAWN || r->status == MV_ESUPERVISOR) {
    mvphp_exception_from_report(&j->error, r, NULL);
    return;
  }
  size_t magic = sizeof(MVPHP_BLOB_MAGIC) - 1;
  char kind = b->len > magic && memcmp(b->data, MVPHP_BLOB_MAGIC, magic) == 0 ? b->data[magic] : 0;
  if (kind == 'F') {
    const char *parts[4] = {"", "", "", ""};
    const char *p = b->data + magic + 1, *end = b->data + b->len;
    for (int i = 0; i < 4 && p < end; i++) {
      parts[i] = p;
      p += strnlen(p, (size_t)(end - p)) + 1;
    }
    mvphp_fatal_exception(&j->error, r, parts[0], parts[3], parts[1], atol(parts[2]));
    return;
  }
  if (kind != 'R' && kind != 'E' && kind != 'S') {
    if (r->status != MV_OK) {
      mvphp_exception_from_report(&j->error, r, NULL);
    } else {
      char *msg = NULL;
      zend_spprintf(&msg, 0, "task '%s' exited with code 0 without sending a result", r->worker);
      mvphp_exception_from_report(&j->error, r, msg);
      mvphp_exception_set_code(&j->error, MVPHP_CODE_BAD_RESULT);
      efree(msg);
    }
    return;
  }
  zval v;
  if (mvphp_unserialize(&v, b->data + magic + 1, b->len - magic - 1) == FAILURE) {
    if (EG(exception)) {
      /* The result's own __unserialize()/__wakeup() threw: that is the
       * task's failure. */
      ZVAL_OBJ(&j->error, EG(exception));
      GC_ADDREF(EG(exception));
      zend_clear_exception();
      return;
    }
    char *msg = NULL;
    zend_spprintf(&msg, 0, "task '%s' sent a result that cannot be unserialized (%zu bytes)",
                  r->worker, b->len);
    mvphp_exception_from_report(&j->error, r, msg);
    mvphp_exception_set_code(&j->error, MVPHP_CODE_BAD_RESULT);
    efree(msg);
    return;
  }
  if (kind == 'R') {
    ZVAL_COPY_VALUE(&j->value, &v);
    return;
  }
  if (Z_TYPE(v) != IS_ARRAY) {
    zval_ptr_dtor(&v);
    mvphp_exception_from_report(&j->error, r, "task sent a malformed error record");
    mvphp_exception_set_code(&j->error, MVPHP_CODE_BAD_RESULT);
    return;
  }
  mvphp_task_exception(&j->error, r, Z_ARRVAL(v), kind == 'S');
  zval_ptr_dtor(&v);
}
