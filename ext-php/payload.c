/*
 * JSON at the worker boundary.
 *
 * Payload (PHP -> worker):
 *   - an empty array is sent as {} (a worker expects an object; PHP cannot
 *     tell [] from {} in an empty array);
 *   - anything else goes through ext/json's encoder with slashes and
 *     unicode unescaped and 0.0 kept as 0.0; what the encoder rejects (INF,
 *     NAN, resources, invalid UTF-8, recursion) is a ValueError naming the
 *     argument, before any process starts;
 *   - nesting deeper than 512 levels (arrays and objects) is a ValueError
 *     too, found before encoding by a walk that keeps its own stack: ext/json
 *     recurses once per level and checks the depth only on the way back, so
 *     a payload nested 100 000 deep would overflow the host's C stack;
 *   - a `_timeout` key overrides the call's timeout and is removed from what
 *     the worker receives: it is an instruction to multiverse, not data.
 *
 * Result (worker -> PHP): any JSON value. Objects decode to associative
 * arrays, depth up to 512, and integers beyond PHP_INT_MAX become floats —
 * exactly what json_decode($json, true) gives, so code moving from a
 * shell-out + json_decode() sees the same values.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>

#include "php.h"
#include "zend_exceptions.h"
#include "zend_smart_str.h"
#include "ext/json/php_json.h"

#include "php_multiverse.h"

#define MVPHP_JSON_DEPTH 512

/* ext/json's own wording (json_last_error_msg()), which it does not export. */
static const char *mvphp_json_error(php_json_error_code code) {
  switch (code) {
    case PHP_JSON_ERROR_NONE: return "No error";
    case PHP_JSON_ERROR_DEPTH: return "Maximum stack depth exceeded";
    case PHP_JSON_ERROR_STATE_MISMATCH: return "State mismatch (invalid or malformed JSON)";
    case PHP_JSON_ERROR_CTRL_CHAR: return "Control character error, possibly incorrectly encoded";
    case PHP_JSON_ERROR_SYNTAX: return "Syntax error";
    case PHP_JSON_ERROR_UTF8: return "Malformed UTF-8 characters, possibly incorrectly encoded";
    case PHP_JSON_ERROR_RECURSION: return "Recursion detected";
    case PHP_JSON_ERROR_INF_OR_NAN: return "Inf and NaN cannot be JSON encoded";
    case PHP_JSON_ERROR_UNSUPPORTED_TYPE: return "Type is not supported";
    case PHP_JSON_ERROR_INVALID_PROPERTY_NAME:
      return "The decoded property name is invalid";
    case PHP_JSON_ERROR_UTF16:
      return "Single unpaired UTF-16 surrogate in unicode escape";
    case PHP_JSON_ERROR_NON_BACKED_ENUM: return "Non-backed enums have no default serialization";
  }
  return "Unknown error";
}

/* Depth ------------------------------------------------------------------ */

/* One container on the walk's path: an array, or an object's properties as
 * ext/json sees them. */
typedef struct {
  HashTable *ht;
  HashTable *props;          /* zend_get_properties_for()'s table, to release */
  zend_refcounted *shared;   /* key under which its height is remembered, or NULL */
  HashPosition pos;
  uint32_t below;            /* height of the tallest container seen under it */
} mvphp_depth_frame;

/* The containers below a value that ext/json would descend into: the
 * array, or the object's public properties. JsonSerializable objects and
 * enums are leaves here (what jsonSerialize() returns is only known by
 * calling it, which the encoder does). */
static HashTable *mvphp_depth_children(zval *v, HashTable **props, zend_refcounted **key) {
  *props = NULL;
  if (Z_TYPE_P(v) == IS_ARRAY) {
    *key = (zend_refcounted *)Z_ARR_P(v);
    return Z_ARRVAL_P(v);
  }
  if (Z_TYPE_P(v) != IS_OBJECT) return NULL;
  zend_class_entry *ce = Z_OBJCE_P(v);
  if ((ce->ce_flags & ZEND_ACC_ENUM) || instanceof_function(ce, php_json_serializable_ce))
    return NULL;
  *key = (zend_refcounted *)Z_OBJ_P(v);
  *props = zend_get_properties_for(v, ZEND_PROP_PURPOSE_JSON);
  return *props;
}

static void mvphp_depth_pop(mvphp_depth_frame *f, HashTable *heights) {
  GC_TRY_UNPROTECT_RECURSION(f->ht);
  if (f->shared) zend_hash_index_update_ptr(heights, (zend_ulong)(uintptr_t)f->shared,
                                            (void *)(uintptr_t)(f->below + 1));
  zend_release_properties(f->props);
}

