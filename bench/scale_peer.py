"""The scale benchmark's peer: N concurrent `sh -c 'sleep S; echo 1'`
children started with subprocess.Popen from one Python process (no
containment at all), same metrics as bench/scale.c.

    scale_peer.py [SLEEP_SECONDS [N...]]
"""
import json
import resource
import subprocess
import sys
import time


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(n, sleep_s):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    rss0, cpu0, t0 = rss_kb(), cpu(), time.monotonic()
    procs = [subprocess.Popen(["/bin/sh", "-c", "sleep %g; echo 1" % sleep_s],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(n)]
    started = time.monotonic() - t0
    rss1 = rss_kb()
    failed = 0
    for p in procs:
        out, _ = p.communicate()
        failed += out.strip() != b"1"
    wall, used = time.monotonic() - t0, cpu() - cpu0
    print(json.dumps({"bench": "scale", "contender": "subprocess.Popen (no containment)",
                      "tasks": n, "start_all_s": started, "wall_s": wall,
                      "host_cpu_ms_per_task": used * 1000 / n,
                      "host_kb_per_task": (rss1 - rss0) / n, "supervisor_kb_per_task": 0,
                      "failed": failed}), flush=True)


if __name__ == "__main__":
    s = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    for n in [int(a) for a in sys.argv[2:]] or (1, 10, 100, 1000):
        run(n, s)
