"""A worker in the layout of the Laravel package multiverse replaces."""
import json
import sys

json.load(sys.stdin)
json.dump("legacy layout", sys.stdout)
