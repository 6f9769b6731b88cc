"""The containment torture suite: random process trees crossed with every
way a task ends, hosted by Python and by PHP.

usage: run.py [--trials N] [--seed S] [--jobs J] [--php-ext PATH]

Each trial: a random tree (depth 1-4, fan-out, setsid, double fork,
children ignoring SIGTERM, children that fork when SIGTERMed) is built by
a worker (mp.run_worker / MultiWorker::run), a call in the warm pool
(@mp.parallel, whose root is the pool process) or a forked task (@mp.parallel(fork=True)
/ Process::fork) in a fresh host process, and ended by a normal exit, a
crash, a timeout, a cancel, clear() from another process (the CLI, Python
or PHP, at random), SIGKILL of the host or SIGKILL of the task's
supervisor. Some processes of a tree move themselves out of their cgroup
leaf. After it, no process of the tree may be alive, and the host (when it
survived) must have the same fds and no zombie children; at the end no
cgroup leaf may be left. Quick mode (the default, 200 trials) runs in CI;
the long mode is just more trials: `run.py --trials 5000`.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import tree  # noqa: E402

PY = "/usr/bin/python3"
ENDS = ["exit", "crash", "timeout", "cancel", "clear", "hostkill", "supkill"]
HOSTKILL_WINDOW = 1.5   # "within about one second", plus scheduling slack
RETURN_WINDOW = 0.5     # after the host returned, the tree is already gone


def host_cmd(lang, trial, php_ext):
    if lang == "python":
        return [PY, os.path.join(HERE, "host.py"), json.dumps(trial)]
    return ["php", "-d", "extension=" + php_ext, os.path.join(HERE, "host.php"), json.dumps(trial)]


def clear_cmd(how, runtime_dir, name, php_ext, cli):
    if how == "cli":
        return [cli, "clear", "--runtime-dir", runtime_dir, name]
    if how == "python":
        return [PY, "-c", "import multiverse as mp, sys; mp.configure(runtime_dir=sys.argv[1]); "
                "print(mp.clear(sys.argv[2]))", runtime_dir, name]
    return ["php", "-d", "extension=" + php_ext, "-r",
            "Multiverse\\MultiWorker::configure(['runtime_dir' => $argv[1]]); "
            "echo Multiverse\\MultiWorker::clear($argv[2]);", runtime_dir, name]


def supervisors(runtime_dir):
    """Supervisor pids of the registry's entries."""
    out = []
    try:
        names = os.listdir(runtime_dir)
    except FileNotFoundError:
        return out
    for name in names:
        if name.endswith(".entry"):
            try:
                with open(os.path.join(runtime_dir, name)) as f:
                    for line in f:
                        if line.startswith("supervisor_pid="):
                            out.append(int(line.split("=", 1)[1]))
            except FileNotFoundError:
                pass  # the task ended meanwhile
    return out


def cgroup_dir():
    """This process's cgroup v2 directory, where leaves are made (None if none)."""
    try:
        rel = [l[3:] for l in open("/proc/self/cgroup").read().splitlines()
               if l.startswith("0::")][0]
        mnt = [l.split()[4] for l in open("/proc/self/mountinfo")
               if " - cgroup2 " in l and l.split()[3] == "/"][0]
    except (OSError, IndexError):
        return None
    return mnt + ("" if rel == "/" else rel)


def leaves():
    d = cgroup_dir()
    try:
        return sorted(n for n in os.listdir(d) if n.startswith("multiverse-")) if d else []
    except OSError:
        return []


def trial_plan(rng, i):
    lang = rng.choice(["python", "php"])
    kind = rng.choice(["worker", "fork"] + (["pool"] if lang == "python" else []))
    end = ENDS[i % len(ENDS)] if rng.random() < 0.7 else rng.choice(ENDS)
    if lang == "php" and kind == "worker" and end == "cancel":
        end = "clear"  # MultiWorker::run has no cancel; clear is its cancel
    return lang, kind, end


def name_of(lang, kind):
    if kind == "worker":
        return "torture"
    if kind == "pool":
        return "multiverse-pool"
    return "fork_tree" if lang == "python" else "closure"


