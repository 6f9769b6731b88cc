/*
 * Tests of the remote error parser (mv_remote_error_parse).
 *
 * The samples below are stderr captured from python3 3.11, node 20 and
 * php 8.2 CLI (`php -d display_errors=stderr -d log_errors=0` unless noted)
 * running small failing scripts; they are kept byte for byte.
 */
#include <stdint.h>

#include "multiverse.h"
#include "task.h"

#define FRAME_CAP 200

/* ------------------------------------------------------------------------
 * Captured samples.
 */
static const char PY_JSON[] =
    "log: loading config\n"
    "Traceback (most recent call last):\n"
    "  File \"/tmp/samp/p1.py\", line 8, in <module>\n"
    "    outer()\n"
    "  File \"/tmp/samp/p1.py\", line 5, in outer\n"
    "    inner(\"{bad\")\n"
    "  File \"/tmp/samp/p1.py\", line 3, in inner\n"
    "    return json.loads(x)\n"
    "           ^^^^^^^^^^^^^\n"
    "  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/json/__init__.py\", line 346, in loads\n"
    "    return _default_decoder.decode(s)\n"
    "           ^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
    "  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/json/decoder.py\", line 337, in decode\n"
    "    obj, end = self.raw_decode(s, idx=_w(s, 0).end())\n"
    "               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
    "  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/json/decoder.py\", line 353, in raw_decode\n"
    "    obj, end = self.scan_once(s, idx)\n"
    "               ^^^^^^^^^^^^^^^^^^^^^^\n"
    "json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)\n";

static const char PY_CAUSE[] =
    "Traceback (most recent call last):\n"
    "  File \"/tmp/samp/p2.py\", line 3, in f\n"
    "    {}[\"k\"]\n"
    "    ~~^^^^^\n"
    "KeyError: 'k'\n"
    "\n"
    "The above exception was the direct cause of the following exception:\n"
    "\n"
    "Traceback (most recent call last):\n"
    "  File \"/tmp/samp/p2.py\", line 6, in <module>\n"
    "    f()\n"
    "  File \"/tmp/samp/p2.py\", line 5, in f\n"
    "    raise ValueError(\"bad value: key missing\\nsecond line\") from e\n"
    "ValueError: bad value: key missing\n"
    "second line\n";

static const char PY_CONTEXT[] =
    "Traceback (most recent call last):\n"
    "  File \"/tmp/samp/p3.py\", line 3, in f\n"
    "    1/0\n"
    "    ~^~\n"
    "ZeroDivisionError: division by zero\n"
    "\n"
    "During handling of the above exception, another exception occurred:\n"
    "\n"
    "Traceback (most recent call last):\n"
    "  File \"/tmp/samp/p3.py\", line 6, in <module>\n"
    "    f()\n"
    "  File \"/tmp/samp/p3.py\", line 5, in f\n"
    "    raise RuntimeError(\"oops\")\n"
    "RuntimeError: oops\n";

static const char PY_SYNTAX[] =
    "  File \"/tmp/samp/p4.py\", line 1\n"
    "    def f(:\n"
    "          ^\n"
    "SyntaxError: invalid syntax\n";

static const char PY_GROUP[] =
    "  + Exception Group Traceback (most recent call last):\n"
    "  |   File \"/tmp/samp/p5.py\", line 3, in <module>\n"
    "  |     f()\n"
    "  |   File \"/tmp/samp/p5.py\", line 2, in f\n"
    "  |     raise ExceptionGroup(\"many errors\", [ValueError(\"a\"), TypeError(\"b\")])\n"
    "  | ExceptionGroup: many errors (2 sub-exceptions)\n"
    "  +-+---------------- 1 ----------------\n"
    "    | ValueError: a\n"
    "    +---------------- 2 ----------------\n"
    "    | TypeError: b\n"
    "    +------------------------------------\n";

static const char PY_INTERRUPT[] =
    "Traceback (most recent call last):\n"
    "  File \"/tmp/samp/p6.py\", line 1, in <module>\n"
    "    raise KeyboardInterrupt\n"
    "KeyboardInterrupt\n";

static const char PY_COLON[] =
    "Traceback (most recent call last):\n"
    "  File \"/tmp/samp/p7.py\", line 4, in <module>\n"
    "    handler(1)\n"
    "  File \"/tmp/samp/p7.py\", line 3, in handler\n"
    "    raise MyError(\"could not fetch http://x:80/a: timeout\")\n"
    "MyError: could not fetch http://x:80/a: timeout\n";

static const char PY_RECURSION[] =
    "Traceback (most recent call last):\n"
    "  File \"/tmp/samp/p8.py\", line 3, in <module>\n"
    "    r(0)\n"
    "  File \"/tmp/samp/p8.py\", line 2, in r\n"
    "    return r(n+1)\n"
    "           ^^^^^^\n"
    "  File \"/tmp/samp/p8.py\", line 2, in r\n"
    "    return r(n+1)\n"
    "           ^^^^^^\n"
    "  File \"/tmp/samp/p8.py\", line 2, in r\n"
    "    return r(n+1)\n"
    "           ^^^^^^\n"
    "  [Previous line repeated 996 more times]\n"
    "RecursionError: maximum recursion depth exceeded\n";

static const char PY_SYNTAX_IMPORT[] =
    "Traceback (most recent call last):\n"
    "  File \"/tmp/samp/imp/main.py\", line 3, in <module>\n"
    "    import badmod\n"
    "  File \"/tmp/samp/imp/badmod.py\", line 1\n"
    "    def broken(:\n"
    "               ^\n"
    "SyntaxError: invalid syntax\n";

static const char PY_LOGGING[] =
    "2026-11-22 13:58:43,016 INFO starting job 42\n"
    "2026-11-22 13:58:43,016 ERROR job failed\n"
    "Traceback (most recent call last):\n"
    "  File \"/tmp/samp/p10.py\", line 6, in <module>\n"
    "    int(\"abc\")\n"
    "ValueError: invalid literal for int() with base 10: 'abc'\n"
    "2026-11-22 13:58:43,019 INFO shutting down\n";

static const char PY_NOTE[] =
    "Traceback (most recent call last):\n"
    "  File \"/tmp/samp/p12.py\", line 3, in <module>\n"
    "    raise e\n"
    "ValueError: with note\n"
    "note: retry later\n";

