"""The bad-input catalogue: one test per case of cases.py.

Each case runs its small host script (php/NAME.php or py/NAME.py) as a
real process and checks, in this order of importance:
1. the typed error: the exact exception class, and a message naming the
   problem or the argument;
2. the host carries on: after the error, the same process makes a normal
   call that succeeds (CARRIED-ON), exits 0 and has no zombie children;
3. nothing is left behind: no process carrying the test's token survives
   the host, and elapsed times are never negative;
4. the case's own checks.
Every problem is collected, so a failing case reports all of what it saw.
"""
import json
import os
import re

import pytest

from mvtests import artifacts as _artifacts
from mvtests import procs
from mvtests.hosts import HostHung, one

import cases
import setups

HERE = os.path.dirname(os.path.realpath(__file__))


def facts_of(stdout):
    """{name: value} of every `FACT name {json}` line."""
    out = {}
    for line in stdout.splitlines():
        if line.startswith("FACT "):
            _, name, value = line.split(" ", 2)
            out[name] = json.loads(value)
    return out


def host_argv(case, ctx, hosts, artifacts):
    scripts = os.path.join(HERE, case.lang)
    prefix = []
    if case.nobody:
        for path in (artifacts.php_ext, artifacts.pythonpath):
            blocked = _artifacts.unreadable_by_others(path)
            if blocked:
                pytest.fail("%s cannot be read by uid 65534 (%s): build into a directory "
                            "others can enter (tests/run.sh does)" % (path, blocked))
        scripts = ctx.hand_to_nobody(case.lang)
        prefix = ["setpriv", "--reuid=%d" % setups.NOBODY, "--regid=%d" % setups.NOBODY,
                  "--clear-groups"]
        if case.nproc:
            prefix += ["prlimit", "--nproc=%d:200" % case.nproc]
    script = os.path.join(scripts, case.name + (".php" if case.lang == "php" else ".py"))
    argv = hosts.php(script, ctx.params) if case.lang == "php" else hosts.py(script, ctx.params)
    for name, value in case.ini:
        # After `php -d extension=...`, before the script.
        argv[3:3] = ["-d", "%s=%s" % (name, value.format(scripts=scripts, sandbox=ctx.sandbox))]
    return prefix + argv


@pytest.fixture
def context(sandbox, hosts, artifacts):
    ctx = setups.Context(sandbox, hosts, artifacts)
    yield ctx
    ctx.close()


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.id)
def test_bad_input(case, context, hosts, artifacts):
    if case.setup:
        case.setup(context)
    argv = host_argv(case, context, hosts, artifacts)
    try:
        rc, out, err = hosts.run(argv, timeout=120, cwd=context.sandbox)
    except HostHung as hung:
        pytest.fail("the host hung: %s" % hung)
    problems = []
    outcome = one(out, "OUTCOME", err)
    facts = facts_of(out)

    # 1. the typed error
    if outcome["class"] != case.raises:
        problems.append("raised %s (%r), expected %s"
                        % (outcome["class"], outcome.get("message", outcome.get("value")),
                           case.raises))
    elif case.match and not re.search(case.match, outcome["message"], re.I | re.S):
        problems.append("message %r does not match %r" % (outcome["message"], case.match))

    # 2. the host carries on
    carried = [line for line in out.splitlines() if line.startswith("CARRIED-ON ")]
    expected = cases.ECHO if case.carry is None else case.carry
    if rc != 0 or len(carried) != 1:
        problems.append("the host did not carry on (exit %d): %s" % (rc, err.strip()[-1500:]))
    elif one(out, "CARRIED-ON", err) != expected:
        problems.append("the normal call returned %s, expected %r" % (carried[0], expected))
    if facts.get("zombies"):
        problems.append("zombie children of the host: %r" % facts["zombies"])

    # 3. nothing left behind, sane numbers
    left = procs.leftovers(hosts.token)
    if left:
        problems.append("processes left behind: %r" % left)
    for key in ("elapsed", "elapsed_time"):
        if isinstance(outcome.get(key), (int, float)) and outcome[key] < 0:
            problems.append("%s is negative: %r" % (key, outcome[key]))

    # 4. the case's own checks
    for check in case.checks:
        problems += check(context, outcome, facts)

    if problems:
        pytest.fail("%s:\n  %s" % (case.id, "\n  ".join(problems)), pytrace=False)
