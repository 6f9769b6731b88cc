/*
 * Bounded capture of a stream. stdout and the result channel keep their
 * head (the JSON value starts there; past the limit the call fails
 * anyway); stderr keeps its tail, because a traceback is printed last. The
 * host never holds more than `limit` bytes per stream, however much a
 * worker prints.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void mv__capture_init(mv__capture_t *c, size_t limit, int keep_tail) {
  memset(c, 0, sizeof(*c));
  c->limit = limit;
  c->keep_tail = keep_tail;
}

static int mv__capture_grow(mv__capture_t *c, size_t need) {
  if (need <= c->cap) return 0;
  size_t cap = c->cap ? c->cap : 4096;
  while (cap < need) cap *= 2;
  if (cap > c->limit) cap = c->limit;
  char *p = realloc(c->data, cap + 1);
  if (p == NULL) return -1;
  c->data = p;
  c->cap = cap;
  return 0;
}

int mv__capture_append(mv__capture_t *c, const char *buf, size_t len) {
  c->total += len;
  if (c->limit == 0) return 0;
  if (!c->keep_tail) {
    size_t room = c->limit - c->len;
    size_t take = len < room ? len : room;
    if (take == 0) return 0;
    if (mv__capture_grow(c, c->len + take) < 0) return -1;
    memcpy(c->data + c->len, buf, take);
    c->len += take;
    return 0;
  }
  /* Tail mode: a ring of `limit` bytes once full. */
  if (len >= c->limit) {
    if (mv__capture_grow(c, c->limit) < 0) return -1;
    memcpy(c->data, buf + len - c->limit, c->limit);
    c->len = c->limit;
    c->head = 0;
    return 0;
  }
  size_t need = c->len + len < c->limit ? c->len + len : c->limit;
  if (mv__capture_grow(c, need) < 0) return -1;
  /* Fill up to the limit, then overwrite the oldest bytes. */
  while (len > 0) {
    if (c->len < c->limit) {
      size_t take = c->limit - c->len < len ? c->limit - c->len : len;
      memcpy(c->data + c->len, buf, take);
      c->len += take;
      buf += take;
      len -= take;
      continue;
    }
    size_t take = c->limit - c->head < len ? c->limit - c->head : len;
    memcpy(c->data + c->head, buf, take);
    c->head = (c->head + take) % c->limit;
    buf += take;
    len -= take;
  }
  return 0;
}

int mv__capture_finish(mv__capture_t *c, mv_buf_t *out) {
  memset(out, 0, sizeof(*out));
  out->total = c->total;
  out->truncated = c->total > c->len;
  if (c->keep_tail && c->head != 0) {
    /* Linearise the ring: oldest byte first. */
    char *p = malloc(c->len + 1);
    if (p == NULL) return -1;
    memcpy(p, c->data + c->head, c->len - c->head);
    memcpy(p + c->len - c->head, c->data, c->head);
    free(c->data);
    c->data = p;
    c->head = 0;
    c->cap = c->len;
  }
  if (c->data == NULL) {
    c->data = malloc(1);
    if (c->data == NULL) return -1;
  }
  c->data[c->len] = '\0';
  out->data = c->data;
  out->len = c->len;
  c->data = NULL;
  c->len = c->cap = 0;
  return 0;
}

void mv__capture_dispose(mv__capture_t *c) {
  free(c->data);
  memset(c, 0, sizeof(*c));
}
