import os
import signal
import sys

sys.stdin.read()
sys.stderr.write("about to crash\n")
sys.stderr.flush()
os.kill(os.getpid(), signal.SIGSEGV)
