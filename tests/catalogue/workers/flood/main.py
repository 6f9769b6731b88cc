# Prints 200 MB on stdout: the host must keep at most max_output of it.
import sys

chunk = b"x" * (1 << 20)
for _ in range(200):
    sys.stdout.buffer.write(chunk)