static const char NODE_BASIC[] =
    "worker: starting\n"
    "/tmp/samp/n1.js:2\n"
    "  throw new Error(\"boom\");\n"
    "  ^\n"
    "\n"
    "Error: boom\n"
    "    at foo (/tmp/samp/n1.js:2:9)\n"
    "    at Object.<anonymous> (/tmp/samp/n1.js:5:1)\n"
    "    at Module._compile (node:internal/modules/cjs/loader:1521:14)\n"
    "    at Module._extensions..js (node:internal/modules/cjs/loader:1623:10)\n"
    "    at Module.load (node:internal/modules/cjs/loader:1266:32)\n"
    "    at Module._load (node:internal/modules/cjs/loader:1091:12)\n"
    "    at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:164:12)\n"
    "    at node:internal/main/run_main_module:28:49\n"
    "\n"
    "Node.js v20.20.2\n";

static const char NODE_ANON[] =
    "/tmp/samp/n2.js:2\n"
    "[1].map(function (x) { return o.prop; });\n"
    "                                ^\n"
    "\n"
    "TypeError: Cannot read properties of null (reading 'prop')\n"
    "    at /tmp/samp/n2.js:2:33\n"
    "    at Array.map (<anonymous>)\n"
    "    at Object.<anonymous> (/tmp/samp/n2.js:2:5)\n"
    "    at Module._compile (node:internal/modules/cjs/loader:1521:14)\n"
    "    at Module._extensions..js (node:internal/modules/cjs/loader:1623:10)\n"
    "    at Module.load (node:internal/modules/cjs/loader:1266:32)\n"
    "    at Module._load (node:internal/modules/cjs/loader:1091:12)\n"
    "    at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:164:12)\n"
    "    at node:internal/main/run_main_module:28:49\n"
    "\n"
    "Node.js v20.20.2\n";

static const char NODE_CUSTOM[] =
    "/tmp/samp/n3.js:2\n"
    "setTimeout(() => { throw new MyErr(\"custom: failure with colon\"); }, 1);\n"
    "                   ^\n"
    "\n"
    "MyErr: custom: failure with colon\n"
    "    at Timeout._onTimeout (/tmp/samp/n3.js:2:26)\n"
    "    at listOnTimeout (node:internal/timers:581:17)\n"
    "    at process.processTimers (node:internal/timers:519:7)\n"
    "\n"
    "Node.js v20.20.2\n";

static const char NODE_REQUIRE[] =
    "node:internal/modules/cjs/loader:1210\n"
    "  throw err;\n"
    "  ^\n"
    "\n"
    "Error: Cannot find module './does-not-exist'\n"
    "Require stack:\n"
    "- /tmp/samp/n12.js\n"
    "    at Module._resolveFilename (node:internal/modules/cjs/loader:1207:15)\n"
    "    at Module._load (node:internal/modules/cjs/loader:1038:27)\n"
    "    at Module.require (node:internal/modules/cjs/loader:1289:19)\n"
    "    at require (node:internal/modules/helpers:182:18)\n"
    "    at Object.<anonymous> (/tmp/samp/n12.js:1:1)\n"
    "    at Module._compile (node:internal/modules/cjs/loader:1521:14)\n"
    "    at Module._extensions..js (node:internal/modules/cjs/loader:1623:10)\n"
    "    at Module.load (node:internal/modules/cjs/loader:1266:32)\n"
    "    at Module._load (node:internal/modules/cjs/loader:1091:12)\n"
    "    at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:164:12) {\n"
    "  code: 'MODULE_NOT_FOUND',\n"
    "  requireStack: [ '/tmp/samp/n12.js' ]\n"
    "}\n"
    "\n"
    "Node.js v20.20.2\n";

static const char NODE_SYNTAX[] =
    "/tmp/samp/n6.js:2\n"
    "\n"
    "\n"
    "\n"
    "SyntaxError: Unexpected end of input\n"
    "    at wrapSafe (node:internal/modules/cjs/loader:1464:18)\n"
    "    at Module._compile (node:internal/modules/cjs/loader:1495:20)\n"
    "    at Module._extensions..js (node:internal/modules/cjs/loader:1623:10)\n"
    "    at Module.load (node:internal/modules/cjs/loader:1266:32)\n"
    "    at Module._load (node:internal/modules/cjs/loader:1091:12)\n"
    "    at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:164:12)\n"
    "    at node:internal/main/run_main_module:28:49\n"
    "\n"
    "Node.js v20.20.2\n";

static const char NODE_CAUSE[] =
    "/tmp/samp/n11.js:2\n"
    "function outer() { try { inner(); } catch (e) { throw new Error(\"outer fail\", { cause: e }); } }\n"
    "                                                ^\n"
    "\n"
    "Error: outer fail\n"
    "    at outer (/tmp/samp/n11.js:2:55)\n"
    "    at Object.<anonymous> (/tmp/samp/n11.js:3:1)\n"
    "    ... 5 lines matching cause stack trace ...\n"
    "    at node:internal/main/run_main_module:28:49 {\n"
    "  [cause]: TypeError: inner fail\n"
    "      at inner (/tmp/samp/n11.js:1:26)\n"
    "      at outer (/tmp/samp/n11.js:2:26)\n"
    "      at Object.<anonymous> (/tmp/samp/n11.js:3:1)\n"
    "      at Module._compile (node:internal/modules/cjs/loader:1521:14)\n"
    "      at Module._extensions..js (node:internal/modules/cjs/loader:1623:10)\n"
    "      at Module.load (node:internal/modules/cjs/loader:1266:32)\n"
    "      at Module._load (node:internal/modules/cjs/loader:1091:12)\n"
    "      at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:164:12)\n"
    "      at node:internal/main/run_main_module:28:49\n"
    "}\n"
    "\n"
    "Node.js v20.20.2\n";

static const char NODE_THROW_STRING[] =
    "\n"
    "/tmp/samp/n7.js:1\n"
    "throw \"a string\";\n"
    "^\n"
    "a string\n"
    "(Use `node --trace-uncaught ...` to show where the exception was thrown)\n"
    "\n"
    "Node.js v20.20.2\n";

