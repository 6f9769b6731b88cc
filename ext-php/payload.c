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

zend_string *mvphp_payload_encode(zval *payload, uint32_t arg_num, const char *entry) {
  ZVAL_DEREF(payload);
  if (Z_TYPE_P(payload) == IS_ARRAY && zend_hash_num_elements(Z_ARRVAL_P(payload)) == 0)
    return zend_string_init("{}", 2, 0);
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