/* Does `payload` nest more than MVPHP_JSON_DEPTH arrays and objects (the
 * way json_encode()'s $depth counts them)? A depth-first walk with a heap
 * stack of at most MVPHP_JSON_DEPTH frames, so it never recurses and always
 * ends:
 *   - a container already on the path (a self-reference) is not entered
 *     again; the encoder reports it as recursion;
 *   - the height of a container that can be reached more than once (shared
 *     or behind a reference) is remembered, so a structure that shares its
 *     parts costs what its distinct parts cost, not what its expansion
 *     would. */
static int mvphp_payload_too_deep(zval *payload) {
  mvphp_depth_frame *stack = safe_emalloc(MVPHP_JSON_DEPTH, sizeof(*stack), 0);
  HashTable heights;
  zend_hash_init(&heights, 8, NULL, NULL, 0);
  uint32_t depth = 0;
  int too_deep = 0;
  zval *v = payload;
  int shared_path = 0;
  ZVAL_DEREF(v);
  for (;;) {
    /* v: the value to look at under the current path (NULL: none). */
    if (v != NULL) {
      HashTable *props, *ht;
      zend_refcounted *key = NULL;
      ht = mvphp_depth_children(v, &props, &key);
      if (ht != NULL) {
        zval *known = NULL;
        int shared = shared_path || (GC_FLAGS(key) & GC_IMMUTABLE) || GC_REFCOUNT(key) > 1;
        if (shared) known = zend_hash_index_find(&heights, (zend_ulong)(uintptr_t)key);
        if (known != NULL) {
          uint32_t h = (uint32_t)(uintptr_t)Z_PTR_P(known);
          if (depth > 0 && stack[depth - 1].below < h) stack[depth - 1].below = h;
          if (depth + h > MVPHP_JSON_DEPTH) too_deep = 1;
          zend_release_properties(props);
        } else if (GC_IS_RECURSIVE(ht)) {
          zend_release_properties(props);
        } else if (depth == MVPHP_JSON_DEPTH) {
          too_deep = 1;
          zend_release_properties(props);
        } else {
          mvphp_depth_frame *f = &stack[depth++];
          f->ht = ht;
          f->props = props;
          f->shared = shared ? key : NULL;
          f->below = 0;
          zend_hash_internal_pointer_reset_ex(ht, &f->pos);
          GC_TRY_PROTECT_RECURSION(ht);
        }
      }
      if (too_deep || EG(exception)) break;
    }
    if (depth == 0) break;
    /* The next element of the innermost container, or leave it. */
    mvphp_depth_frame *f = &stack[depth - 1];
    v = zend_hash_get_current_data_ex(f->ht, &f->pos);
    if (v == NULL) {
      mvphp_depth_pop(f, &heights);
      depth--;
      if (depth > 0 && stack[depth - 1].below < f->below + 1) stack[depth - 1].below = f->below + 1;
      continue;
    }
    if (f->props != NULL) {
      /* ext/json leaves out protected and private properties ("\0*\0x"). */
      zend_string *k = NULL;
      zend_ulong i;
      zend_hash_get_current_key_ex(f->ht, &k, &i, &f->pos);
      if (k != NULL && ZSTR_LEN(k) > 0 && ZSTR_VAL(k)[0] == '\0') v = NULL;
    }
    zend_hash_move_forward_ex(f->ht, &f->pos);
    if (v == NULL) continue;
    if (Z_TYPE_P(v) == IS_INDIRECT) v = Z_INDIRECT_P(v);
    /* What a reference points to can be reached from elsewhere too. */
    shared_path = Z_ISREF_P(v) && GC_REFCOUNT(Z_REF_P(v)) > 1;
    ZVAL_DEREF(v);
  }
  while (depth > 0) mvphp_depth_pop(&stack[--depth], &heights);
  zend_hash_destroy(&heights);
  efree(stack);
  return too_deep;
}

/* Encode ----------------------------------------------------------------- */

