/*
 * remote_error.c — find the exception a worker died with in its stderr.
 *
 * Approach
 * --------
 * The text is read once, line by line (split on '\n', a trailing '\r'
 * dropped), and every line is fed to three small state machines, one per
 * runtime: Python tracebacks, Node.js uncaught-exception reports and PHP
 * fatal errors. They run side by side because a worker's stderr is free
 * text: log output may come before, between and after the report, and the
 * machines must not depend on each other's guesses.
 *
 * While a machine reads an error it only records spans (pointer + length)
 * into the caller's text and frame slots in a fixed array; nothing is
 * copied or allocated per line. When a machine has read a complete error it
 * offers it; the offer that ends last in the text wins ("the last complete
 * error"), and when two end at the same byte the one that starts first wins
 * because it encloses the other (for example a Python message quoting a
 * Node stack). Only the winner is copied into malloc'd strings at the end.
 *
 * Work is linear in len: each line is looked at a constant number of times
 * by each machine, and the frame arrays are bounded (MV__RE_MAX_FRAMES; the
 * innermost frames are kept, as those are the ones that say where the error
 * happened). No byte at or past text + len is ever read: every scan is
 * bounded by a span length, and the text need not be NUL-terminated.
 *
 * Output conventions
 * ------------------
 *  - type: as printed ("json.decoder.JSONDecodeError", "App\Errors\X",
 *    "TypeError [ERR_INVALID_ARG_TYPE]"). PHP fatals that are not
 *    exceptions use PHP's own label: "Fatal error", "Parse error",
 *    "Recoverable fatal error". A Node value thrown that is not an Error
 *    (`throw "x"`, `throw {a: 1}`) has type "Uncaught" and the printed
 *    value as message.
 *  - message: may span lines ('\n'-joined, trailing newlines trimmed);
 *    "" when the exception has none. NUL bytes, which a C string cannot
 *    hold, become '?'.
 *  - frames: outermost first. function is "" when the runtime names none
 *    (a Python SyntaxError location, a PHP fatal's location, the Node
 *    "file:line" preamble), "<anonymous>" for Node frames of anonymous
 *    functions, and otherwise as printed ("<module>", "Object.<anonymous>",
 *    "App\Svc->run", "{closure}", "{main}"). PHP prints the callee next to
 *    the call site; frames here pair each location with the function that
 *    contains it, as Python does, and the throw site is the innermost frame.
 *  - A Python traceback cut off before its exception line, a PHP uncaught
 *    exception without "Stack trace:" and a Node stack without a
 *    "Name: message" line above it are not complete and are not reported.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "multiverse.h"

#define MV__RE_MAX_FRAMES 200
/* Lines of message text kept after the first one: bounds a message that
 * runs on into unrelated output with no blank line to stop it. */
#define MV__RE_MAX_MSG_LINES 200
/* Lines a PHP "Uncaught ..." header may span before "Stack trace:". */
#define MV__RE_MAX_HDR_LINES 64

typedef struct {
  const char *p;
  size_t n;
} re_span;

typedef struct {
  re_span file;
  long line;
  re_span func;
} re_frame;

typedef struct {
  const char *lang;
  const char *start; /* first byte of the error's text */
  const char *end;   /* end of its last line: orders competing errors */
  re_span type;
  re_span msg;       /* may cover several lines of the original text */
  size_t msg_prefix; /* bytes to drop from each continuation line */
  /* +2: PHP's raw stack keeps one extra entry for the function of the
   * outermost kept location, and may append the outermost call site. */
  re_frame frames[MV__RE_MAX_FRAMES + 2];
  size_t nframes;
  size_t ring; /* Python: slot of the oldest frame once the array is full */
  int valid;
} re_cand;

typedef struct {
  const char *p; /* first byte of the line */
  size_t n;      /* length without '\n' and a trailing '\r' */
  size_t no;     /* 0-based line number */
} re_line;

static const char mv__anon[] = "<anonymous>";
static const char mv__uncaught[] = "Uncaught";

/* ------------------------------------------------------------------------
 * Span helpers: all bounded by lengths, never by NUL terminators.
 */
static re_span sp(const char *p, size_t n) {
  re_span s;
  s.p = p;
  s.n = n;
  return s;
}

static re_span sp_lit(const char *lit) { return sp(lit, strlen(lit)); }

static re_span line_span(const re_line *ln) { return sp(ln->p, ln->n); }

static int sp_starts(re_span s, const char *lit) {
  size_t n = strlen(lit);
  return s.n >= n && memcmp(s.p, lit, n) == 0;
}

static int sp_eq(re_span a, re_span b) {
  return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static re_span sp_skip(re_span s, size_t k) {
  if (k > s.n) k = s.n;
  return sp(s.p + k, s.n - k);
}

static re_span sp_rtrim(re_span s) {
  while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t')) s.n--;
  return s;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }

static int is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || is_upper(c);
}

/* Position of the first occurrence of lit in s at or after from, or
 * SIZE_MAX. Needles are short literals, so the naive scan stays linear. */
static size_t sp_find(re_span s, size_t from, const char *lit) {
  size_t n = strlen(lit);
  if (n > s.n) return SIZE_MAX;
  for (size_t i = from; i + n <= s.n; i++)
    if (s.p[i] == lit[0] && memcmp(s.p + i, lit, n) == 0) return i;
  return SIZE_MAX;
}

/* Position of the last occurrence of lit in s[0, upto), or SIZE_MAX. */
static size_t sp_rfind(re_span s, size_t upto, const char *lit) {
  size_t n = strlen(lit);
  if (upto > s.n) upto = s.n;
  if (n > upto) return SIZE_MAX;
  for (size_t i = upto - n + 1; i-- > 0;)
    if (s.p[i] == lit[0] && memcmp(s.p + i, lit, n) == 0) return i;
  return SIZE_MAX;
}

