"""Python host: run one worker, print the outcome as `OUTCOME {json}`.

usage: call.py CONFIG_JSON WORKER PAYLOAD_JSON
CONFIG_JSON holds configure() options (workers_path, runtime_dir, ...).
The outcome is {"result": ...} or {"error": {...every WorkerError field}}.
"""
import json
import sys

import multiverse as mp


def main():
    mp.configure(**json.loads(sys.argv[1]))
    try:
        outcome = {"result": mp.run_worker(sys.argv[2], json.loads(sys.argv[3]))}
    except mp.WorkerError as e:
        outcome = {"error": {
            "class": type(e).__name__, "message": str(e), "driver": e.driver,
            "exit_code": e.exit_code, "signal": e.signal, "remote_type": e.remote_type,
            "remote_message": e.remote_message, "remote_trace": e.remote_trace,
            "stdout": e.stdout[-2000:], "stderr": e.stderr[-2000:], "elapsed": e.elapsed,
        }}
    print("OUTCOME " + json.dumps(outcome), flush=True)


main()
