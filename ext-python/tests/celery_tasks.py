"""The Celery app of test_celery.py, imported by its worker processes
(`python3 -m celery -A celery_tasks worker`) and by the test itself.

The broker and result backend are the test's redis-server
(MV_TEST_REDIS_URL); the multiverse registry is the test session's private
directory (MV_TEST_RUNTIME_DIR), so the test sees the workers' tasks with
mp.running().
"""
import os
import time

from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init

import multiverse as mp
from multiverse.celery import ContainedTask
from proctools import start_escaping_tree

REDIS = os.environ.get("MV_TEST_REDIS_URL", "redis://127.0.0.1:6379")
# How long an unacknowledged (acks_late) message stays with a worker that
# may have died before another worker takes it back (Redis transport).
VISIBILITY_TIMEOUT = 4

app = Celery("celery_tasks", broker=REDIS + "/0", backend=REDIS + "/1")
app.conf.update(
    broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
    result_backend_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    task_track_started=True,
)

if os.environ.get("MV_TEST_RUNTIME_DIR"):
    mp.configure(runtime_dir=os.environ["MV_TEST_RUNTIME_DIR"], kill_grace=1.0)


@worker_process_init.connect
def _pool_process_outlives_its_worker(**_kwargs):
    """MV_TEST_NO_PDEATHSIG=1: this worker's pool processes do not die with
    it (Debian's Celery makes them, with PR_SET_PDEATHSIG; other versions
    do not), so that ContainedTask's own watch for a dead worker is what
    the test sees."""
    if os.environ.get("MV_TEST_NO_PDEATHSIG"):
        from billiard.util import set_pdeathsig

        set_pdeathsig(0)


@app.task(base=ContainedTask)
def add(x, y):
    return x + y


def _explode(message):
    raise ValueError(message)


@app.task(base=ContainedTask)
def fail(message):
    _explode(message)


@app.task(base=ContainedTask, bind=True, autoretry_for=(KeyError,), max_retries=2,
          default_retry_delay=0)
def flaky(self, directory):
    """Raises KeyError on its first run; autoretry_for retries it."""
    marker = os.path.join(directory, "flaky-%s" % self.request.id)
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise KeyError("first run")
    return {"retries": self.request.retries}


@app.task(base=ContainedTask, bind=True)
def whoami(self):
    """What the body sees of Celery: its request and its own process."""
    return {"id": self.request.id, "hostname": self.request.hostname, "pid": os.getpid(),
            "args": list(self.request.args or [])}


@app.task(base=ContainedTask)
def send_add(x, y):
    """Sends a task from the body (the fork's broker connections are its own)."""
    return add.apply_async((x, y), queue="w-b").id


@app.task(base=ContainedTask, time_limit=2)
def escape_and_hang(directory, tag):
    """Starts children that leave its session, then outlives its time limit."""
    start_escaping_tree(directory, tag)
    time.sleep(60)


@app.task(base=ContainedTask, time_limit=6, soft_time_limit=1)
def soft_limit_cleanup(directory, tag):
    """Catches the soft limit inside the body and returns what it did."""
    start_escaping_tree(directory, tag)
    try:
        time.sleep(60)
    except SoftTimeLimitExceeded:
        return "cleaned up after the soft limit"
    return "slept"


@app.task(base=ContainedTask)
def hang(directory, tag):
    """No time limit: runs until something kills its tree."""
    start_escaping_tree(directory, tag)
    time.sleep(60)


@app.task(base=ContainedTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def survive_worker_loss(self, directory, tag):
    """First run: starts an escaping tree and hangs (the test kills its
    Celery worker). A later run (the redelivery) returns at once."""
    marker = os.path.join(directory, tag + ".first-run")
    if os.path.exists(marker):
        return {"hostname": self.request.hostname, "first_run": False}
    with open(marker, "w") as f:
        f.write(self.request.hostname or "")
    start_escaping_tree(directory, tag)
    time.sleep(60)
    return {"hostname": self.request.hostname, "first_run": True}