/* Digits at s[*i...] as a line number; huge values saturate at LONG_MAX
 * rather than overflow. Returns 0 when there is no digit. */
static int parse_num(re_span s, size_t *i, long *out) {
  size_t j = *i;
  long v = 0;
  while (j < s.n && is_digit(s.p[j])) {
    int d = s.p[j] - '0';
    v = (v > (LONG_MAX - d) / 10) ? LONG_MAX : v * 10 + d;
    j++;
  }
  if (j == *i) return 0;
  *i = j;
  *out = v;
  return 1;
}

/* A trailing ":<digits>" of s: sets *num and shortens s to what precedes
 * the colon. */
static int strip_colon_num(re_span *s, long *num) {
  size_t j = s->n;
  while (j > 0 && is_digit(s->p[j - 1])) j--;
  if (j == s->n || j == 0 || s->p[j - 1] != ':') return 0;
  size_t i = j;
  if (!parse_num(*s, &i, num)) return 0;
  s->n = j - 1;
  return 1;
}

static int is_blank(re_span s) { return sp_rtrim(s).n == 0; }

/* A line of only carets (and Python's '~' underlines): the marker under a
 * source line. */
static int is_caret_line(re_span s) {
  int caret = 0;
  for (size_t i = 0; i < s.n; i++) {
    if (s.p[i] == '^') caret = 1;
    else if (s.p[i] != ' ' && s.p[i] != '~' && s.p[i] != '\t') return 0;
  }
  return caret;
}

/* Lines a logging library would write: a timestamp or a level word first.
 * Such a line ends a message and is never a "Type: message" line, which
 * keeps log output after a traceback out of the exception's message. */
static int starts_with_stamp(re_span s, int bracketed) {
  if (s.n >= 5 && is_digit(s.p[0]) && is_digit(s.p[1]) && is_digit(s.p[2]) &&
      is_digit(s.p[3]) && (s.p[4] == '-' || s.p[4] == '/'))
    return 1; /* 2024-01-31 ... */
  if (s.n >= 3 && is_digit(s.p[0]) && is_digit(s.p[1]) &&
      (s.p[2] == ':' || (bracketed && (s.p[2] == '-' || s.p[2] == '/'))))
    return 1; /* 12:00:01 ..., [31-Jan-2024 ...] */
  return 0;
}

static int looks_like_log_line(re_span s) {
  static const char *const levels[] = {"DEBUG", "INFO", "NOTICE", "WARNING",
                                       "WARN", "ERROR", "CRITICAL", "FATAL",
                                       "TRACE"};
  if (starts_with_stamp(s, 0)) return 1;
  if (s.n >= 2 && s.p[0] == '[') {
    s = sp_skip(s, 1);
    if (starts_with_stamp(s, 1)) return 1;
  }
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
    size_t n = strlen(levels[i]);
    if (s.n > n && memcmp(s.p, levels[i], n) == 0 &&
        strchr(":]|- ", s.p[n]) != NULL && s.p[n] != '\0')
      return 1;
  }
  return 0;
}

/* ------------------------------------------------------------------------
 * Candidates.
 */
typedef struct {
  re_cand *best;
} re_parser;

static void cand_reset(re_cand *c) {
  c->lang = NULL;
  c->start = c->end = NULL;
  c->type = sp(NULL, 0);
  c->msg = sp(NULL, 0);
  c->msg_prefix = 0;
  c->nframes = 0;
  c->ring = 0;
  c->valid = 0;
}

static re_frame mk_frame(re_span file, long line, re_span func) {
  re_frame f;
  f.file = file;
  f.line = line;
  f.func = func;
  return f;
}

/* Append while there is room: for stacks printed innermost first, where
 * the first frames are the ones to keep. */
static void cand_append(re_cand *c, re_frame f, size_t cap) {
  if (c->nframes < cap) c->frames[c->nframes++] = f;
}

/* Push into a ring of MV__RE_MAX_FRAMES: for stacks printed outermost
 * first, where the last frames are the ones to keep. */
static void cand_push_ring(re_cand *c, re_frame f) {
  if (c->nframes < MV__RE_MAX_FRAMES) {
    c->frames[c->nframes++] = f;
    return;
  }
  c->frames[c->ring] = f;
  c->ring = (c->ring + 1) % MV__RE_MAX_FRAMES;
}

static void frames_reverse(re_frame *f, size_t lo, size_t hi) {
  while (lo + 1 < hi) {
    re_frame t = f[lo];
    f[lo] = f[hi - 1];
    f[hi - 1] = t;
    lo++;
    hi--;
  }
}

/* Put a full ring back in order, oldest first (rotation by reversals). */
static void cand_unring(re_cand *c) {
  if (c->ring == 0) return;
  frames_reverse(c->frames, 0, c->ring);
  frames_reverse(c->frames, c->ring, c->nframes);
  frames_reverse(c->frames, 0, c->nframes);
  c->ring = 0;
}

/* Offer a finished candidate; *cur is swapped with the best one when it
 * wins, and is handed back empty either way. Swapping pointers instead of
 * copying keeps a text full of tiny errors linear. */
static void offer(re_parser *ps, re_cand **cur) {
  re_cand *c = *cur, *b = ps->best;
  if (c->valid &&
      (!b->valid || c->end > b->end || (c->end == b->end && c->start < b->start))) {
    ps->best = c;
    *cur = b;
  }
  cand_reset(*cur);
}

/* ------------------------------------------------------------------------
 * Python.
 *
 *   Traceback (most recent call last):
 *     File "/w/main.py", line 8, in <module>
 *       outer()                      <- source and ^^^ lines: skipped
 *   json.decoder.JSONDecodeError: Expecting value: line 1 column 1
 *   more message lines...
 *
 * Chained exceptions print one such block per exception, the raised one
 * last, so a later block simply wins. A SyntaxError raised by the script
 * itself starts with a `  File "x", line N` line and no header. An
 * exception group prints its own traceback with every line prefixed by
 * "  | " (then its sub-exceptions further indented): that prefix is
 * stripped and the group's own type and message are reported.
 */
