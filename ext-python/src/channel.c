/*
 * The child side of a pool process: Loop.pool_fork(serve) calls
 * serve(channel) in the forked child. The Channel reads requests from
 * mv_child_request_fd() and sends answers, both framed as an 8-byte
 * little-endian length followed by the bytes (multiverse.h). Blocking
 * reads and writes release the GIL.
 */
#include "mvpy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Channel ------------------------------------------------------------------ */

/* Requests are read in chunks of this size: a small request and its
 * header arrive in one read. */
#define MVPY_READ_CHUNK (64 * 1024)

typedef struct {
  PyObject_HEAD
  mv_child_t *child;
  int fd;                    /* requests */
  char *buf;                 /* bytes read and not yet handed out: buf[off, len) */
  size_t off, len;
} mvpy_channel;

/* Read exactly n bytes. 0 = done, 1 = end of file before the first byte,
 * -1 = error or end of file in the middle (errno set). No GIL needed. */
static int read_exact(int fd, char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r > 0) {
      got += (size_t)r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r == 0 && got == 0) return 1;
    if (r == 0) errno = EPIPE;
    return -1;
  }
  return 0;
}

/* One read into the buffer. 1 = got bytes, 0 = end of file, -1 = error. */
static int channel_fill(mvpy_channel *self) {
  if (self->buf == NULL && (self->buf = malloc(MVPY_READ_CHUNK)) == NULL) {
    errno = ENOMEM;
    return -1;
  }
  if (self->off > 0) {
    memmove(self->buf, self->buf + self->off, self->len - self->off);
    self->len -= self->off;
    self->off = 0;
  }
  ssize_t r;
  Py_BEGIN_ALLOW_THREADS
  do {
    r = read(self->fd, self->buf + self->len, MVPY_READ_CHUNK - self->len);
  } while (r < 0 && errno == EINTR);
  Py_END_ALLOW_THREADS
  if (r > 0) self->len += (size_t)r;
  return r > 0 ? 1 : (int)r;
}

static PyObject *channel_recv(mvpy_channel *self, PyObject *unused) {
  (void)unused;
  while (self->len - self->off < 8) {
    int r = channel_fill(self);
    if (r == 0 && self->len == self->off) Py_RETURN_NONE; /* the host closed: time to go */
    if (r == 0) errno = EPIPE;
    if (r <= 0) return PyErr_SetFromErrno(PyExc_OSError);
  }
  const unsigned char *hdr = (const unsigned char *)self->buf + self->off;
  uint64_t len = 0;
  for (int i = 7; i >= 0; i--) len = (len << 8) | hdr[i];
  if (len > (uint64_t)PY_SSIZE_T_MAX) {
    PyErr_SetString(PyExc_OverflowError, "request too large");
    return NULL;
  }
  self->off += 8;
  PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)len);
  if (out == NULL) return NULL;
  size_t have = self->len - self->off;
  if (have > len) have = (size_t)len;
  memcpy(PyBytes_AS_STRING(out), self->buf + self->off, have);
  self->off += have;
  int r = 0;
  if (have < len) {
    /* A large request: the rest goes straight into the bytes object. */
    Py_BEGIN_ALLOW_THREADS
    r = read_exact(self->fd, PyBytes_AS_STRING(out) + have, (size_t)len - have);
    Py_END_ALLOW_THREADS
  }
  if (r != 0) {
    Py_DECREF(out);
    if (r == 1) errno = EPIPE;
    return PyErr_SetFromErrno(PyExc_OSError);
  }
  return out;
}

/* Frames up to this size go out as one write: the host then sees the whole
 * answer in one wakeup instead of the header first. */
#define MVPY_ONE_WRITE (64 * 1024)

static PyObject *channel_send(mvpy_channel *self, PyObject *arg) {
  Py_buffer view;
  if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
  size_t len = (size_t)view.len;
  int r;
  char *one = len <= MVPY_ONE_WRITE ? malloc(len + 8) : NULL;
  Py_BEGIN_ALLOW_THREADS
  if (one) {
    uint64_t n = len;
    for (int i = 0; i < 8; i++) one[i] = (char)((n >> (8 * i)) & 0xff);
    memcpy(one + 8, view.buf, len);
    r = mv_child_send(self->child, one, len + 8);
  } else {
    r = mv_child_send_frame(self->child, view.buf, len);
  }
  Py_END_ALLOW_THREADS
  free(one);
  PyBuffer_Release(&view);
  if (r < 0) {
    PyErr_SetString(PyExc_OSError, mv_last_error());
    return NULL;
  }
  Py_RETURN_NONE;
}

static PyObject *channel_end_request(mvpy_channel *self, PyObject *unused) {
  (void)unused;
  int n;
  Py_BEGIN_ALLOW_THREADS
  n = mv_child_end_request(self->child);
  Py_END_ALLOW_THREADS
  return PyLong_FromLong(n);
}

static void channel_dealloc(mvpy_channel *self) {
  PyTypeObject *tp = Py_TYPE(self);
  free(self->buf);
  tp->tp_free((PyObject *)self);
  Py_DECREF(tp);
}

static PyMethodDef channel_methods[] = {
    {"recv", (PyCFunction)channel_recv, METH_NOARGS,
     "recv() -> bytes | None\n--\n\nThe next request (blocking); None once the host closed the channel."},
    {"send", (PyCFunction)channel_send, METH_O,
     "send(data)\n--\n\nSend one answer (a bytes-like object)."},
    {"end_request", (PyCFunction)channel_end_request, METH_NOARGS,
     "end_request() -> int\n--\n\nKill and reap what the request left behind; how many."},
    {NULL, NULL, 0, NULL}};

static PyType_Slot channel_slots[] = {
    {Py_tp_dealloc, channel_dealloc},
    {Py_tp_methods, channel_methods},
    {Py_tp_doc, "The request channel of a persistent forked task (child side)."},
    {0, NULL}};

PyType_Spec mvpy_channel_spec = {
    .name = "multiverse._core.Channel",
    .basicsize = sizeof(mvpy_channel),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = channel_slots,
};

void mvpy_server_child(PyObject *serve, mv_child_t *child, mvpy_state *st) {
  int code = 0;
  mvpy_channel *ch = (mvpy_channel *)st->channel_type->tp_alloc(st->channel_type, 0);
  if (ch == NULL) {
    PyErr_Print();
    mv_child_exit(child, 1);
  }
  ch->child = child;
  ch->fd = mv_child_request_fd(child);
  PyObject *res = PyObject_CallOneArg(serve, (PyObject *)ch);
  if (res == NULL) {
    PyErr_Print();
    code = 1;
  }
  Py_XDECREF(res);
  mvpy_flush_std();
  mv_child_exit(child, code);
}