static const char NODE_ESM[] =
    "file:///tmp/samp/n13.mjs:1\n"
    "function go() { throw new Error(\"esm boom\"); }\n"
    "                      ^\n"
    "\n"
    "Error: esm boom\n"
    "    at go (file:///tmp/samp/n13.mjs:1:23)\n"
    "    at file:///tmp/samp/n13.mjs:2:1\n"
    "    at ModuleJob.run (node:internal/modules/esm/module_job:325:25)\n"
    "    at async ModuleLoader.import (node:internal/modules/esm/loader:606:24)\n"
    "    at async asyncRunEntryPointWithESMLoader (node:internal/modules/run_main:117:5)\n"
    "\n"
    "Node.js v20.20.2\n";

static const char NODE_CODE[] =
    "node:internal/errors:541\n"
    "      throw error;\n"
    "      ^\n"
    "\n"
    "TypeError [ERR_INVALID_ARG_TYPE]: The \"path\" argument must be of type string. Received null\n"
    "    at Object.join (node:path:1305:7)\n"
    "    at [eval]:1:17\n"
    "    at runScriptInThisContext (node:internal/vm:209:10)\n"
    "    at node:internal/process/execution:118:14\n"
    "    at [eval]-wrapper:6:24\n"
    "    at runScript (node:internal/process/execution:101:62)\n"
    "    at evalScript (node:internal/process/execution:133:3)\n"
    "    at node:internal/main/eval_string:51:3 {\n"
    "  code: 'ERR_INVALID_ARG_TYPE'\n"
    "}\n"
    "\n"
    "Node.js v20.20.2\n";

static const char NODE_THROW_OBJECT[] =
    "[eval]:1\n"
    "throw {a: 1, b: \"x\"};\n"
    "^\n"
    "\n"
    "{ a: 1, b: 'x' }\n"
    "\n"
    "Node.js v20.20.2\n";

static const char PHP_UNCAUGHT[] =
    "worker: begin\n"
    "Fatal error: Uncaught RuntimeException: boom in /tmp/samp/h1.php:3\n"
    "Stack trace:\n"
    "#0 /tmp/samp/h1.php(5): foo()\n"
    "#1 /tmp/samp/h1.php(7): bar()\n"
    "#2 {main}\n"
    "  thrown in /tmp/samp/h1.php on line 3\n";

static const char PHP_LOG_FORM[] =
    "worker: begin\n"
    "PHP Fatal error:  Uncaught RuntimeException: boom in /tmp/samp/h1.php:3\n"
    "Stack trace:\n"
    "#0 /tmp/samp/h1.php(5): foo()\n"
    "#1 /tmp/samp/h1.php(7): bar()\n"
    "#2 {main}\n"
    "  thrown in /tmp/samp/h1.php on line 3\n";

static const char PHP_STAMPED[] =
    "[22-Nov-2026 13:51:39 UTC] PHP Fatal error:  Uncaught Error: Call to undefined function undefined_fn() in /tmp/samp/h6.php:2\n"
    "Stack trace:\n"
    "#0 {main}\n"
    "  thrown in /tmp/samp/h6.php on line 2\n";

static const char PHP_NAMESPACED[] =
    "Fatal error: Uncaught App\\Errors\\BadThing: bad: thing happened in /tmp/samp/h2.php:4\n"
    "Stack trace:\n"
    "#0 /tmp/samp/h2.php(5): App\\Errors\\Svc->run()\n"
    "#1 {main}\n"
    "  thrown in /tmp/samp/h2.php on line 4\n";

static const char PHP_MEMORY[] =
    "Fatal error: Allowed memory size of 2097152 bytes exhausted (tried to allocate 2097152 bytes) in /tmp/samp/h3.php on line 4\n";

static const char PHP_PARSE[] =
    "Parse error: syntax error, unexpected token \"{\", expecting variable in /tmp/samp/h4.php on line 2\n";

static const char PHP_CHAINED[] =
    "Fatal error: Uncaught InvalidArgumentException: inner in /tmp/samp/h5.php:3\n"
    "Stack trace:\n"
    "#0 /tmp/samp/h5.php(2): b()\n"
    "#1 /tmp/samp/h5.php(4): a()\n"
    "#2 {main}\n"
    "\n"
    "Next LogicException: outer in /tmp/samp/h5.php:2\n"
    "Stack trace:\n"
    "#0 /tmp/samp/h5.php(4): a()\n"
    "#1 {main}\n"
    "  thrown in /tmp/samp/h5.php on line 2\n";

static const char PHP_CLOSURE[] =
    "Warning: Undefined variable $undefined in /tmp/samp/h10.php on line 2\n"
    "Fatal error: Uncaught Exception in /tmp/samp/h10.php:3\n"
    "Stack trace:\n"
    "#0 [internal function]: {closure}()\n"
    "#1 /tmp/samp/h10.php(4): array_map()\n"
    "#2 {main}\n"
    "  thrown in /tmp/samp/h10.php on line 3\n";

static const char PHP_TYPE_ERROR[] =
    "Fatal error: Uncaught TypeError: f(): Argument #1 ($x) must be of type int, string given, called in /tmp/samp/h7.php on line 3 and defined in /tmp/samp/h7.php:2\n"
    "Stack trace:\n"
    "#0 /tmp/samp/h7.php(3): f()\n"
    "#1 {main}\n"
    "  thrown in /tmp/samp/h7.php on line 2\n";

static const char PHP_MULTILINE[] =
    "Fatal error: Uncaught Exception: multi\n"
    "line: message in /tmp/samp/h9.php:2\n"
    "Stack trace:\n"
    "#0 {main}\n"
    "  thrown in /tmp/samp/h9.php on line 2\n";


/* ------------------------------------------------------------------------
 * Helpers.
 */