enum { PY_IDLE, PY_FRAMES, PY_MESSAGE };

typedef struct {
  int state;
  int group;       /* reading an exception group's own lines */
  size_t indent;   /* spaces before the group's '|' */
  size_t msg_lines;
  re_cand *cur;
} py_machine;

static int py_ident_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '_' || (unsigned char)c >= 0x80;
}

/* Header line; *indent is set for an exception group's header. */
static int py_header(const re_line *ln, int *group, size_t *indent) {
  re_span s = sp_rtrim(line_span(ln));
  if (sp_eq(s, sp_lit("Traceback (most recent call last):"))) {
    *group = 0;
    return 1;
  }
  size_t k = 0;
  while (k < s.n && s.p[k] == ' ') k++;
  if (sp_eq(sp_skip(s, k),
            sp_lit("+ Exception Group Traceback (most recent call last):"))) {
    *group = 1;
    *indent = k;
    return 1;
  }
  return 0;
}

/* The line with the group prefix removed; 0 if it lacks the prefix (the
 * group's own part has ended). */
static int py_content(const py_machine *m, const re_line *ln, re_span *c) {
  re_span s = line_span(ln);
  if (!m->group) {
    *c = s;
    return 1;
  }
  for (size_t i = 0; i < m->indent; i++)
    if (i >= s.n || s.p[i] != ' ') return 0;
  s = sp_skip(s, m->indent);
  if (s.n == 0 || s.p[0] != '|') return 0;
  if (s.n >= 2 && s.p[1] != ' ') return 0;
  *c = sp_skip(s, 2);
  return 1;
}

/* `  File "path", line N, in func` or, for a SyntaxError location,
 * `  File "path", line N`. */
static int py_frame(re_span c, re_frame *f, int *has_func) {
  static const char pre[] = "  File \"";
  if (!sp_starts(c, pre)) return 0;
  size_t q = sp_find(c, sizeof pre - 1, "\", line ");
  if (q == SIZE_MAX) return 0;
  size_t i = q + strlen("\", line ");
  long line;
  if (!parse_num(c, &i, &line)) return 0;
  re_span rest = sp_skip(c, i);
  f->file = sp(c.p + sizeof pre - 1, q - (sizeof pre - 1));
  f->line = line;
  if (rest.n == 0) {
    f->func = sp(rest.p, 0);
    *has_func = 0;
    return 1;
  }
  if (!sp_starts(rest, ", in ")) return 0;
  f->func = sp_skip(rest, 5);
  *has_func = 1;
  return 1;
}

/* `Type: message`, `Type` alone, with a dotted type allowed. */
static int py_exception_line(re_span c, re_span *type, re_span *msg) {
  size_t i = 0;
  for (;;) {
    if (i >= c.n || is_digit(c.p[i]) || !py_ident_char(c.p[i])) return 0;
    while (i < c.n && py_ident_char(c.p[i])) i++;
    if (i < c.n && c.p[i] == '.') {
      i++;
      continue;
    }
    break;
  }
  *type = sp(c.p, i);
  if (i == c.n) {
    *msg = sp(c.p + i, 0);
    return 1;
  }
  if (c.p[i] != ':') return 0;
  i++;
  if (i < c.n && c.p[i] != ' ') return 0;
  if (i < c.n) i++;
  *msg = sp(c.p + i, c.n - i);
  return 1;
}

static void py_start(py_machine *m, const re_line *ln, int group,
                     size_t indent) {
  cand_reset(m->cur);
  m->cur->lang = "python";
  m->cur->start = ln->p;
  m->state = PY_FRAMES;
  m->group = group;
  m->indent = indent;
}

/* End the current block: offered if its exception line was read. */
static void py_finish(re_parser *ps, py_machine *m) {
  if (m->state == PY_MESSAGE) {
    m->cur->valid = 1;
    cand_unring(m->cur);
    offer(ps, &m->cur);
  } else {
    cand_reset(m->cur);
  }
  m->state = PY_IDLE;
  m->group = 0;
}

/* A line while reading frames. Returns 0 when the block was abandoned
 * and the line should be looked at again as a possible start. */
static int py_frames_line(py_machine *m, const re_line *ln) {
  re_span c;
  re_frame f;
  int has_func;
  if (!py_content(m, ln, &c) || is_blank(c)) {
    cand_reset(m->cur);
    m->state = PY_IDLE;
    m->group = 0;
    return 0;
  }
  if (py_frame(c, &f, &has_func)) {
    cand_push_ring(m->cur, f);
    return 1;
  }
  /* Source lines, carets, "[Previous line repeated N more times]", and
   * interleaved log records from other threads. */
  if (c.p[0] == ' ' || c.p[0] == '\t' || looks_like_log_line(c)) return 1;
  re_span type, msg;
  if (!py_exception_line(c, &type, &msg)) {
    cand_reset(m->cur);
    m->state = PY_IDLE;
    m->group = 0;
    return 0;
  }
  m->cur->type = type;
  m->cur->msg = msg;
  m->cur->msg_prefix = m->group ? m->indent + 2 : 0;
  m->cur->end = c.p + c.n;
  m->msg_lines = 0;
  m->state = PY_MESSAGE;
  return 1;
}