zend_string *mvphp_payload_encode(zval *payload, uint32_t arg_num, const char *entry) {
  ZVAL_DEREF(payload);
  if (Z_TYPE_P(payload) == IS_ARRAY && zend_hash_num_elements(Z_ARRVAL_P(payload)) == 0)
    return zend_string_init("{}", 2, 0);
  if (mvphp_payload_too_deep(payload)) {
    if (EG(exception)) return NULL; /* a get_properties_for handler threw */
    if (entry)
      zend_argument_value_error(arg_num, "entry %s: payload must not be nested deeper than %d "
                                "levels (arrays and objects)", entry, MVPHP_JSON_DEPTH);
    else
      zend_argument_value_error(arg_num, "must not be nested deeper than %d levels (arrays "
                                "and objects)", MVPHP_JSON_DEPTH);
    return NULL;
  }
  if (EG(exception)) return NULL;
  smart_str buf = {0};
  /* The encoder reports through JSON_G(error_code), which json_last_error()
   * reads: keep the user's value intact. */
  php_json_error_code saved = JSON_G(error_code);
  zend_result r = php_json_encode_ex(&buf, payload,
                                     PHP_JSON_UNESCAPED_SLASHES | PHP_JSON_UNESCAPED_UNICODE |
                                         PHP_JSON_PRESERVE_ZERO_FRACTION,
                                     MVPHP_JSON_DEPTH);
  php_json_error_code err = JSON_G(error_code);
  JSON_G(error_code) = saved;
  if (r == FAILURE || err != PHP_JSON_ERROR_NONE || EG(exception)) {
    smart_str_free(&buf);
    if (EG(exception)) return NULL; /* a JsonSerializable threw */
    if (entry)
      zend_argument_value_error(arg_num, "entry %s: payload cannot be JSON-encoded: %s", entry,
                                mvphp_json_error(err));
    else
      zend_argument_value_error(arg_num, "cannot be JSON-encoded: %s", mvphp_json_error(err));
    return NULL;
  }
  return smart_str_extract(&buf);
}

/* Argument messages ------------------------------------------------------ */

zend_string *mvphp_printable(const char *s, size_t len, size_t max) {
  static const char hex[] = "0123456789abcdef";
  if (len > max) len = max;
  smart_str out = {0};
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
      case '\0': smart_str_appendl(&out, "\\0", 2); break;
      case '\t': smart_str_appendl(&out, "\\t", 2); break;
      case '\n': smart_str_appendl(&out, "\\n", 2); break;
      case '\r': smart_str_appendl(&out, "\\r", 2); break;
      case '"': smart_str_appendl(&out, "\\\"", 2); break;
      case '\\': smart_str_appendl(&out, "\\\\", 2); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
          smart_str_appendl(&out, esc, 4);
        } else {
          smart_str_appendc(&out, (char)c);
        }
    }
  }
  return smart_str_extract(&out);
}

zend_result mvphp_check_timeout_arg(double t, uint32_t arg_num) {
  if (mv_check_timeout(t, "timeout") < 0) {
    zend_argument_value_error(arg_num, "must be a finite number of seconds >= 0, got %s",
                              isnan(t) ? "NAN" : isinf(t) ? (t > 0 ? "INF" : "-INF") : "a negative number");
    return FAILURE;
  }
  return SUCCESS;
}

zend_result mvphp_payload_take_timeout(zval *payload, zval *copy, double *timeout,
                                       uint32_t arg_num, const char *entry) {
  ZVAL_UNDEF(copy);
  zval *p = payload;
  ZVAL_DEREF(p);
  if (Z_TYPE_P(p) != IS_ARRAY) return SUCCESS;
  zval *t = zend_hash_str_find_deref(Z_ARRVAL_P(p), "_timeout", sizeof("_timeout") - 1);
  if (t == NULL) return SUCCESS;
  if (Z_TYPE_P(t) == IS_LONG || Z_TYPE_P(t) == IS_DOUBLE) {
    double d = zval_get_double(t);
    if (mv_check_timeout(d, "_timeout") < 0) {
      zend_argument_value_error(arg_num, "%s%s%skey \"_timeout\" must be a finite number of seconds >= 0, got %s",
                                entry ? "entry " : "", entry ? entry : "", entry ? ": " : "",
                                isnan(d) ? "NAN" : isinf(d) ? "INF" : "a negative number");
      return FAILURE;
    }
    *timeout = d;
  } else if (Z_TYPE_P(t) != IS_NULL) {
    zend_argument_type_error(arg_num, "%s%s%skey \"_timeout\" must be of type ?float, %s given",
                             entry ? "entry " : "", entry ? entry : "", entry ? ": " : "",
                             zend_zval_type_name(t));
    return FAILURE;
  }
  /* The worker never sees it (null included: it is ours either way). */
  ZVAL_ARR(copy, zend_array_dup(Z_ARRVAL_P(p)));
  zend_hash_str_del(Z_ARRVAL_P(copy), "_timeout", sizeof("_timeout") - 1);
  return SUCCESS;
}

zend_result mvphp_result_decode(zval *out, const char *data, size_t len, const char **why) {
  php_json_error_code saved = JSON_G(error_code);
  JSON_G(error_code) = PHP_JSON_ERROR_NONE;
  zend_result r = php_json_decode_ex(out, data, len, PHP_JSON_OBJECT_AS_ARRAY, MVPHP_JSON_DEPTH);
  php_json_error_code err = JSON_G(error_code);
  JSON_G(error_code) = saved;
  if (r == FAILURE) {
    *why = mvphp_json_error(err);
    zval_ptr_dtor(out);
    ZVAL_UNDEF(out);
    return FAILURE;
  }
  return SUCCESS;
}