/* Invariants every result must satisfy, whatever the input. */
static void check_result(int rc, const mv_remote_error_t *e, size_t len) {
  ASSERT(rc == 0 || rc == 1);
  if (rc == 0) {
    ASSERT(e->type == NULL && e->message == NULL && e->language == NULL);
    ASSERT(e->frames == NULL && e->nframes == 0);
    return;
  }
  ASSERT(e->type != NULL && e->message != NULL && e->language != NULL);
  /* copies of input bytes are no longer than the input; "Uncaught" and
   * "<anonymous>" are the only names the parser makes up */
  ASSERT(strlen(e->type) > 0);
  ASSERT(strlen(e->type) <= len || strcmp(e->type, "Uncaught") == 0);
  ASSERT(strlen(e->message) <= len);
  ASSERT(strcmp(e->language, "python") == 0 || strcmp(e->language, "node") == 0 ||
         strcmp(e->language, "php") == 0);
  ASSERT(e->nframes <= FRAME_CAP);
  ASSERT((e->nframes == 0) == (e->frames == NULL));
  for (size_t i = 0; i < e->nframes; i++) {
    ASSERT(e->frames[i].file != NULL && e->frames[i].function != NULL);
    ASSERT(strlen(e->frames[i].file) <= len);
    ASSERT(strlen(e->frames[i].function) <= len ||
           strcmp(e->frames[i].function, "<anonymous>") == 0);
    ASSERT(e->frames[i].line >= 0);
  }
}

/* Parse from an exactly sized heap copy, so that a read past len is caught
 * by AddressSanitizer instead of landing on a string literal's NUL. */
static int parse_n(const char *text, size_t len, mv_remote_error_t *e) {
  char *copy = malloc(len ? len : 1);
  ASSERT(copy != NULL);
  if (len) memcpy(copy, text, len);
  memset(e, 0xA5, sizeof *e); /* garbage on entry must not matter */
  int rc = mv_remote_error_parse(copy, len, e);
  free(copy);
  check_result(rc, e, len);
  return rc;
}

static int parse(const char *text, mv_remote_error_t *e) {
  return parse_n(text, strlen(text), e);
}

static void assert_frame(const mv_remote_error_t *e, size_t i, const char *file,
                         long line, const char *function) {
  ASSERT(i < e->nframes);
  ASSERT_STR_EQ(e->frames[i].file, file);
  ASSERT_EQ(e->frames[i].line, line);
  ASSERT_STR_EQ(e->frames[i].function, function);
}

static const mv_frame_t *innermost(const mv_remote_error_t *e) {
  ASSERT(e->nframes > 0);
  return &e->frames[e->nframes - 1];
}

/* A growable text buffer for generated inputs. */
typedef struct {
  char *p;
  size_t n, cap;
} text_t;

static void text_add(text_t *t, const char *s, size_t n) {
  if (t->n + n + 1 > t->cap) {
    t->cap = (t->n + n + 1) * 2;
    t->p = realloc(t->p, t->cap);
    ASSERT(t->p != NULL);
  }
  memcpy(t->p + t->n, s, n);
  t->n += n;
  t->p[t->n] = '\0';
}

static void text_str(text_t *t, const char *s) { text_add(t, s, strlen(s)); }

static void text_fmt(text_t *t, const char *fmt, long a, long b) {
  char line[256];
  int n = snprintf(line, sizeof line, fmt, a, b);
  ASSERT(n > 0 && (size_t)n < sizeof line);
  text_add(t, line, (size_t)n);
}

/* Deterministic pseudo-random bytes (xorshift64). */
static uint64_t rng_next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static const char *const all_samples[] = {
    PY_JSON, PY_CAUSE, PY_CONTEXT, PY_SYNTAX, PY_GROUP, PY_INTERRUPT,
    PY_COLON, PY_RECURSION, PY_SYNTAX_IMPORT, PY_LOGGING, PY_NOTE,
    NODE_BASIC, NODE_ANON, NODE_CUSTOM, NODE_REQUIRE, NODE_SYNTAX,
    NODE_CAUSE, NODE_THROW_STRING, NODE_ESM, NODE_CODE, NODE_THROW_OBJECT,
    PHP_UNCAUGHT, PHP_LOG_FORM, PHP_STAMPED, PHP_NAMESPACED, PHP_MEMORY,
    PHP_PARSE, PHP_CHAINED, PHP_CLOSURE, PHP_TYPE_ERROR, PHP_MULTILINE};
#define NSAMPLES (sizeof all_samples / sizeof all_samples[0])

/* ------------------------------------------------------------------------
 * Empty and error-free input.
 */
TEST_IMPL(remote_error_empty) {
  mv_remote_error_t e;
  memset(&e, 0x5A, sizeof e);
  ASSERT_EQ(mv_remote_error_parse("", 0, &e), 0);
  ASSERT(e.type == NULL && e.frames == NULL && e.nframes == 0);
  memset(&e, 0x5A, sizeof e);
  ASSERT_EQ(mv_remote_error_parse(NULL, 0, &e), 0);
  ASSERT(e.type == NULL && e.message == NULL && e.language == NULL);
  ASSERT_EQ(mv_remote_error_parse("x", 1, NULL), MV_EINVAL);
  /* a length of zero means nothing is read, even with a valid error there */
  ASSERT_EQ(mv_remote_error_parse(PY_COLON, 0, &e), 0);
  mv_remote_error_dispose(&e);
  mv_remote_error_dispose(NULL);
  return 0;
}

TEST_IMPL(remote_error_no_error) {
  static const char *const texts[] = {
      "worker started\nprocessing 10 items\ndone\n",
      "Warning: Undefined variable $x in /srv/w/main.php on line 2\n",
      "Traceback (most recent call last):\n", /* nothing after the header */
      "    at foo (/x.js:1:1)\n    at bar (/x.js:2:2)\n", /* no header */
      "INFO: 12:00 ok\nlog: retry 3\n\n\n",
      "Stack trace:\n#0 {main}\n  thrown in /x.php on line 3\n",
      "PHP Warning:  foo() expects 1 argument in /x.php on line 1\n",
      "Node.js v20.20.2\n",
  };
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    mv_remote_error_t e;
    ASSERT_EQ(parse(texts[i], &e), 0);
    mv_remote_error_dispose(&e);
  }
  return 0;
}

/* ------------------------------------------------------------------------
 * Python.
 */
TEST_IMPL(remote_error_python_colon_in_message) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PY_COLON, &e), 1);
  ASSERT_STR_EQ(e.language, "python");
  ASSERT_STR_EQ(e.type, "MyError");
  ASSERT_STR_EQ(e.message, "could not fetch http://x:80/a: timeout");
  ASSERT_EQ(e.nframes, 2);
  assert_frame(&e, 0, "/tmp/samp/p7.py", 4, "<module>");
  assert_frame(&e, 1, "/tmp/samp/p7.py", 3, "handler");
  mv_remote_error_dispose(&e);
  ASSERT(e.type == NULL && e.frames == NULL && e.nframes == 0);
  return 0;
}

