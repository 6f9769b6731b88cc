"""Which containment tier this run really gets: a forked task and an
exec'd worker report their cgroup v2 path; a task moved out of the host's
cgroup is in the cgroup tier (its own leaf), one left in it is in the
subreaper tier. One JSON row."""
import os
import pwd

import multiverse as mp
from benchlib import emit

HERE = os.path.dirname(os.path.abspath(__file__))


def cgroup():
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return line.split("::", 1)[1].strip()
    return None


def main():
    mp.configure(workers_path=os.path.join(HERE, "workers"),
                 python=os.environ.get("BENCH_PYTHON", "/usr/bin/python3"))
    host = cgroup()
    forked = mp.parallel(fork=True)(cgroup)().get()
    worker = mp.run_worker("whoami", {})["cgroup"]
    seen = {"cgroup" if c != host else "subreaper" for c in (forked, worker)}
    emit({"bench": "tier", "requested": os.environ.get("MULTIVERSE_CONTAINMENT", "auto"),
          "observed": seen.pop() if len(seen) == 1 else "mixed",
          "user": pwd.getpwuid(os.getuid()).pw_name, "uid": os.getuid(),
          "host_cgroup": host, "forked_task_cgroup": forked, "worker_cgroup": worker})


if __name__ == "__main__":
    main()
