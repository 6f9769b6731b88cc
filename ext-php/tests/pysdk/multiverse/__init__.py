# `from multiverse import worker` for the test workers, without a build of
# the Python package: the worker SDK (ext-python/multiverse/worker.py) needs
# only the standard library, while the package's own __init__ loads its
# compiled core. This package holds nothing but the path to the SDK; the
# tests put its parent directory on PYTHONPATH (setup.inc: mv_use_sdk()).
import os

__path__.append(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "..", "..", "..", "..", "ext-python", "multiverse"))