def run_trial(i, seed, args):
    rng = random.Random(seed * 100003 + i)
    lang, kind, end = trial_plan(rng, i)
    spec = tree.random_spec(rng)
    tmp = tempfile.mkdtemp(prefix="mv-torture-")
    trial = {"kind": kind, "spec": spec, "pidfile": os.path.join(tmp, "pids"), "end": end,
             "timeout": 0.5, "grace": 0.2, "runtime_dir": os.path.join(tmp, "run"),
             "python": PY}
    want = tree.expected(spec) + (1 if (lang == "php" and kind == "fork") else 0)
    desc = "#%d %s/%s/%s (tree of %d)" % (i, lang, kind, end, want)
    env = dict(os.environ)
    # Files, not pipes: a survivor of the tree (a fork of the host) would
    # hold a pipe open and hang the driver instead of being reported.
    out_path, err_path = os.path.join(tmp, "host.out"), os.path.join(tmp, "host.err")
    with open(out_path, "wb") as out_f, open(err_path, "wb") as err_f:
        proc = subprocess.Popen(host_cmd(lang, trial, args.php_ext), stdout=out_f,
                                stderr=err_f, env=env)
    problems = []
    try:
        if end in ("clear", "hostkill", "supkill") or (end == "cancel" and kind == "worker"):
            if not tree.wait_built(spec, trial["pidfile"]) or \
                    len(tree.read_pids(trial["pidfile"])) < want:
                # the tree may still be growing: wait for the php task's pid
                tree.wait_built({"kids": []}, trial["pidfile"])
            deadline = time.monotonic() + 20
            while len(tree.read_pids(trial["pidfile"])) < want and time.monotonic() < deadline:
                time.sleep(0.005)
            sups = []
            if end in ("supkill", "clear"):
                # The supervisor registers the task once it runs, which can
                # be a moment after the tree noted itself (a forked task
                # runs before its supervisor is exec'd): clear() kills what
                # the registry lists.
                until = time.monotonic() + 10
                while not sups and time.monotonic() < until:
                    sups = supervisors(trial["runtime_dir"])
                    time.sleep(0.005)
            if end == "hostkill":
                proc.kill()
            elif end == "supkill":
                if len(sups) != 1:
                    problems.append("expected one supervisor in the registry, found %s" % sups)
                for pid in sups:
                    os.kill(pid, signal.SIGKILL)
            elif end == "cancel":
                proc.send_signal(signal.SIGINT)
            else:
                how = rng.choice(["cli", "python", "php"])
                c = subprocess.run(clear_cmd(how, trial["runtime_dir"], name_of(lang, kind),
                                             args.php_ext, args.cli),
                                   capture_output=True, timeout=30)
                if c.returncode != 0 or c.stdout.strip() != b"1":
                    problems.append("clear via %s: exit %d, printed %r %s" % (
                        how, c.returncode, c.stdout.strip(), c.stderr.decode()[-300:]))
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        problems.append("host hung")
    with open(out_path, "rb") as f:
        out = f.read()
    with open(err_path, "rb") as f:
        err = f.read()
    returned = time.monotonic()
    pids = tree.read_pids(trial["pidfile"])
    window = HOSTKILL_WINDOW if end == "hostkill" else RETURN_WINDOW
    while any(tree.alive(p) for p in pids) and time.monotonic() < returned + window:
        time.sleep(0.01)
    survivors = [p for p in pids if tree.alive(p)]
    if survivors:
        problems.append("survivors %s" % survivors)
        for p in survivors:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
    # A timeout may strike while the tree is still growing; every other
    # ending happens after the whole tree noted itself.
    if len(pids) < want and end != "timeout":
        problems.append("tree incomplete (%d of %d pids)" % (len(pids), want))
    report = None
    if end != "hostkill":
        try:
            report = json.loads(out.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            problems.append("no report from host (exit %s): %s" % (proc.returncode,
                                                                 err.decode()[-500:]))
    if report:
        if report["fds_before"] != report["fds_after"]:
            problems.append("fds %s -> %s" % (report["fds_before"], report["fds_after"]))
        if report["zombies"]:
            problems.append("zombies %s" % report["zombies"])
        desc += " -> " + report["outcome"]
    shutil.rmtree(tmp, ignore_errors=True)
    return desc, problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--php-ext", required=True)
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "multiverse"))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    print("torture: %d trials, seed %d (rerun with --seed %d)" % (args.trials, args.seed,
                                                                   args.seed), flush=True)
    failed = 0
    lock = threading.Lock()
    t0 = time.monotonic()
    leaves_before = set(leaves())
    with ThreadPoolExecutor(args.jobs) as ex:
        for desc, problems in ex.map(lambda i: run_trial(i, args.seed, args), range(args.trials)):
            with lock:
                if problems:
                    failed += 1
                    print("FAIL " + desc + ": " + "; ".join(problems), flush=True)
                elif args.verbose:
                    print("ok   " + desc, flush=True)
    # Every leaf is removed by the time its task is reported; allow a
    # moment for the last trials' hosts that were killed.
    deadline = time.monotonic() + 3
    while set(leaves()) - leaves_before and time.monotonic() < deadline:
        time.sleep(0.05)
    left = sorted(set(leaves()) - leaves_before)
    if left:
        failed += 1
        print("FAIL cgroup leaves left behind: %s" % left, flush=True)
    print("torture: %d/%d trials passed in %.0f s" % (args.trials - failed, args.trials,
                                                       time.monotonic() - t0), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
