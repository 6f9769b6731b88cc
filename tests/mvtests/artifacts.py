"""The three things under test, built from this checkout.

tests/run.sh builds them once and passes their paths in the environment:
  MV_TEST_PHP_EXT     the PHP extension (multiverse.so)
  MV_TEST_PYTHONPATH  the directory holding the built `multiverse` package
  MV_TEST_CLI         the `multiverse` CLI
When one is missing (pytest run by hand), it is built here into a fresh
temporary directory that is removed at the end of the session.

Everything must be readable by an unprivileged user: the RLIMIT_NPROC
cases run their host as uid 65534, because root ignores that limit.
"""
import os
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(ROOT, "scripts")


@dataclass(frozen=True)
class Artifacts:
    php_ext: str
    pythonpath: str
    cli: str


def _build(script, directory):
    out = subprocess.run([os.path.join(SCRIPTS, script), directory], capture_output=True,
                         text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError("%s failed:\n%s%s" % (script, out.stdout, out.stderr))
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else directory


def locate():
    """(Artifacts, cleanup) — cleanup removes what was built here."""
    php_ext = os.environ.get("MV_TEST_PHP_EXT")
    pythonpath = os.environ.get("MV_TEST_PYTHONPATH")
    cli = os.environ.get("MV_TEST_CLI")
    if php_ext and pythonpath and cli:
        return Artifacts(php_ext, pythonpath, cli), lambda: None
    base = tempfile.mkdtemp(prefix="mv-suite-build-")
    os.chmod(base, 0o755)
    if not php_ext:
        php_ext = _build("build-php-ext.sh", os.path.join(base, "php"))
    if not pythonpath:
        pythonpath = _build("build-python-ext.sh", os.path.join(base, "python"))
    if not cli:
        _build("build-core.sh", os.path.join(base, "core"))
        cli = os.path.join(base, "core", "multiverse")
    return Artifacts(php_ext, pythonpath, cli), lambda: shutil.rmtree(base, ignore_errors=True)


def unreadable_by_others(path):
    """The first directory on the way to `path` that another user cannot
    enter, or the path itself if it cannot be read; None when all is fine."""
    path = os.path.abspath(path)
    parts = path.split(os.sep)
    for i in range(2, len(parts)):
        d = os.sep.join(parts[:i]) or os.sep
        if not os.stat(d).st_mode & stat.S_IXOTH:
            return d
    if not os.stat(path).st_mode & stat.S_IROTH:
        return path
    return None
