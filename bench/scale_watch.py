"""The observer of the concurrency benchmark (target 5).

    scale_watch.py watch HOST_PID N MARKFILE LOCKFILE TIMEOUT
    scale_watch.py fit N

`watch`: takes an exclusive flock of LOCKFILE and prints "ready". Every
task appends "PID MONOTONIC_NS" to MARKFILE when it begins running, then
blocks on a shared flock of LOCKFILE. Once N tasks have written their line
(or TIMEOUT seconds passed), the observer walks /proc: every descendant of
HOST_PID (its own subtree excepted) that is not one of the N tasks is a
process the contender added. It prints one JSON line (counts by process
name, the CPU time they used since "ready") and only then releases the
lock, so that every task is alive while it counts. It costs the host nothing: it is a
separate process, asleep between 10 ms polls of the marker file's size.

`fit`: the largest number of concurrent tasks, up to N, that this user's
limits allow (RLIMIT_NPROC counts threads, ~2 processes per task plus
margin; open files: a few per task in the host; pid_max; memory), and why.
"""
import fcntl
import json
import os
import resource
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid):
    """CPU time of a process in seconds: /proc/PID/schedstat (nanoseconds)
    when the kernel has it, else utime + stime from stat (clock ticks,
    which round a short-lived process's few milliseconds down to 0)."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def proc_table():
    """pid -> (comm, ppid, cpu seconds) of every process."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                data = f.read()
        except OSError:
            continue
        lpar, rpar = data.find(b"("), data.rfind(b")")
        fields = data[rpar + 2:].split()
        comm = data[lpar + 1:rpar].decode(errors="replace")
        # fields[0] is the state; ppid is field 4 of stat, utime 14, stime 15
        pid = int(name)
        cpu = cpu_of(pid)
        if cpu is None:
            cpu = (int(fields[11]) + int(fields[12])) / TICK
        table[pid] = (comm, int(fields[1]), cpu)
    return table


def descendants(table, root, skip):
    children = {}
    for pid, (_, ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            if c in skip:
                continue
            out.append(c)
            todo.append(c)
    return out


def read_marks(path):
    marks = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                marks.append((int(parts[0]), int(parts[1])))
    return marks


def watch(host_pid, n, markfile, lockfile, timeout):
    lock = os.open(lockfile, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(lock, fcntl.LOCK_EX)
    # CPU already used by the host's children (a fork server that outlives
    # the rounds of its host): only what they use from now on is counted.
    table = proc_table()
    before = {p: table[p][2] for p in descendants(table, host_pid, {os.getpid()})}
    print("ready", flush=True)
    deadline = time.monotonic() + timeout
    timed_out = False
    while True:
        try:
            size = os.stat(markfile).st_size
        except FileNotFoundError:
            size = 0
        # lines are at most 32 bytes: count them only when enough could be there
        if size >= n * 10 and len(read_marks(markfile)) >= n:
            break
        if time.monotonic() > deadline:
            timed_out = True
            break
        time.sleep(0.01)
    marks = read_marks(markfile)
    task_pids = {pid for pid, _ in marks}
    table = proc_table()
    tree = descendants(table, host_pid, {os.getpid()})
    others = [p for p in tree if p not in task_pids]
    by_name = {}
    for p in others:
        by_name[table[p][0]] = by_name.get(table[p][0], 0) + 1
    row = {
        "started": len(marks),
        "timed_out": timed_out,
        "tasks_in_tree": sum(1 for p in tree if p in task_pids),
        "other_procs": len(others),
        "other_by_name": by_name,
        "other_cpu_s": float(sum(max(0.0, table[p][2] - before.get(p, 0.0)) for p in others)),
        "task_cpu_s": float(sum(table[p][2] for p in tree if p in task_pids)),
    }
    print(json.dumps(row), flush=True)
    os.close(lock)  # every task goes on


def threads_of_user(uid):
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/status" % name) as f:
                status = f.read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields.get("Uid", "-1 0").split()[0]) == uid:
            total += int(fields.get("Threads", "1"))
    return total


def fit(want):
    uid = os.getuid()
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[0]
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    mine = threads_of_user(uid)
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    total = sum(1 for p in os.listdir("/proc") if p.isdigit())
    avail_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                avail_kb = int(line.split()[1])
    caps = {"requested": want}
    if nproc != resource.RLIM_INFINITY:
        caps["RLIMIT_NPROC"] = int((nproc - mine - 100) / 2.2)
    if nofile != resource.RLIM_INFINITY:
        caps["RLIMIT_NOFILE"] = int((nofile - 100) / 6)
    caps["pid_max"] = int((pid_max - total - 500) / 2.2)
    caps["memory"] = int(avail_kb / 2 / (8 * 1024))  # 8 MiB per task, half of what is free
    n = max(1, min(caps.values()))
    limiting = min(caps, key=caps.get)
    why = ("%d concurrent tasks fit" % n if limiting == "requested" else
           "%d of the %d requested: %s allows no more" % (n, want, limiting))
    why += (" (RLIMIT_NPROC %s with %d threads of uid %d running, RLIMIT_NOFILE %s, pid_max %d, "
            "%.1f GiB available)" % ("unlimited" if nproc == resource.RLIM_INFINITY else nproc,
                                     mine, uid,
                                     "unlimited" if nofile == resource.RLIM_INFINITY else nofile,
                                     pid_max, avail_kb / 2**20))
    print(json.dumps({"tasks": n, "requested": want, "why": why}))


if __name__ == "__main__":
    if sys.argv[1] == "watch":
        watch(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], float(sys.argv[6]))
    elif sys.argv[1] == "fit":
        fit(int(sys.argv[2]))
    else:
        sys.exit(__doc__)