/* A line after the exception line: more message, or the end of it. */
static int py_message_line(re_parser *ps, py_machine *m, const re_line *ln) {
  re_span c;
  if (!py_content(m, ln, &c)) {
    py_finish(ps, m);
    return 0;
  }
  if (is_blank(c)) {
    py_finish(ps, m);
    return 1;
  }
  if (sp_starts(c, "During handling of the above exception") ||
      sp_starts(c, "The above exception was the direct cause") ||
      looks_like_log_line(c) || m->msg_lines >= MV__RE_MAX_MSG_LINES) {
    py_finish(ps, m);
    return 0;
  }
  re_cand *cur = m->cur;
  if (cur->msg.n == 0 && m->msg_lines == 0) cur->msg = sp(c.p, 0);
  cur->msg.n = (size_t)(c.p + c.n - cur->msg.p);
  cur->end = c.p + c.n;
  m->msg_lines++;
  return 1;
}

/* Outside a block: only a header-less SyntaxError location starts one. */
static void py_idle_line(py_machine *m, const re_line *ln) {
  re_frame f;
  int has_func;
  if (py_frame(line_span(ln), &f, &has_func) && !has_func) {
    py_start(m, ln, 0, 0);
    cand_push_ring(m->cur, f);
  }
}

static void py_line(re_parser *ps, py_machine *m, const re_line *ln) {
  int group = 0;
  size_t indent = 0;
  if (py_header(ln, &group, &indent)) {
    py_finish(ps, m);
    py_start(m, ln, group, indent);
    return;
  }
  if (m->state == PY_FRAMES && py_frames_line(m, ln)) return;
  if (m->state == PY_MESSAGE && py_message_line(ps, m, ln)) return;
  if (m->state == PY_IDLE) py_idle_line(m, ln);
}

/* ------------------------------------------------------------------------
 * Node.js.
 *
 *   /w/main.js:2                      <- preamble: throw site,
 *     throw new Error("boom");           source line,
 *     ^                                  caret
 *
 *   Error: boom                       <- header, message may continue
 *       at foo (/w/main.js:2:9)       <- frames, innermost first
 *       at /w/main.js:5:1
 *       at node:internal/main/run_main_module:28:49 {
 *     code: 'E_X'                     <- properties, [cause]: ... ignored
 *   }
 *
 *   Node.js v20.20.2
 *
 * A run of lines starting with exactly four spaces and "at " is a stack;
 * its header is the topmost "Name: message" line of the latest group of
 * lines (separated by blank or caret lines) that has one since the
 * previous stack, so a message may span lines. The preamble location is
 * added as the innermost frame when it differs from the first frame (it is
 * the only place a SyntaxError's location appears). Values thrown that are
 * not Errors print no stack: they are read between the preamble and the
 * "(Use `node --trace-uncaught ...`" hint or the "Node.js v" trailer.
 */
enum { AN_NONE, AN_SOURCE, AN_CARET, AN_GAP, AN_BODY };

typedef struct {
  re_cand *cur;
  int in_run, run_ok, pre_pending;
  /* header of the coming stack */
  int have_hdr, region_hdr;
  const char *hdr_start, *hdr_msg;
  re_span hdr_type;
  size_t hdr_no;
  const char *prev_end; /* end of the previous line */
  /* preamble: "file:line", source, caret, blank lines, body */
  int an;
  const char *an_start;
  re_span an_file;
  long an_line;
  const char *body_p, *body_end;
  size_t an_count;
} node_machine;

static int node_name_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '_' || c == '$' || c == '.' ||
         (unsigned char)c >= 0x80;
}

/* "Name: message", "Name", "Name [CODE]: message". Error names are
 * capitalised by convention; requiring it keeps "worker: started"-style
 * log lines from being taken for a header. */
static int node_header(re_span s, re_span *type, const char **msg) {
  if (s.n == 0 || !is_upper(s.p[0]) || looks_like_log_line(s)) return 0;
  size_t i = 0;
  while (i < s.n && node_name_char(s.p[i])) i++;
  if (i + 1 < s.n && s.p[i] == ' ' && s.p[i + 1] == '[') {
    size_t j = i + 2;
    while (j < s.n && s.p[j] != ']' && s.p[j] != ' ') j++;
    if (j < s.n && s.p[j] == ']') i = j + 1;
  }
  *type = sp(s.p, i);
  if (i == s.n) {
    *msg = s.p + i;
    return 1;
  }
  if (s.p[i] != ':') return 0;
  i++;
  if (i < s.n && s.p[i] != ' ') return 0;
  if (i < s.n) i++;
  *msg = s.p + i;
  return 1;
}

static int node_frame_line(re_span s) { return sp_starts(s, "    at "); }

/* "file:line:col", "file:line" or anything else (file only). */
static void node_location(re_span loc, re_frame *f) {
  long a, b;
  /* eval frames: "eval at fn (origin:1:1), <anonymous>:1:21" */
  if (sp_starts(loc, "eval at ")) {
    size_t k = sp_rfind(loc, loc.n, ", ");
    if (k != SIZE_MAX) loc = sp_skip(loc, k + 2);
  }
  f->line = 0;
  if (strip_colon_num(&loc, &a)) {
    f->line = a;
    if (strip_colon_num(&loc, &b)) f->line = b;
  }
  f->file = loc;
}

/* "    at func (location)" or "    at location". */
static void node_parse_frame(re_span s, re_frame *f) {
  s = sp_rtrim(sp_skip(s, 7));
  if (s.n >= 2 && s.p[s.n - 1] == '{' && s.p[s.n - 2] == ' ')
    s = sp_rtrim(sp(s.p, s.n - 1));
  size_t k = sp_find(s, 0, " (");
  if (k != SIZE_MAX && s.n > 0 && s.p[s.n - 1] == ')') {
    f->func = sp(s.p, k);
    node_location(sp(s.p + k + 2, s.n - k - 3), f);
  } else {
    f->func = sp_lit(mv__anon);
    node_location(s, f);
  }
}

