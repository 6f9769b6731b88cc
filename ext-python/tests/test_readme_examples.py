"""Every ```python block of the READMEs runs verbatim.

The blocks of the top README (its introduction and its "## Python"
section) and of ext-python/README.md are each written to a file in a fresh temp directory
and run there by a fresh interpreter (this one), with the package under
test importable and a private registry (XDG_RUNTIME_DIR), under a timeout;
each must exit with status 0.

Conventions in the README sources:
- a line that calls print() and ends with a comment `# -> TEXT` says what
  it prints: TEXT must be a line of the block's stdout, and these lines
  must come in the order the block has them;
- `<!-- stdin: TEXT -->` on the line before a block gives its stdin (a
  worker program reads its payload there); otherwise stdin is empty.
Fragments that cannot run on their own (signatures) use another fence
(```text, ```sh); keep them rare.
"""
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIMEOUT = 180

_PRINTS = re.compile(r"\bprint\(.*#\s*->\s*(.+?)\s*$")
_STDIN = re.compile(r"^<!--\s*stdin:\s*(.*?)\s*-->\s*$")


def python_blocks(path):
    """(first line number, code, stdin) of each ```python block of `path`."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() == "```python":
            start = i + 1
            end = start
            while lines[end].strip() != "```":
                end += 1
            before = _STDIN.match(lines[i - 1]) if i else None
            blocks.append((start + 1, "\n".join(lines[start:end]) + "\n",
                           before.group(1) if before else ""))
            i = end
        i += 1
    return blocks


def expected_output(code):
    """The `# -> TEXT` lines of the block's print() calls, in order."""
    return [m.group(1) for m in map(_PRINTS.search, code.split("\n")) if m]


def _cases():
    cases = []
    for rel in ("README.md", "ext-python/README.md"):
        for lineno, code, stdin in python_blocks(os.path.join(ROOT, rel)):
            cases.append(pytest.param(code, stdin, id="%s:%d" % (rel, lineno)))
    return cases


CASES = _cases()


def test_the_readmes_have_python_examples():
    ids = [c.id for c in CASES]
    assert sum(i.startswith("README.md:") for i in ids) >= 9, ids
    assert sum(i.startswith("ext-python/README.md:") for i in ids) >= 8, ids


def test_expected_output_convention():
    code = 'print(f(1))   # -> [1, 2]\nx = 1  # -> not a print\nprint("a")\n'
    assert expected_output(code) == ["[1, 2]"]


@pytest.mark.parametrize("code,stdin", CASES)
def test_example_runs_verbatim(code, stdin, tmp_path):
    cwd = tmp_path / "cwd"
    runtime = tmp_path / "xdg"
    cwd.mkdir()
    runtime.mkdir(mode=0o700)
    (cwd / "example.py").write_text(code, encoding="utf-8")
    env = dict(os.environ)
    env["XDG_RUNTIME_DIR"] = str(runtime)     # a registry of its own
    env.pop("MULTIVERSE_RUNTIME_DIR", None)
    # Workers are started with the `python3` of PATH, as on a user's
    # machine: make it this interpreter (PYTHONPATH, set by conftest,
    # carries the package under test to them).
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run([sys.executable, "example.py"], cwd=str(cwd), env=env,
                          input=stdin, capture_output=True, text=True, timeout=TIMEOUT)
    report = "--- stdout\n%s--- stderr\n%s" % (proc.stdout, proc.stderr[-4000:])
    assert proc.returncode == 0, report
    out = [line.rstrip() for line in proc.stdout.split("\n")]
    pos = 0
    for want in expected_output(code):
        assert want in out[pos:], "expected the line %r (in order)\n%s" % (want, report)
        pos = out.index(want, pos) + 1
