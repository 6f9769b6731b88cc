"""The catalogue of bad inputs: for each case, the exact exception class
the host must get, a pattern its message must match (the problem or the
argument, named), what the normal call made afterwards returns, and any
further checks. The case's script is {lang}/{name}.{php,py}.

Expectations are the contract (API.md, the READMEs), not whatever the
code happens to do today.
"""
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple

from mvtests import procs

import setups

PHP_WORKER = "Multiverse\\WorkerException"
PY_WORKER = "multiverse.errors.WorkerError"
PY_TASK = "multiverse.errors.TaskError"
PY_TASK_FAMILY = (PY_TASK, "multiverse.errors.TaskCrashedError")
ECHO = {"echo": {"carry": "on"}}       # what the default normal call returns
DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Case:
    lang: str                            # "php" or "py"
    name: str
    raises: Optional[str]                # exact class; None: nothing may be raised
    match: str = ""                      # searched in the message, case-insensitive
    carry: Any = None                    # the normal call's result (None: ECHO)
    setup: Optional[Callable] = None     # setups.*, before the host starts
    checks: Tuple[Callable, ...] = ()    # check(ctx, outcome, facts) -> [problems]
    nobody: bool = False                 # run the host as uid 65534
    nproc: Optional[int] = None          # ... with this soft RLIMIT_NPROC (root ignores it)
    ini: Tuple[Tuple[str, str], ...] = ()  # php -d name=value ({scripts}, {sandbox} filled in)

    @property
    def id(self):
        return "%s-%s" % (self.lang, self.name)


# -- checks: each returns a list of problems (empty when fine) ---------------------


def fact_is(name, expected):
    def check(ctx, outcome, facts):
        if facts.get(name) != expected:
            return ["fact %s is %r, expected %r" % (name, facts.get(name), expected)]
        return []
    return check


def fields_are(**expected):
    def check(ctx, outcome, facts):
        return ["%s is %r, expected %r" % (k, outcome.get(k), v)
                for k, v in expected.items() if outcome.get(k) != v]
    return check


def bounded_output(ctx, outcome, facts):
    problems = []
    kept = outcome.get("output_bytes", outcome.get("stdout_bytes"))
    if kept is None or kept > 1 << 20:
        problems.append("kept %r bytes of stdout, more than max_output" % kept)
    if facts.get("maxrss_kib", 1 << 30) > 120 * 1024:
        problems.append("host grew to %s KiB for a 1 MiB max_output" % facts.get("maxrss_kib"))
    return problems


def lists_only_the_real_worker(ctx, outcome, facts):
    problems = []
    listed = [(e.get("pid"), e.get("worker")) for e in outcome.get("value") or []]
    if listed != [(ctx.state["real_pid"], "sleeper")]:
        problems.append("running() listed %r, expected only the sleeper %d"
                        % (listed, ctx.state["real_pid"]))
    if facts.get("cleared") != 1:
        problems.append("clear() returned %r, expected 1" % facts.get("cleared"))
    if procs.alive(ctx.state["real_pid"]):
        problems.append("the sleeper survived clear()")
    return problems


def spares_the_victim(ctx, outcome, facts):
    problems = []
    if facts.get("cleared_victim") != 0:
        problems.append("clear('victim') returned %r" % facts.get("cleared_victim"))
    if not procs.alive(ctx.state["victim_pid"]):
        problems.append("a foreign entry got process %d killed" % ctx.state["victim_pid"])
    return problems


def fd_sweep(classes):
    """Every failure of the sweep names the exhausted resource and has a
    sane elapsed time; the call works again once fds are free; the host
    holds as many fds afterwards as before."""
    def check(ctx, outcome, facts):
        problems = []
        steps = facts.get("sweep") or []
        if not steps or steps[0].get("class") is None or steps[-1].get("class") is not None:
            problems.append("sweep did not go from failure to success: %r" % steps)
        for s in steps:
            if s.get("class") is None:
                continue
            elapsed = s.get("elapsed", s.get("elapsed_time", 0))
            if s["class"] not in classes or not re.search("too many open files", s["message"], re.I) \
                    or elapsed < 0:
                problems.append("with %d free fds: %s: %s (elapsed %s)"
                                % (s["free"], s["class"], s["message"], elapsed))
        before, after = facts.get("fds", [0, -1])
        if before != after:
            problems.append("open fds went from %s to %s" % (before, after))
        return problems
    return check


# -- the cases ----------------------------------------------------------------------

