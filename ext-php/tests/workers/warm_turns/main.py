"""turns.py as a warm worker (multiverse.json): one process serves the
calls, one after another."""
import os
import runpy

runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "turns.py"),
               run_name="__main__")
