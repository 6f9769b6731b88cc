"""Prints 200 MB on stdout: more than max_output (64 MiB by default)."""
import sys

sys.stdin.read()
chunk = "x" * (1 << 20)
for _ in range(200):
    sys.stdout.write(chunk)