static void node_push(node_machine *m, re_span s) {
  re_frame f;
  re_cand *c = m->cur;
  node_parse_frame(s, &f);
  c->end = s.p + s.n;
  if (m->pre_pending) {
    m->pre_pending = 0;
    if (sp_eq(c->frames[0].file, f.file) && c->frames[0].line == f.line) {
      c->frames[0] = f; /* the preamble only repeated this frame */
      return;
    }
  }
  cand_append(c, f, MV__RE_MAX_FRAMES);
}

static void node_reset_anchor(node_machine *m) {
  m->an = AN_NONE;
  m->an_count = 0;
}

static void node_start_run(node_machine *m, const re_line *ln) {
  re_cand *c = m->cur;
  m->in_run = 1;
  m->run_ok = m->have_hdr && ln->no - m->hdr_no <= MV__RE_MAX_MSG_LINES;
  m->pre_pending = 0;
  if (!m->run_ok) return;
  cand_reset(c);
  c->lang = "node";
  c->start = m->hdr_start;
  c->type = m->hdr_type;
  c->msg = sp(m->hdr_msg, (size_t)(m->prev_end - m->hdr_msg));
  if (m->an == AN_BODY && m->hdr_start >= m->body_p) {
    cand_append(c, mk_frame(m->an_file, m->an_line, sp(m->an_file.p, 0)),
                MV__RE_MAX_FRAMES);
    m->pre_pending = 1;
    c->start = m->an_start;
  }
  c->valid = 1;
  node_push(m, line_span(ln));
}

static void node_end_run(re_parser *ps, node_machine *m) {
  if (m->run_ok) {
    frames_reverse(m->cur->frames, 0, m->cur->nframes);
    offer(ps, &m->cur);
  }
  m->in_run = m->run_ok = m->pre_pending = 0;
  m->have_hdr = m->region_hdr = 0;
  node_reset_anchor(m);
}

/* Track the topmost header of the latest group of lines that has one. */
static void node_track_header(node_machine *m, const re_line *ln) {
  re_span s = line_span(ln), type;
  const char *msg;
  if (is_blank(s) || is_caret_line(s)) {
    m->region_hdr = 0;
    return;
  }
  if (m->region_hdr || !node_header(s, &type, &msg)) return;
  m->have_hdr = m->region_hdr = 1;
  m->hdr_start = ln->p;
  m->hdr_type = type;
  m->hdr_msg = msg;
  m->hdr_no = ln->no;
}

/* "/w/main.js:3", "node:fs:573", "[eval]:1": the preamble's first line. */
static int node_location_line(re_span s, re_span *file, long *line) {
  if (s.n == 0 || s.p[0] == ' ' || s.p[0] == '\t') return 0;
  re_span f = s;
  if (!strip_colon_num(&f, line) || f.n == 0) return 0;
  *file = f;
  return 1;
}

static int node_terminator(re_span s) {
  if (sp_starts(s, "(Use `node --trace-uncaught")) return 1;
  return sp_starts(s, "Node.js v") && s.n > 9 && is_digit(s.p[9]);
}

/* An uncaught value with no stack: the body after the preamble. */
static void node_frameless(re_parser *ps, node_machine *m) {
  re_cand *c = m->cur;
  re_span body = sp(m->body_p, (size_t)(m->body_end - m->body_p));
  size_t nl = sp_find(body, 0, "\n");
  re_span first = sp(body.p, nl == SIZE_MAX ? body.n : nl);
  if (first.n > 0 && first.p[first.n - 1] == '\r') first.n--;
  re_span type;
  const char *msg;
  cand_reset(c);
  c->lang = "node";
  c->start = m->an_start;
  c->end = m->body_end;
  if (node_header(first, &type, &msg)) {
    c->type = type;
    c->msg = sp(msg, (size_t)(m->body_end - msg));
  } else {
    c->type = sp_lit(mv__uncaught);
    c->msg = body;
  }
  cand_append(c, mk_frame(m->an_file, m->an_line, sp(m->an_file.p, 0)),
              MV__RE_MAX_FRAMES);
  c->valid = 1;
  offer(ps, &m->cur);
}

static void node_track_anchor(re_parser *ps, node_machine *m,
                              const re_line *ln) {
  re_span s = line_span(ln);
  switch (m->an) {
  case AN_BODY:
    if (node_terminator(s)) {
      node_frameless(ps, m);
      node_reset_anchor(m);
    } else if (!is_blank(s)) {
      m->body_end = s.p + s.n;
      if (++m->an_count > MV__RE_MAX_MSG_LINES) node_reset_anchor(m);
    }
    return;
  case AN_GAP:
    if (is_blank(s)) {
      if (++m->an_count > 4) node_reset_anchor(m);
    } else if (node_terminator(s)) {
      node_reset_anchor(m);
    } else {
      m->an = AN_BODY;
      m->body_p = s.p;
      m->body_end = s.p + s.n;
      m->an_count = 1;
    }
    return;
  case AN_SOURCE:
    m->an = AN_CARET; /* any line: the source line may even be empty */
    return;
  case AN_CARET:
    if (is_blank(s) || is_caret_line(s)) {
      m->an = AN_GAP;
      m->an_count = 0;
      return;
    }
    break;
  default:
    break;
  }
  if (node_location_line(s, &m->an_file, &m->an_line)) {
    m->an = AN_SOURCE;
    m->an_start = ln->p;
  } else {
    node_reset_anchor(m);
  }
}

static void node_line(re_parser *ps, node_machine *m, const re_line *ln) {
  re_span s = line_span(ln);
  if (m->in_run) {
    if (node_frame_line(s)) {
      if (m->run_ok) node_push(m, s);
      goto done;
    }
    if (sp_starts(s, "    ...")) goto done; /* "... 5 lines matching ..." */
    node_end_run(ps, m);
  }
  if (node_frame_line(s)) {
    node_start_run(m, ln);
    goto done;
  }
  node_track_header(m, ln);
  node_track_anchor(ps, m, ln);
done:
  m->prev_end = s.p + s.n;
}