TEST_IMPL(remote_error_python_dotted_type) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PY_JSON, &e), 1);
  ASSERT_STR_EQ(e.type, "json.decoder.JSONDecodeError");
  ASSERT_STR_EQ(e.message,
                "Expecting property name enclosed in double quotes: line 1 "
                "column 2 (char 1)");
  ASSERT_EQ(e.nframes, 6);
  assert_frame(&e, 0, "/tmp/samp/p1.py", 8, "<module>");
  assert_frame(&e, 2, "/tmp/samp/p1.py", 3, "inner");
  assert_frame(&e, 5,
               "/root/.pyenv/versions/3.11.7/lib/python3.11/json/decoder.py",
               353, "raw_decode");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_python_chained_cause) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PY_CAUSE, &e), 1);
  /* the raised exception, not its KeyError cause */
  ASSERT_STR_EQ(e.type, "ValueError");
  ASSERT_STR_EQ(e.message, "bad value: key missing\nsecond line");
  ASSERT_EQ(e.nframes, 2);
  assert_frame(&e, 0, "/tmp/samp/p2.py", 6, "<module>");
  assert_frame(&e, 1, "/tmp/samp/p2.py", 5, "f");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_python_chained_context) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PY_CONTEXT, &e), 1);
  ASSERT_STR_EQ(e.type, "RuntimeError");
  ASSERT_STR_EQ(e.message, "oops");
  ASSERT_EQ(e.nframes, 2);
  assert_frame(&e, 1, "/tmp/samp/p3.py", 5, "f");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_python_syntax_error) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PY_SYNTAX, &e), 1);
  ASSERT_STR_EQ(e.type, "SyntaxError");
  ASSERT_STR_EQ(e.message, "invalid syntax");
  ASSERT_EQ(e.nframes, 1);
  assert_frame(&e, 0, "/tmp/samp/p4.py", 1, "");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_python_syntax_error_import) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PY_SYNTAX_IMPORT, &e), 1);
  ASSERT_STR_EQ(e.type, "SyntaxError");
  ASSERT_EQ(e.nframes, 2);
  assert_frame(&e, 0, "/tmp/samp/imp/main.py", 3, "<module>");
  assert_frame(&e, 1, "/tmp/samp/imp/badmod.py", 1, "");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_python_no_message) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PY_INTERRUPT, &e), 1);
  ASSERT_STR_EQ(e.type, "KeyboardInterrupt");
  ASSERT_STR_EQ(e.message, "");
  ASSERT_EQ(e.nframes, 1);
  assert_frame(&e, 0, "/tmp/samp/p6.py", 1, "<module>");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_python_exception_group) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PY_GROUP, &e), 1);
  ASSERT_STR_EQ(e.type, "ExceptionGroup");
  ASSERT_STR_EQ(e.message, "many errors (2 sub-exceptions)");
  ASSERT_EQ(e.nframes, 2);
  assert_frame(&e, 0, "/tmp/samp/p5.py", 3, "<module>");
  assert_frame(&e, 1, "/tmp/samp/p5.py", 2, "f");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_python_log_noise) {
  mv_remote_error_t e;
  /* logging.exception() output between timestamped records */
  ASSERT_EQ(parse(PY_LOGGING, &e), 1);
  ASSERT_STR_EQ(e.type, "ValueError");
  ASSERT_STR_EQ(e.message, "invalid literal for int() with base 10: 'abc'");
  ASSERT_EQ(e.nframes, 1);
  assert_frame(&e, 0, "/tmp/samp/p10.py", 6, "<module>");
  mv_remote_error_dispose(&e);

  /* plain output before, a blank line and more output after */
  text_t t = {0};
  text_str(&t, "loading model\nstep 1: ok\n");
  text_str(&t, PY_COLON);
  text_str(&t, "\nworker: cleanup: done\n");
  ASSERT_EQ(parse_n(t.p, t.n, &e), 1);
  ASSERT_STR_EQ(e.type, "MyError");
  ASSERT_STR_EQ(e.message, "could not fetch http://x:80/a: timeout");
  mv_remote_error_dispose(&e);
  free(t.p);
  return 0;
}

TEST_IMPL(remote_error_python_note) {
  mv_remote_error_t e;
  /* add_note() lines follow the message and belong to it */
  ASSERT_EQ(parse(PY_NOTE, &e), 1);
  ASSERT_STR_EQ(e.type, "ValueError");
  ASSERT_STR_EQ(e.message, "with note\nnote: retry later");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_python_repeated_frames) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PY_RECURSION, &e), 1);
  ASSERT_STR_EQ(e.type, "RecursionError");
  ASSERT_STR_EQ(e.message, "maximum recursion depth exceeded");
  /* "[Previous line repeated 996 more times]" is not expanded */
  ASSERT_EQ(e.nframes, 4);
  assert_frame(&e, 3, "/tmp/samp/p8.py", 2, "r");
  mv_remote_error_dispose(&e);
  return 0;
}

/* ------------------------------------------------------------------------
 * Node.js.
 */
