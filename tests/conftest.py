"""Fixtures for tests/cross and tests/catalogue.

`artifacts`: the built PHP extension, Python package and CLI (see
mvtests/artifacts.py). `hosts`: starts PHP/Python host processes for one
test and kills whatever is left of them afterwards. `sandbox`: a private
directory for one test, with a private runtime_dir (the registry), so
clear() in one test never touches another test's workers.
"""
import os
import shutil
import tempfile

import pytest

from mvtests import artifacts as _artifacts
from mvtests.hosts import Hosts


@pytest.fixture(scope="session")
def artifacts():
    found, cleanup = _artifacts.locate()
    yield found
    cleanup()


@pytest.fixture
def hosts(artifacts):
    h = Hosts(artifacts)
    yield h
    h.close()


@pytest.fixture
def sandbox(hosts):
    """A fresh directory others can enter (mode 0755; some hosts run as an
    unprivileged user) holding `run/`, a private runtime_dir (0700). The
    registry in it is cleared before the directory goes."""
    path = tempfile.mkdtemp(prefix="mv-suite-")
    os.chmod(path, 0o755)
    run = os.path.join(path, "run")
    os.mkdir(run, 0o700)
    yield path
    hosts.close()
    if os.path.isdir(run) and os.stat(run).st_uid == os.getuid():
        hosts.run(hosts.cli("clear", "--runtime-dir", run), timeout=30)
        hosts.close()
    shutil.rmtree(path, ignore_errors=True)