NAME = r"\(\$worker\)"          # PHP names the argument as "Argument #1 ($worker)"
NPROC = r"(fork|clone)\(\) failed: Resource temporarily unavailable"


def both(name, php, py, **common):
    """The same case in both languages: php/py = (class, pattern[, extra])."""
    out = []
    for lang, spec in (("php", php), ("py", py)):
        extra = dict(common)
        if len(spec) > 2:
            extra.update(spec[2])
        out.append(Case(lang, name, spec[0], spec[1], **extra))
    return out


CASES = [
    *both("name_traversal", ("ValueError", NAME + r".*no paths.*\.\./etc"),
          ("ValueError", r"invalid worker name '\.\./etc'.*no paths")),
    *both("name_empty", ("ValueError", NAME + r" must not be empty"),
          ("ValueError", r"worker name must not be empty")),
    *both("name_spaces", ("ValueError", NAME + r".*two words"),
          ("ValueError", r"invalid worker name 'two words'")),
    *both("name_slash", ("ValueError", NAME + r".*sub/dir"),
          ("ValueError", r"invalid worker name 'sub/dir'")),
    *both("name_too_long", ("ValueError", NAME + r" must be at most 255 bytes"),
          ("ValueError", r"worker name is too long.*255")),
    *both("timeout_negative", ("ValueError", r"\(\$timeout\).*>= 0"),
          ("ValueError", r"timeout must be >= 0, got -1")),
    *both("timeout_nan", ("ValueError", r"\(\$timeout\).*NAN"),
          ("ValueError", r"timeout .*nan")),
    *both("timeout_inf", ("ValueError", r"\(\$timeout\).*INF"),
          ("ValueError", r"timeout must be finite")),
    *both("payload_inf", ("ValueError", r"\(\$payload\) cannot be JSON-encoded: Inf and NaN"),
          ("ValueError", r"payload cannot be JSON-encoded: Out of range float")),
    *both("payload_nan", ("ValueError", r"\(\$payload\) cannot be JSON-encoded: Inf and NaN"),
          ("ValueError", r"payload cannot be JSON-encoded: Out of range float")),
    Case("php", "payload_resource", "ValueError",
         r"\(\$payload\) cannot be JSON-encoded: Type is not supported"),
    Case("py", "payload_object", "TypeError",
         r"payload cannot be JSON-encoded: Object of type object"),
    Case("py", "payload_set", "TypeError", r"payload cannot be JSON-encoded: Object of type set"),
    *both("configure_unknown", ("ValueError", r"unknown option \"timeuot\""),
          ("TypeError", r"unknown option 'timeuot'"), checks=(fact_is("timeout", 0.0),)),
    *both("configure_namespace",
          ("ValueError", r"option \"namespace\" is invalid: invalid namespace 'app-a/\.\./b'"),
          ("ValueError", r"invalid namespace 'app-a/\.\./b'"),
          checks=(fact_is("namespace", "app-a"), fact_is("timeout", 0.0))),
    *both("configure_wrong_type", ("TypeError", r"\"max_output\" must be of type \?int, string"),
          ("TypeError", r"max_output must be an int.*str"),
          checks=(fact_is("max_output", DEFAULT_MAX_OUTPUT),)),
    *both("output_not_json", (PHP_WORKER, r"'not_json' printed invalid JSON"),
          (PY_WORKER, r"'not_json' printed invalid JSON"), checks=(fields_are(exit_code=0),)),
    *both("output_nothing", (PHP_WORKER, r"'silent' exited with code 0 but produced no result"),
          (PY_WORKER, r"'silent' exited with code 0 but produced no result")),
    *both("output_flood", (PHP_WORKER, r"more than max_output \(1048576 bytes\)"),
          (PY_WORKER, r"more than max_output \(1048576 bytes\)"), checks=(bounded_output,)),
    *both("output_segfault", (PHP_WORKER, r"killed by signal 11 \(SIGSEGV\)"),
          (PY_WORKER, r"killed by signal 11 \(SIGSEGV\)"),
          checks=(fields_are(signal=11, exit_code=None),)),
    *both("output_exit3", (PHP_WORKER, r"exited with code 3: giving up"),
          (PY_WORKER, r"exited with code 3: giving up"),
          checks=(fields_are(signal=None, exit_code=3),)),
    *both("interpreter_missing", (PHP_WORKER, r"python interpreter '/nonexistent/python3' does not exist",
                                  {"checks": (fields_are(code="INTERPRETER_MISSING", driver="python"),)}),
          (PY_WORKER, r"python interpreter '/nonexistent/python3' does not exist",
           {"checks": (fields_are(status="MV_EINTERP"),)})),
    *both("main_not_executable", (PHP_WORKER, r"noexec/main.*(not executable|Permission denied)",
                                  {"checks": (fields_are(code="SPAWN_FAILED", driver="exec"),)}),
          (PY_WORKER, r"noexec/main.*(not executable|Permission denied)")),
    *both("registry_corrupt", (None, ""), (None, ""), setup=setups.registry_corrupt,
          checks=(lists_only_the_real_worker,)),
    *both("registry_foreign", (None, ""), (None, ""), setup=setups.registry_foreign,
          checks=(lists_only_the_real_worker, spares_the_victim)),
    *both("runtime_dir_not_dir", (PHP_WORKER, r"runtime_dir '.*a-file' is not a directory"),
          (PY_WORKER, r"runtime_dir '.*a-file' is not a directory"),
          setup=setups.runtime_dir_not_dir),
    *both("runtime_dir_foreign", (PHP_WORKER, r"runtime_dir '.*squatted' belongs to uid 65534"),
          (PY_WORKER, r"runtime_dir '.*squatted' belongs to uid 65534"),
          setup=setups.runtime_dir_foreign),
    *both("runtime_dir_readonly", (PHP_WORKER, r"runtime_dir '.*readonly' is not writable"),
          (PY_WORKER, r"runtime_dir '.*readonly' is not writable"),
          setup=setups.runtime_dir_readonly, nobody=True),
    Case("php", "fd_exhaustion_run", PHP_WORKER, r"too many open files",
         checks=(fd_sweep((PHP_WORKER,)),)),
    Case("php", "fd_exhaustion_fork", PHP_WORKER, r"too many open files", carry="forked",
         checks=(fd_sweep((PHP_WORKER,)),)),
    Case("py", "fd_exhaustion_run", PY_WORKER, r"too many open files",
         checks=(fd_sweep((PY_WORKER,)),)),
    Case("py", "fd_exhaustion_parallel", PY_TASK, r"too many open files", carry=1,
         checks=(fd_sweep(PY_TASK_FAMILY),)),
    Case("php", "nproc_run", PHP_WORKER, NPROC, nobody=True, nproc=1),
    Case("php", "nproc_fork", PHP_WORKER, NPROC, carry="forked", nobody=True, nproc=1),
    Case("php", "nproc_supervisor", PHP_WORKER, r"Resource temporarily unavailable",
         nobody=True, nproc=2),
    Case("py", "nproc_run", PY_WORKER, NPROC, nobody=True, nproc=1),
    Case("py", "nproc_parallel", PY_TASK, r"Resource temporarily unavailable|new thread",
         carry=1, nobody=True, nproc=1),
    Case("py", "nproc_supervisor", PY_WORKER, r"Resource temporarily unavailable",
         nobody=True, nproc=2),
    Case("php", "map_workers_zero", "ValueError", r"\(\$workerCount\) must be >= 1.*got 0",
         carry=[10, 20, 30]),
    Case("php", "map_workers_negative", "ValueError", r"\(\$workerCount\) must be >= 1.*got -2",
         carry=[10, 20, 30]),
    Case("php", "wait_negative", "ValueError", r"\(\$timeout\).*>= 0", carry=[0, 42]),
    Case("py", "parallel_timeout_negative", "ValueError", r"timeout must be >= 0, got -1", carry=7),
    Case("py", "set_max_concurrent_zero", "ValueError", r"must be >= 1, got 0", carry=[1, 2, 3],
         checks=(fact_is("unchanged", True),)),
    Case("py", "map_workers_zero", "ValueError", r"workers must be >= 1, got 0", carry=[1, 2, 3]),
    Case("py", "gather_bogus", "ValueError",
         r"on_error must be 'raise', 'skip' or 'none', got 'bogus'", carry=[1, 2]),
    # -- Python errors and options --
    Case("py", "name_nul", "ValueError",
         r"invalid worker name 'echo\\x00\.\./etc': only letters"),
    Case("py", "output_not_utf8", PY_WORKER,
         r"'latin1' printed a result that is not valid UTF-8 on stdout \(byte 0xe9 at offset 13\)",
         setup=setups.worker_latin1, checks=(fields_are(exit_code=0, status="MV_EPROTO"),)),
    Case("py", "running_runtime_dir_not_dir", PY_WORKER,
         r"running\(\) failed: runtime_dir '.*a-file' is not a directory",
         setup=setups.runtime_dir_not_dir),
    Case("py", "clear_runtime_dir_foreign", PY_WORKER,
         r"clear\(\) failed: runtime_dir '.*squatted' belongs to uid 65534",
         setup=setups.runtime_dir_foreign),
    Case("py", "configure_env_bad_name", "ValueError", r"env: invalid variable name 'BAD-NAME'",
         checks=(fact_is("env", {"GOOD": "1"}),)),
    Case("py", "configure_env_nul", "ValueError", r"env: the value of 'TOKEN' contains a NUL",
         checks=(fact_is("env", {}),)),
    Case("py", "configure_env_not_str", "TypeError",
         r"env: the value of 'PORT' must be a str, not int", checks=(fact_is("env", {}),)),
    Case("py", "configure_inherit_env_wrong_type", "TypeError",
         r"inherit_env must be a bool, not str", checks=(fact_is("inherit_env", True),)),
    Case("py", "configure_warm_bad_value", "ValueError",
         r"^warm 'other': processes must be >= 1, got 0$",
         checks=(fact_is("warm", {"echo": False}), fact_is("timeout", 0.0))),
    Case("py", "configure_warm_wrong_type", "TypeError",
         r"^warm 'echo': processes must be an int, not str$", checks=(fact_is("warm", {}),)),
    # -- end of Python errors and options --
    # -- PHP errors and options --
    Case("php", "payload_deep", "ValueError",
         r"\(\$payload\) must not be nested deeper than 512 levels"),
    Case("php", "name_nul", "ValueError", NAME + r'.*got "echo\\0\.\./\.\./bin/sh"'),
    Case("php", "configure_env_name", "ValueError",
         r'option "env": invalid variable name "BAD NAME"',
         checks=(fact_is("inherit_env", True), fact_is("env", []))),
    Case("php", "configure_env_type", "TypeError",
         r'option "env": variable "WORKERS" must be of type string, int given',
         checks=(fact_is("env", []),)),
    Case("php", "configure_env_nul", "ValueError",
         r'option "env": the value of variable "TOKEN" must not contain NUL',
         checks=(fact_is("env", []),)),
    Case("php", "configure_warm_range", "ValueError",
         r"option \"warm\" is invalid: warm 'ocr': processes must be >= 1, got 0",
         checks=(fact_is("timeout", 0.0), fact_is("warm", []))),
    Case("php", "configure_warm_type", "TypeError",
         r'option "warm": "idle_timeout" of worker "ocr" must be of type float, string given',
         checks=(fact_is("warm", []),)),
    # -- PHP hosting restrictions: the server's php.ini forbids, the call
    # refuses before anything starts (the marker a run would leave is
    # checked), and the host carries on with what is still allowed --
    Case("php", "hosting_proc_open", PHP_WORKER,
         r"MultiWorker::run\(\): cannot start worker processes: proc_open is disabled by "
         r"the disable_functions directive", carry="forked", setup=setups.marker,
         ini=(("disable_functions", "exec,proc_open"),),
         checks=(fields_are(code="DISABLED"), fact_is("ran", False))),
    Case("php", "hosting_pcntl_fork", PHP_WORKER,
         r"Process::map\(\): cannot fork: pcntl_fork is disabled by the disable_functions "
         r"directive", setup=setups.marker, ini=(("disable_functions", "pcntl_fork"),),
         checks=(fields_are(code="DISABLED"), fact_is("ran", False))),
    Case("php", "hosting_allow_fork", PHP_WORKER,
         r"Process::map\(\): cannot fork: .*\(multiverse\.allow_fork=0\)", setup=setups.marker,
         ini=(("multiverse.allow_fork", "0"),),
         checks=(fields_are(code="DISABLED"), fact_is("ran", False))),
    Case("php", "hosting_open_basedir", PHP_WORKER,
         r"workers_path '.*/workers' is outside open_basedir", carry="forked",
         setup=setups.marker, ini=(("open_basedir", "{scripts}:{sandbox}/inside:/proc"),),
         checks=(fields_are(code="DISABLED"), fact_is("ran", False))),
    Case("php", "hosting_disabled", PHP_WORKER,
         r"MultiWorker::run\(\): multiverse is turned off on this server "
         r"\(multiverse\.enabled=0\)", carry=False, setup=setups.marker,
         ini=(("multiverse.enabled", "0"),),
         checks=(fields_are(code="DISABLED"), fact_is("ran", False))),
    # -- end of PHP errors and options --
    # -- registry --
    # -- end of registry --
]