TEST_IMPL(remote_error_node_basic) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(NODE_BASIC, &e), 1);
  ASSERT_STR_EQ(e.language, "node");
  ASSERT_STR_EQ(e.type, "Error");
  ASSERT_STR_EQ(e.message, "boom");
  ASSERT_EQ(e.nframes, 8);
  /* node prints innermost first; frames are outermost first */
  assert_frame(&e, 0, "node:internal/main/run_main_module", 28, "<anonymous>");
  assert_frame(&e, 1, "node:internal/modules/run_main", 164,
               "Function.executeUserEntryPoint [as runMain]");
  assert_frame(&e, 6, "/tmp/samp/n1.js", 5, "Object.<anonymous>");
  assert_frame(&e, 7, "/tmp/samp/n1.js", 2, "foo");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_node_anonymous_frames) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(NODE_ANON, &e), 1);
  ASSERT_STR_EQ(e.type, "TypeError");
  ASSERT_STR_EQ(e.message, "Cannot read properties of null (reading 'prop')");
  ASSERT_EQ(e.nframes, 9);
  assert_frame(&e, 8, "/tmp/samp/n2.js", 2, "<anonymous>");
  assert_frame(&e, 7, "<anonymous>", 0, "Array.map");
  assert_frame(&e, 6, "/tmp/samp/n2.js", 2, "Object.<anonymous>");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_node_custom_class) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(NODE_CUSTOM, &e), 1);
  ASSERT_STR_EQ(e.type, "MyErr");
  ASSERT_STR_EQ(e.message, "custom: failure with colon");
  ASSERT_EQ(e.nframes, 3);
  assert_frame(&e, 0, "node:internal/timers", 519, "process.processTimers");
  assert_frame(&e, 2, "/tmp/samp/n3.js", 2, "Timeout._onTimeout");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_node_multiline_message) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(NODE_REQUIRE, &e), 1);
  ASSERT_STR_EQ(e.type, "Error");
  ASSERT_STR_EQ(e.message,
                "Cannot find module './does-not-exist'\nRequire stack:\n"
                "- /tmp/samp/n12.js");
  /* the preamble names the rethrow site, which the stack does not show */
  assert_frame(&e, e.nframes - 1, "node:internal/modules/cjs/loader", 1210, "");
  assert_frame(&e, e.nframes - 2, "node:internal/modules/cjs/loader", 1207,
               "Module._resolveFilename");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_node_syntax_error) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(NODE_SYNTAX, &e), 1);
  ASSERT_STR_EQ(e.type, "SyntaxError");
  ASSERT_STR_EQ(e.message, "Unexpected end of input");
  /* only the preamble knows where the syntax error is */
  ASSERT_EQ(e.nframes, 8);
  assert_frame(&e, 7, "/tmp/samp/n6.js", 2, "");
  assert_frame(&e, 6, "node:internal/modules/cjs/loader", 1464, "wrapSafe");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_node_cause_and_props) {
  mv_remote_error_t e;
  /* [cause] and property blocks belong to the outer error's report */
  ASSERT_EQ(parse(NODE_CAUSE, &e), 1);
  ASSERT_STR_EQ(e.type, "Error");
  ASSERT_STR_EQ(e.message, "outer fail");
  ASSERT_EQ(e.nframes, 3);
  assert_frame(&e, 0, "node:internal/main/run_main_module", 28, "<anonymous>");
  assert_frame(&e, 2, "/tmp/samp/n11.js", 2, "outer");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_node_thrown_value) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(NODE_THROW_STRING, &e), 1);
  ASSERT_STR_EQ(e.type, "Uncaught");
  ASSERT_STR_EQ(e.message, "a string");
  ASSERT_EQ(e.nframes, 1);
  assert_frame(&e, 0, "/tmp/samp/n7.js", 1, "");
  mv_remote_error_dispose(&e);

  ASSERT_EQ(parse(NODE_THROW_OBJECT, &e), 1);
  ASSERT_STR_EQ(e.type, "Uncaught");
  ASSERT_STR_EQ(e.message, "{ a: 1, b: 'x' }");
  assert_frame(&e, 0, "[eval]", 1, "");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_node_esm) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(NODE_ESM, &e), 1);
  ASSERT_STR_EQ(e.type, "Error");
  ASSERT_STR_EQ(e.message, "esm boom");
  ASSERT_EQ(e.nframes, 5);
  assert_frame(&e, 0, "node:internal/modules/run_main", 117,
               "async asyncRunEntryPointWithESMLoader");
  assert_frame(&e, 3, "file:///tmp/samp/n13.mjs", 2, "<anonymous>");
  assert_frame(&e, 4, "file:///tmp/samp/n13.mjs", 1, "go");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_node_error_code) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(NODE_CODE, &e), 1);
  ASSERT_STR_EQ(e.type, "TypeError [ERR_INVALID_ARG_TYPE]");
  ASSERT_STR_EQ(e.message,
                "The \"path\" argument must be of type string. Received null");
  assert_frame(&e, e.nframes - 2, "node:path", 1305, "Object.join");
  mv_remote_error_dispose(&e);
  return 0;
}

/* ------------------------------------------------------------------------
 * PHP.
 */