/* ------------------------------------------------------------------------
 * PHP.
 *
 *   PHP Fatal error:  Uncaught RuntimeException: boom in /w/main.php:3
 *   Stack trace:
 *   #0 /w/main.php(5): foo()
 *   #1 {main}
 *
 *   Next LogicException: outer in /w/main.php:9     <- chained: reported
 *   Stack trace:
 *   #0 {main}
 *     thrown in /w/main.php on line 9
 *
 *   Fatal error: Allowed memory size ... in /w/main.php on line 4
 *
 * Both the display form ("Fatal error: ...") and the log form ("PHP Fatal
 * error:  ...", possibly after a "[date] " stamp) are read. The header may
 * span lines (a message with newlines); its location is the last
 * " in FILE:LINE", checked against the "thrown in" line when present so a
 * path containing " in " still splits correctly.
 */
enum { PHP_IDLE, PHP_HEADER, PHP_STACK, PHP_AFTER };

typedef struct {
  int state;
  re_cand *cur;
  const char *hdr_p, *hdr_end;
  size_t hdr_lines;
  size_t nraw; /* "#N" lines stored (at most MV__RE_MAX_FRAMES + 1) */
  int ended, capped;
  int have_thrown;
  re_span thrown_file;
  long thrown_line;
} php_machine;

/* "[stamp] PHP Fatal error:  rest" and its variants; *kind is the label. */
static int php_fatal_line(re_span s, re_span *kind, re_span *rest) {
  static const char *const kinds[] = {"Fatal error", "Parse error",
                                      "Recoverable fatal error",
                                      "Catchable fatal error"};
  if (s.n > 0 && s.p[0] == '[') {
    size_t k = sp_find(sp(s.p, s.n < 80 ? s.n : 80), 0, "] ");
    if (k == SIZE_MAX) return 0;
    s = sp_skip(s, k + 2);
  }
  if (sp_starts(s, "PHP ")) s = sp_skip(s, 4);
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    size_t n = strlen(kinds[i]);
    if (s.n > n && memcmp(s.p, kinds[i], n) == 0 && s.p[n] == ':') {
      *kind = sp(s.p, n);
      size_t j = n + 1;
      while (j < s.n && s.p[j] == ' ') j++;
      *rest = sp_skip(s, j);
      return 1;
    }
  }
  return 0;
}

/* "... in FILE on line N" at the end of s: splits off the location. */
static int php_on_line(re_span s, re_span *head, re_span *file, long *line) {
  size_t k = sp_rfind(s, s.n, " on line ");
  if (k == SIZE_MAX) return 0;
  size_t i = k + strlen(" on line ");
  if (!parse_num(s, &i, line) || i != s.n) return 0;
  size_t in = sp_rfind(s, k, " in ");
  if (in == SIZE_MAX) return 0;
  *file = sp(s.p + in + 4, k - in - 4);
  *head = sp(s.p, in);
  return 1;
}

static int php_class_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '_' || c == '\\' ||
         (unsigned char)c >= 0x80;
}

/* Name of the called function, without its argument list: "foo('a', 1)"
 * gives "foo"; parentheses inside braces ("{closure:/w/a.php(3):2}") are
 * part of the name. */
static re_span php_func_name(re_span s) {
  int depth = 0;
  for (size_t i = 0; i < s.n; i++) {
    if (s.p[i] == '{') depth++;
    else if (s.p[i] == '}' && depth > 0) depth--;
    else if (s.p[i] == '(' && depth == 0) return sp(s.p, i);
  }
  return s;
}

/* "#3 /w/a.php(12): App\Svc->run()", "#0 [internal function]: f()",
 * "#1 {main}". */
static int php_raw_frame(php_machine *m, re_span s) {
  if (m->ended || s.n < 3 || s.p[0] != '#' || !is_digit(s.p[1])) return 0;
  size_t i = 1;
  long idx;
  parse_num(s, &i, &idx);
  if (i >= s.n || s.p[i] != ' ') return 0;
  re_span r = sp_rtrim(sp_skip(s, i + 1));
  re_frame f = mk_frame(sp(r.p, 0), 0, sp(r.p, 0));
  if (sp_eq(r, sp_lit("{main}"))) {
    f.file = sp(NULL, 0); /* no location of its own */
    f.func = r;
    m->ended = 1;
  } else if (sp_starts(r, "[internal function]: ")) {
    f.file = sp(r.p, strlen("[internal function]"));
    f.func = php_func_name(sp_skip(r, strlen("[internal function]: ")));
  } else {
    /* the first "(digits): " ends the location */
    size_t k = 0;
    for (;; k++) {
      k = sp_find(r, k, "(");
      if (k == SIZE_MAX) break;
      size_t j = k + 1;
      long line;
      if (parse_num(r, &j, &line) && sp_starts(sp_skip(r, j), "): ")) {
        f.file = sp(r.p, k);
        f.line = line;
        f.func = php_func_name(sp_skip(r, j + 3));
        break;
      }
    }
    if (k == SIZE_MAX) f.file = r;
  }
  if (m->nraw < MV__RE_MAX_FRAMES + 1) m->cur->frames[m->nraw++] = f;
  else m->capped = 1;
  m->cur->end = s.p + s.n;
  return 1;
}

/* For argument errors ("f(): Argument #1 ... called in X on line 3") PHP
 * prints "... and defined in FILE:LINE": the words are not part of the
 * exception's message. */
static re_span php_strip_defined(re_span msg) {
  static const char tail[] = " and defined";
  size_t n = sizeof tail - 1;
  if (msg.n > n && memcmp(msg.p + msg.n - n, tail, n) == 0 &&
      sp_find(msg, 0, ", called in ") != SIZE_MAX)
    msg.n -= n;
  return msg;
}

