"""The stubs: `mypy --strict` (Debian's mypy) accepts every documented form
of the API and rejects wrong ones, line by line."""
import os
import re
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(os.path.dirname(HERE), "multiverse")


def _mypy(path):
    mypy = shutil.which("mypy")
    if mypy is None:
        pytest.fail("mypy is not installed (apt-get install mypy)")
    env = dict(os.environ, MYPYPATH=os.path.dirname(PACKAGE))
    out = subprocess.run([mypy, "--strict", "--no-incremental", "--show-error-codes",
                          "--python-executable", sys.executable, path],
                         capture_output=True, text=True, env=env, cwd=HERE, timeout=300)
    return out.returncode, out.stdout + out.stderr


def test_documented_forms_are_accepted():
    code, out = _mypy(os.path.join(HERE, "typing", "accepted.py"))
    assert code == 0, out


def test_wrong_uses_are_rejected_line_by_line():
    path = os.path.join(HERE, "typing", "rejected.py")
    with open(path) as f:
        want = {i for i, line in enumerate(f, 1) if line.rstrip().endswith("# error")}
    code, out = _mypy(path)
    got = {int(m.group(1)) for m in re.finditer(r"rejected\.py:(\d+): error", out)}
    assert code != 0
    assert got == want, out