TEST_IMPL(remote_error_php_uncaught) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PHP_UNCAUGHT, &e), 1);
  ASSERT_STR_EQ(e.language, "php");
  ASSERT_STR_EQ(e.type, "RuntimeException");
  ASSERT_STR_EQ(e.message, "boom");
  /* each location paired with the function it is in; throw site last */
  ASSERT_EQ(e.nframes, 3);
  assert_frame(&e, 0, "/tmp/samp/h1.php", 7, "{main}");
  assert_frame(&e, 1, "/tmp/samp/h1.php", 5, "bar");
  assert_frame(&e, 2, "/tmp/samp/h1.php", 3, "foo");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_php_log_forms) {
  mv_remote_error_t e;
  /* "PHP Fatal error:  Uncaught ..." (two spaces) */
  ASSERT_EQ(parse(PHP_LOG_FORM, &e), 1);
  ASSERT_STR_EQ(e.type, "RuntimeException");
  ASSERT_STR_EQ(e.message, "boom");
  ASSERT_EQ(e.nframes, 3);
  assert_frame(&e, 2, "/tmp/samp/h1.php", 3, "foo");
  mv_remote_error_dispose(&e);
  /* error_log file form with a "[date] " stamp */
  ASSERT_EQ(parse(PHP_STAMPED, &e), 1);
  ASSERT_STR_EQ(e.type, "Error");
  ASSERT_STR_EQ(e.message, "Call to undefined function undefined_fn()");
  ASSERT_EQ(e.nframes, 1);
  assert_frame(&e, 0, "/tmp/samp/h6.php", 2, "{main}");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_php_namespaced) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PHP_NAMESPACED, &e), 1);
  ASSERT_STR_EQ(e.type, "App\\Errors\\BadThing");
  ASSERT_STR_EQ(e.message, "bad: thing happened");
  ASSERT_EQ(e.nframes, 2);
  assert_frame(&e, 0, "/tmp/samp/h2.php", 5, "{main}");
  assert_frame(&e, 1, "/tmp/samp/h2.php", 4, "App\\Errors\\Svc->run");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_php_memory_fatal) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PHP_MEMORY, &e), 1);
  ASSERT_STR_EQ(e.type, "Fatal error");
  ASSERT_STR_EQ(e.message, "Allowed memory size of 2097152 bytes exhausted "
                           "(tried to allocate 2097152 bytes)");
  ASSERT_EQ(e.nframes, 1);
  assert_frame(&e, 0, "/tmp/samp/h3.php", 4, "");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_php_parse_error) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PHP_PARSE, &e), 1);
  ASSERT_STR_EQ(e.type, "Parse error");
  ASSERT_STR_EQ(e.message,
                "syntax error, unexpected token \"{\", expecting variable");
  ASSERT_EQ(e.nframes, 1);
  assert_frame(&e, 0, "/tmp/samp/h4.php", 2, "");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_php_chained) {
  mv_remote_error_t e;
  /* "Next" is the exception that was thrown last: the one reported */
  ASSERT_EQ(parse(PHP_CHAINED, &e), 1);
  ASSERT_STR_EQ(e.type, "LogicException");
  ASSERT_STR_EQ(e.message, "outer");
  ASSERT_EQ(e.nframes, 2);
  assert_frame(&e, 0, "/tmp/samp/h5.php", 4, "{main}");
  assert_frame(&e, 1, "/tmp/samp/h5.php", 2, "a");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_php_closure_no_message) {
  mv_remote_error_t e;
  /* a warning first; an exception without message; an internal frame */
  ASSERT_EQ(parse(PHP_CLOSURE, &e), 1);
  ASSERT_STR_EQ(e.type, "Exception");
  ASSERT_STR_EQ(e.message, "");
  ASSERT_EQ(e.nframes, 3);
  assert_frame(&e, 0, "/tmp/samp/h10.php", 4, "{main}");
  assert_frame(&e, 1, "[internal function]", 0, "array_map");
  assert_frame(&e, 2, "/tmp/samp/h10.php", 3, "{closure}");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_php_type_error) {
  mv_remote_error_t e;
  /* " in " inside the message, and PHP's "and defined" suffix */
  ASSERT_EQ(parse(PHP_TYPE_ERROR, &e), 1);
  ASSERT_STR_EQ(e.type, "TypeError");
  ASSERT_STR_EQ(e.message, "f(): Argument #1 ($x) must be of type int, string "
                           "given, called in /tmp/samp/h7.php on line 3");
  ASSERT_EQ(e.nframes, 2);
  assert_frame(&e, 1, "/tmp/samp/h7.php", 2, "f");
  mv_remote_error_dispose(&e);
  return 0;
}

TEST_IMPL(remote_error_php_multiline_message) {
  mv_remote_error_t e;
  ASSERT_EQ(parse(PHP_MULTILINE, &e), 1);
  ASSERT_STR_EQ(e.type, "Exception");
  ASSERT_STR_EQ(e.message, "multi\nline: message");
  ASSERT_EQ(e.nframes, 1);
  assert_frame(&e, 0, "/tmp/samp/h9.php", 2, "{main}");
  mv_remote_error_dispose(&e);
  return 0;
}

/* ------------------------------------------------------------------------
 * Several errors, odd bytes, sizes.
 */
TEST_IMPL(remote_error_last_error_wins) {
  const char *orders[][3] = {{PY_COLON, NODE_BASIC, PHP_UNCAUGHT},
                             {PHP_UNCAUGHT, PY_COLON, NODE_BASIC},
                             {NODE_BASIC, PHP_UNCAUGHT, PY_COLON}};
  const char *want[] = {"RuntimeException", "Error", "MyError"};
  for (int i = 0; i < 3; i++) {
    text_t t = {0};
    for (int j = 0; j < 3; j++) {
      text_str(&t, orders[i][j]);
      text_str(&t, "\n");
    }
    mv_remote_error_t e;
    ASSERT_EQ(parse_n(t.p, t.n, &e), 1);
    ASSERT_STR_EQ(e.type, want[i]);
    mv_remote_error_dispose(&e);
    free(t.p);
  }
  /* a complete error followed by a truncated one: the complete one */
  text_t t = {0};
  text_str(&t, PY_CONTEXT);
  text_add(&t, PY_COLON, strlen(PY_COLON) - 50);
  mv_remote_error_t e;
  ASSERT_EQ(parse_n(t.p, t.n, &e), 1);
  ASSERT_STR_EQ(e.type, "RuntimeError");
  mv_remote_error_dispose(&e);
  free(t.p);
  return 0;
}

TEST_IMPL(remote_error_crlf) {
  text_t t = {0};
  for (const char *p = PY_CAUSE; *p; p++) {
    if (*p == '\n') text_str(&t, "\r");
    text_add(&t, p, 1);
  }
  mv_remote_error_t e;
  ASSERT_EQ(parse_n(t.p, t.n, &e), 1);
  ASSERT_STR_EQ(e.type, "ValueError");
  ASSERT_STR_EQ(e.message, "bad value: key missing\nsecond line");
  assert_frame(&e, 1, "/tmp/samp/p2.py", 5, "f");
  mv_remote_error_dispose(&e);
  free(t.p);
  return 0;
}

TEST_IMPL(remote_error_nul_bytes) {
  /* NUL bytes in log noise before and inside the message */
  static const char text[] =
      "bin\0ary\0\0noise\n"
      "Traceback (most recent call last):\n"
      "  File \"/w/main.py\", line 3, in <module>\n"
      "    run()\n"
      "ValueError: bad\0byte\n"
      "\n"
      "\0\0\0";
  mv_remote_error_t e;
  ASSERT_EQ(parse_n(text, sizeof text - 1, &e), 1);
  ASSERT_STR_EQ(e.type, "ValueError");
  ASSERT_STR_EQ(e.message, "bad?byte");
  assert_frame(&e, 0, "/w/main.py", 3, "<module>");
  mv_remote_error_dispose(&e);

  /* a NUL cutting a sample short in C terms is just another byte */
  text_t t = {0};
  text_add(&t, "\0", 1);
  text_str(&t, NODE_BASIC);
  ASSERT_EQ(parse_n(t.p, t.n, &e), 1);
  ASSERT_STR_EQ(e.type, "Error");
  mv_remote_error_dispose(&e);
  free(t.p);
  return 0;
}

