# A result that is valid JSON grammar but not UTF-8 (a Latin-1 string, as
# a legacy program might print), on the channel the payload asks for; its
# logs are not UTF-8 either.
import json
import os
import sys

payload = json.loads(sys.stdin.read() or "{}")
data = b'{"name": "Jos\xe9"}'
sys.stderr.buffer.write(b"stderr \xff log\n")
sys.stderr.flush()
if payload.get("channel"):
    sys.stdout.buffer.write(b"stdout \xfe log\n")
    sys.stdout.flush()
    os.write(int(os.environ["MULTIVERSE_RESULT_FD"]), data)
else:
    sys.stdout.buffer.write(data)