/* Split "Type: message in FILE:LINE" (or "Type in FILE:LINE"). */
static int php_header(const php_machine *m, re_span h, re_span *type,
                      re_span *msg, re_span *file, long *line) {
  size_t i = 0;
  while (i < h.n && php_class_char(h.p[i])) i++;
  if (i == 0 || is_digit(h.p[0])) return 0;
  *type = sp(h.p, i);
  size_t ms;
  if (i == h.n) ms = i;
  else if (sp_starts(sp_skip(h, i), ": ")) ms = i + 2;
  else if (sp_starts(sp_skip(h, i), " in ")) ms = i;
  else return 0;
  re_span rest = sp_skip(h, ms), loc = rest;
  long num;
  *msg = rest;
  *file = sp(rest.p, 0);
  *line = 0;
  if (!strip_colon_num(&loc, &num)) return 1;
  /* the location is on the last line, after the last " in " — or exactly
   * the file the "thrown in" line names */
  size_t in = SIZE_MAX;
  if (m->have_thrown && loc.n >= m->thrown_file.n + 4) {
    size_t at = loc.n - m->thrown_file.n - 4;
    if (memcmp(loc.p + at, " in ", 4) == 0 &&
        sp_eq(sp_skip(loc, at + 4), m->thrown_file))
      in = at;
  }
  if (in == SIZE_MAX) {
    size_t nl = sp_rfind(loc, loc.n, "\n");
    in = sp_rfind(loc, loc.n, " in ");
    if (in != SIZE_MAX && nl != SIZE_MAX && in < nl) in = SIZE_MAX;
    /* "Exception in /w/a.php:3": no message, the location follows */
    if (in == SIZE_MAX && ms == i && sp_starts(rest, " in ")) in = 0;
  }
  if (in == SIZE_MAX) return 1;
  *msg = php_strip_defined(sp(rest.p, in));
  *file = sp(loc.p + in + 4, loc.n - in - 4);
  *line = num;
  return 1;
}

/* Turn the raw "#N" lines into frames, outermost first. PHP's "#i LOC:
 * f()" means "at LOC, f was called", so LOC belongs to the function named
 * on the next line, and the throw site belongs to the function on #0. */
static void php_frames(php_machine *m, re_span site_file, long site_line) {
  re_cand *c = m->cur;
  re_frame *f = c->frames;
  size_t n = m->nraw;
  if (n == 0) {
    f[0] = mk_frame(site_file, site_line, sp(site_file.p, 0));
    n = 1;
  } else {
    re_frame last = f[n - 1];
    for (size_t i = n - 1; i > 0; i--) {
      f[i].file = f[i - 1].file;
      f[i].line = f[i - 1].line;
    }
    f[0].file = site_file;
    f[0].line = site_line;
    /* a stack cut short before "{main}": keep its last call site */
    if (!m->ended && !m->capped)
      f[n++] = mk_frame(last.file, last.line, sp(last.file.p, 0));
  }
  if (n > MV__RE_MAX_FRAMES) n = MV__RE_MAX_FRAMES;
  c->nframes = n;
  frames_reverse(f, 0, n);
}

/* End the current exception: offered if its header parses. */
static void php_finish(re_parser *ps, php_machine *m) {
  if (m->state == PHP_STACK || m->state == PHP_AFTER) {
    re_span type, msg, file;
    long line;
    re_span h = sp(m->hdr_p, (size_t)(m->hdr_end - m->hdr_p));
    if (php_header(m, h, &type, &msg, &file, &line)) {
      if (file.n == 0 && m->have_thrown) {
        file = m->thrown_file;
        line = m->thrown_line;
      }
      m->cur->type = type;
      m->cur->msg = msg;
      php_frames(m, file, line);
      m->cur->valid = 1;
      offer(ps, &m->cur);
    }
  }
  cand_reset(m->cur);
  m->state = PHP_IDLE;
}

static void php_start_header(php_machine *m, const char *p, const re_line *ln) {
  m->state = PHP_HEADER;
  m->hdr_p = p;
  m->hdr_end = ln->p + ln->n;
  m->hdr_lines = 1;
  m->nraw = 0;
  m->ended = m->capped = 0;
  m->have_thrown = 0;
  m->cur->nframes = 0;
}

/* A fatal error that is not an uncaught exception: one line, one frame. */
static void php_plain(re_parser *ps, php_machine *m, const re_line *ln,
                      re_span kind, re_span rest) {
  re_cand *c = m->cur;
  re_span head, file;
  long line;
  cand_reset(c);
  c->lang = "php";
  c->start = ln->p;
  c->end = ln->p + ln->n;
  c->type = kind;
  rest = sp_rtrim(rest);
  if (php_on_line(rest, &head, &file, &line)) {
    c->msg = head;
    cand_append(c, mk_frame(file, line, sp(file.p, 0)), MV__RE_MAX_FRAMES);
  } else {
    c->msg = rest;
  }
  c->valid = 1;
  offer(ps, &m->cur);
}

/* "  thrown in FILE on line N": everything between the two fixed parts is
 * the file, whatever it contains. */
static int php_thrown_line(re_span s, re_span *file, long *line) {
  static const char pre[] = "  thrown in ";
  if (!sp_starts(s, pre)) return 0;
  s = sp_rtrim(sp_skip(s, sizeof pre - 1));
  size_t k = sp_rfind(s, s.n, " on line ");
  if (k == SIZE_MAX) return 0;
  size_t i = k + strlen(" on line ");
  if (!parse_num(s, &i, line) || i != s.n) return 0;
  *file = sp(s.p, k);
  return 1;
}

/* After a stack: a chained "Next" exception, the "thrown in" line, or the
 * end of the report. */
