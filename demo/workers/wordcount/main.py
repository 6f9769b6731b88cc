# Counts words; raises on bad input, which PHP receives as a typed
# exception with the Python traceback's type, message and frames.
import collections
import json
import sys


def count(text):
    if not isinstance(text, str):
        raise TypeError("text must be a string, got %s" % type(text).__name__)
    words = text.split()
    return {"words": len(words), "top": collections.Counter(words).most_common(2)}


payload = json.load(sys.stdin)
print(json.dumps(count(payload["text"])))