TEST_IMPL(remote_error_huge_frame_counts) {
  const long n = 5000;
  mv_remote_error_t e;

  /* Python, outermost first: the last FRAME_CAP frames are kept */
  text_t t = {0};
  text_str(&t, "Traceback (most recent call last):\n");
  for (long i = 0; i < n; i++)
    text_fmt(&t, "  File \"/w/deep.py\", line %ld, in f%ld\n    f()\n", i + 1, i);
  text_str(&t, "RecursionError: deep\n");
  ASSERT_EQ(parse_n(t.p, t.n, &e), 1);
  ASSERT_EQ(e.nframes, FRAME_CAP);
  assert_frame(&e, 0, "/w/deep.py", n - FRAME_CAP + 1, "f4800");
  ASSERT_STR_EQ(innermost(&e)->function, "f4999");
  mv_remote_error_dispose(&e);
  free(t.p);

  /* Node, innermost first */
  memset(&t, 0, sizeof t);
  text_str(&t, "RangeError: Maximum call stack size exceeded\n");
  for (long i = 0; i < n; i++)
    text_fmt(&t, "    at f%ld (/w/deep.js:%ld:3)\n", i, i + 1);
  ASSERT_EQ(parse_n(t.p, t.n, &e), 1);
  ASSERT_EQ(e.nframes, FRAME_CAP);
  ASSERT_STR_EQ(innermost(&e)->function, "f0");
  assert_frame(&e, 0, "/w/deep.js", FRAME_CAP, "f199");
  mv_remote_error_dispose(&e);
  free(t.p);

  /* PHP, innermost first, plus the throw site */
  memset(&t, 0, sizeof t);
  text_str(&t, "PHP Fatal error:  Uncaught Exception: deep in /w/d.php:2\n"
               "Stack trace:\n");
  for (long i = 0; i < n; i++)
    text_fmt(&t, "#%ld /w/d.php(%ld): f()\n", i, i + 10);
  text_str(&t, "#5000 {main}\n  thrown in /w/d.php on line 2\n");
  ASSERT_EQ(parse_n(t.p, t.n, &e), 1);
  ASSERT_EQ(e.nframes, FRAME_CAP);
  assert_frame(&e, FRAME_CAP - 1, "/w/d.php", 2, "f");
  assert_frame(&e, FRAME_CAP - 2, "/w/d.php", 10, "f");
  assert_frame(&e, 0, "/w/d.php", FRAME_CAP - 2 + 10, "f");
  mv_remote_error_dispose(&e);
  free(t.p);
  return 0;
}

TEST_IMPL(remote_error_truncated_samples) {
  /* every prefix of every sample: no crash, no read past the cut */
  for (size_t s = 0; s < NSAMPLES; s++) {
    size_t len = strlen(all_samples[s]);
    for (size_t cut = 0; cut <= len; cut++) {
      mv_remote_error_t e;
      parse_n(all_samples[s], cut, &e);
      mv_remote_error_dispose(&e);
    }
  }
  /* a Python traceback cut before its exception line is not reported */
  mv_remote_error_t e;
  const char *cut = strstr(PY_COLON, "MyError:");
  ASSERT(cut != NULL);
  ASSERT_EQ(parse_n(PY_COLON, (size_t)(cut - PY_COLON), &e), 0);
  return 0;
}

TEST_IMPL(remote_error_tiny_inputs) {
  mv_remote_error_t e;
  /* found by the fuzzer: a frame with no location at all */
  ASSERT_EQ(parse("I\n    at ", &e), 1);
  ASSERT_STR_EQ(e.type, "I");
  ASSERT_EQ(e.nframes, 1);
  assert_frame(&e, 0, "", 0, "<anonymous>");
  mv_remote_error_dispose(&e);
  /* every 1- and 2-byte input */
  for (int a = 0; a < 256; a++) {
    for (int b = -1; b < 256; b++) {
      char buf[2] = {(char)a, (char)b};
      parse_n(buf, b < 0 ? 1 : 2, &e);
      mv_remote_error_dispose(&e);
    }
  }
  return 0;
}

TEST_IMPL(remote_error_garbage) {
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  static char buf[8192];
  for (int round = 0; round < 2000; round++) {
    size_t len = (size_t)(rng_next(&seed) % sizeof buf);
    for (size_t i = 0; i < len; i++) buf[i] = (char)(rng_next(&seed) & 0xff);
    mv_remote_error_t e;
    parse_n(buf, len, &e);
    mv_remote_error_dispose(&e);
  }
  /* lines of real samples shuffled together, with bytes flipped */
  for (int round = 0; round < 2000; round++) {
    text_t t = {0};
    int nlines = (int)(rng_next(&seed) % 40);
    for (int k = 0; k < nlines; k++) {
      const char *s = all_samples[rng_next(&seed) % NSAMPLES];
      size_t slen = strlen(s), a = (size_t)(rng_next(&seed) % (slen + 1));
      const char *nl = memchr(s + a, '\n', slen - a);
      size_t b = nl ? (size_t)(nl - s) + 1 : slen;
      text_add(&t, s + a, b - a);
    }
    for (size_t k = 0; t.n > 0 && k < 3; k++)
      t.p[rng_next(&seed) % t.n] = (char)(rng_next(&seed) & 0xff);
    mv_remote_error_t e;
    parse_n(t.p ? t.p : "", t.n, &e);
    mv_remote_error_dispose(&e);
    free(t.p);
  }
  return 0;
}

TEST_IMPL(remote_error_deterministic) {
  for (size_t s = 0; s < NSAMPLES; s++) {
    mv_remote_error_t a, b;
    ASSERT_EQ(parse(all_samples[s], &a), 1);
    ASSERT_EQ(parse(all_samples[s], &b), 1);
    ASSERT_STR_EQ(a.type, b.type);
    ASSERT_STR_EQ(a.message, b.message);
    ASSERT_STR_EQ(a.language, b.language);
    ASSERT_EQ(a.nframes, b.nframes);
    for (size_t i = 0; i < a.nframes; i++) {
      ASSERT_STR_EQ(a.frames[i].file, b.frames[i].file);
      ASSERT_STR_EQ(a.frames[i].function, b.frames[i].function);
      ASSERT_EQ(a.frames[i].line, b.frames[i].line);
    }
    mv_remote_error_dispose(&a);
    mv_remote_error_dispose(&b);
    mv_remote_error_dispose(&b); /* disposing twice is harmless */
  }
  return 0;
}