static void php_after_line(re_parser *ps, php_machine *m, const re_line *ln) {
  re_span s = line_span(ln), file;
  long line;
  if (is_blank(s)) return;
  if (sp_starts(s, "Next ")) {
    php_start_header(m, s.p + 5, ln);
    return;
  }
  if (php_thrown_line(s, &file, &line)) {
    m->have_thrown = 1;
    m->thrown_file = file;
    m->thrown_line = line;
    m->cur->end = s.p + s.n;
  }
  php_finish(ps, m);
}

static void php_line(re_parser *ps, php_machine *m, const re_line *ln) {
  re_span s = line_span(ln), kind, rest;
  if (php_fatal_line(s, &kind, &rest)) {
    php_finish(ps, m);
    if (sp_starts(rest, "Uncaught ")) {
      m->cur->lang = "php";
      m->cur->start = ln->p;
      php_start_header(m, rest.p + strlen("Uncaught "), ln);
    } else {
      php_plain(ps, m, ln, kind, rest);
    }
    return;
  }
  switch (m->state) {
  case PHP_HEADER:
    if (sp_eq(sp_rtrim(s), sp_lit("Stack trace:"))) {
      m->state = PHP_STACK;
      m->cur->end = s.p + s.n;
    } else if (++m->hdr_lines > MV__RE_MAX_HDR_LINES) {
      cand_reset(m->cur);
      m->state = PHP_IDLE;
    } else {
      m->hdr_end = s.p + s.n;
    }
    return;
  case PHP_STACK:
    if (php_raw_frame(m, s)) return;
    m->state = PHP_AFTER;
    php_after_line(ps, m, ln);
    return;
  case PHP_AFTER:
    php_after_line(ps, m, ln);
    return;
  default:
    return;
  }
}

/* ------------------------------------------------------------------------
 * Copying the winner out.
 */
static char *dup_span(re_span s) {
  char *r = malloc(s.n + 1);
  if (r == NULL) return NULL;
  for (size_t i = 0; i < s.n; i++) r[i] = s.p[i] == '\0' ? '?' : s.p[i];
  r[s.n] = '\0';
  return r;
}

/* A message over several lines: '\r' before '\n' dropped, the group
 * prefix dropped from continuation lines, trailing newlines trimmed. */
static char *dup_message(re_span s, size_t prefix) {
  char *r = malloc(s.n + 1), *w = r;
  if (r == NULL) return NULL;
  size_t i = 0;
  int first = 1;
  while (i <= s.n) {
    size_t e = i;
    while (e < s.n && s.p[e] != '\n') e++;
    size_t a = i, b = e;
    if (b > a && s.p[b - 1] == '\r') b--;
    if (!first) {
      *w++ = '\n';
      a += (b - a < prefix) ? b - a : prefix;
    }
    for (; a < b; a++) *w++ = s.p[a] == '\0' ? '?' : s.p[a];
    first = 0;
    if (e == s.n) break;
    i = e + 1;
  }
  while (w > r && (w[-1] == '\n' || w[-1] == '\r')) w--;
  *w = '\0';
  return r;
}

static int build(const re_cand *c, mv_remote_error_t *out) {
  out->type = dup_span(c->type);
  out->message = dup_message(c->msg, c->msg_prefix);
  out->language = dup_span(sp_lit(c->lang));
  if (!out->type || !out->message || !out->language) return MV_ENOMEM;
  if (c->nframes == 0) return 1;
  out->frames = calloc(c->nframes, sizeof *out->frames);
  if (out->frames == NULL) return MV_ENOMEM;
  out->nframes = c->nframes;
  for (size_t i = 0; i < c->nframes; i++) {
    out->frames[i].file = dup_span(c->frames[i].file);
    out->frames[i].function = dup_span(c->frames[i].func);
    out->frames[i].line = c->frames[i].line;
    if (!out->frames[i].file || !out->frames[i].function) return MV_ENOMEM;
  }
  return 1;
}

/* ------------------------------------------------------------------------
 * Entry points.
 */
typedef struct {
  re_cand c[4];
} re_store;

static void run(const char *text, size_t len, re_store *st, re_parser *ps) {
  py_machine py;
  node_machine node;
  php_machine php;
  memset(&py, 0, sizeof py);
  memset(&node, 0, sizeof node);
  memset(&php, 0, sizeof php);
  for (int i = 0; i < 4; i++) cand_reset(&st->c[i]);
  ps->best = &st->c[0];
  py.cur = &st->c[1];
  node.cur = &st->c[2];
  php.cur = &st->c[3];
  node.prev_end = text;

  const char *p = text, *end = text + len;
  re_line ln;
  ln.no = 0;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    ln.p = p;
    ln.n = (size_t)(le - p);
    if (ln.n > 0 && p[ln.n - 1] == '\r') ln.n--;
    py_line(ps, &py, &ln);
    node_line(ps, &node, &ln);
    php_line(ps, &php, &ln);
    ln.no++;
    p = nl ? nl + 1 : end;
  }
  py_finish(ps, &py);
  if (node.in_run) node_end_run(ps, &node);
  php_finish(ps, &php);
}

int mv_remote_error_parse(const char *text, size_t len,
                          mv_remote_error_t *out) {
  if (out == NULL) return MV_EINVAL;
  memset(out, 0, sizeof *out);
  if (text == NULL || len == 0) return 0;
  re_store *st = malloc(sizeof *st);
  if (st == NULL) return MV_ENOMEM;
  re_parser ps;
  run(text, len, st, &ps);
  int rc = 0;
  if (ps.best->valid) {
    rc = build(ps.best, out);
    if (rc < 0) mv_remote_error_dispose(out);
  }
  free(st);
  return rc;
}

void mv_remote_error_dispose(mv_remote_error_t *e) {
  if (e == NULL) return;
  for (size_t i = 0; e->frames != NULL && i < e->nframes; i++) {
    free(e->frames[i].file);
    free(e->frames[i].function);
  }
  free(e->frames);
  free(e->type);
  free(e->message);
  free(e->language);
  memset(e, 0, sizeof *e);
}
