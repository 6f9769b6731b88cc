/*
 * JSON checks on worker results.
 *
 * mv__json_valid() is a non-allocating validator (RFC 8259 grammar, depth
 * bounded): results can be tens of megabytes and the bindings decode them
 * with their own parser anyway, so building a tree here only to throw it
 * away would double the cost. cJSON parses the small structured error that
 * the worker SDK's fail() writes to the result channel.
 */
#include "internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define MV__JSON_MAX_DEPTH 512

typedef struct {
  const char *p, *end;
  int depth;
} mv__js_t;

static void mv__js_ws(mv__js_t *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static int mv__js_lit(mv__js_t *s, const char *lit) {
  size_t n = strlen(lit);
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0) return 0;
  s->p += n;
  return 1;
}

static int mv__js_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int mv__js_string(mv__js_t *s) {
  s->p++; /* opening quote */
  while (s->p < s->end) {
    unsigned char c = (unsigned char)*s->p++;
    if (c == '"') return 1;
    if (c < 0x20) return 0;
    if (c == '\\') {
      if (s->p >= s->end) return 0;
      char e = *s->p++;
      if (e == 'u') {
        if (s->end - s->p < 4) return 0;
        for (int i = 0; i < 4; i++)
          if (!mv__js_hex(s->p[i])) return 0;
        s->p += 4;
      } else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
        return 0;
      }
    }
  }
  return 0;
}

static int mv__js_digits(mv__js_t *s) {
  const char *start = s->p;
  while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
  return s->p > start;
}

static int mv__js_number(mv__js_t *s) {
  if (*s->p == '-') s->p++;
  if (s->p >= s->end) return 0;
  if (*s->p == '0') {
    s->p++;
  } else if (!mv__js_digits(s)) {
    return 0;
  }
  if (s->p < s->end && *s->p == '.') {
    s->p++;
    if (!mv__js_digits(s)) return 0;
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    s->p++;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
    if (!mv__js_digits(s)) return 0;
  }
  return 1;
}

static int mv__js_value(mv__js_t *s);

static int mv__js_container(mv__js_t *s, char close, int is_object) {
  if (++s->depth > MV__JSON_MAX_DEPTH) return 0;
  s->p++;
  mv__js_ws(s);
  if (s->p < s->end && *s->p == close) {
    s->p++;
    s->depth--;
    return 1;
  }
  for (;;) {
    mv__js_ws(s);
    if (is_object) {
      if (s->p >= s->end || *s->p != '"' || !mv__js_string(s)) return 0;
      mv__js_ws(s);
      if (s->p >= s->end || *s->p++ != ':') return 0;
      mv__js_ws(s);
    }
    if (!mv__js_value(s)) return 0;
    mv__js_ws(s);
    if (s->p >= s->end) return 0;
    char c = *s->p++;
    if (c == close) break;
    if (c != ',') return 0;
  }
  s->depth--;
  return 1;
}

static int mv__js_value(mv__js_t *s) {
  if (s->p >= s->end) return 0;
  switch (*s->p) {
    case '{': return mv__js_container(s, '}', 1);
    case '[': return mv__js_container(s, ']', 0);
    case '"': return mv__js_string(s);
    case 't': return mv__js_lit(s, "true");
    case 'f': return mv__js_lit(s, "false");
    case 'n': return mv__js_lit(s, "null");
    default: return mv__js_number(s);
  }
}

int mv__json_valid(const char *buf, size_t len) {
  mv__js_t s = {buf, buf + len, 0};
  mv__js_ws(&s);
  if (!mv__js_value(&s)) return 0;
  mv__js_ws(&s);
  return s.p == s.end;
}

static char *mv__json_str(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? mv__strdup(v->valuestring) : NULL;
}

int mv__json_structured_error(const char *buf, size_t len, mv_remote_error_t *e) {
  static const char marker[] = "\"__multiverse_error__\"";
  /* Cheap pre-check: only an object whose first key is the marker. */
  size_t i = 0;
  while (i < len && strchr(" \t\r\n", buf[i]) && buf[i] != '\0') i++;
  if (i >= len || buf[i] != '{') return 0;
  i++;
  while (i < len && strchr(" \t\r\n", buf[i]) && buf[i] != '\0') i++;
  if (len - i < sizeof(marker) - 1 || memcmp(buf + i, marker, sizeof(marker) - 1) != 0)
    return 0;

  cJSON *root = cJSON_ParseWithLength(buf, len);
  if (root == NULL) return 0;
  const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "__multiverse_error__");
  if (!cJSON_IsObject(err)) {
    cJSON_Delete(root);
    return 0;
  }
  mv_remote_error_dispose(e);
  e->type = mv__json_str(err, "type");
  e->message = mv__json_str(err, "message");
  e->language = mv__json_str(err, "language");
  const cJSON *frames = cJSON_GetObjectItemCaseSensitive(err, "frames");
  int n = cJSON_IsArray(frames) ? cJSON_GetArraySize(frames) : 0;
  if (n > 0) {
    e->frames = calloc((size_t)n, sizeof(mv_frame_t));
    if (e->frames) {
      const cJSON *f;
      cJSON_ArrayForEach(f, frames) {
        if (!cJSON_IsObject(f)) continue;
        mv_frame_t *fr = &e->frames[e->nframes++];
        fr->file = mv__json_str(f, "file");
        fr->function = mv__json_str(f, "function");
        const cJSON *line = cJSON_GetObjectItemCaseSensitive(f, "line");
        fr->line = cJSON_IsNumber(line) ? (long)line->valuedouble : 0;
      }
    }
  }
  cJSON_Delete(root);
  return 1;
}
