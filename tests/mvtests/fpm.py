"""A php-fpm master for one test, and requests to it through cgi-fcgi.

The master is Debian's /usr/sbin/php-fpm8.2 with a configuration of its
own in a private directory: global and pool settings, pid and log files,
a php.ini and a conf.d directory (PHP_INI_SCAN_DIR) that loads the
extension as a distribution does (`extension=` in conf.d), or, with
load="pool" / "pool-last", through the pool's php_admin_value[extension]
(before / after the multiverse values). The pool:
127.0.0.1 on a free port, pm = static with one child, the multiverse
settings as php_admin_value, and an environment (env[...]) that gives the
workers the SDK (PYTHONPATH), the test's MV_TEST_TOKEN and, when asked,
MULTIVERSE_CONTAINMENT.
"""
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import urllib.parse
import uuid

from . import procs

FPM = "/usr/sbin/php-fpm8.2"
CGI_FCGI = "/usr/bin/cgi-fcgi"
HERE = os.path.dirname(os.path.abspath(__file__))
FPM_TESTS = os.path.join(os.path.dirname(HERE), "fpm")
WWW = os.path.join(FPM_TESTS, "www")
WORKERS = os.path.join(FPM_TESTS, "workers")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Fpm:
    def __init__(self, artifacts, max_requests=0, containment="auto", load="conf.d", ini=None,
                 php_values=None, terminate_timeout=0):
        self.artifacts = artifacts
        self.max_requests = max_requests
        self.containment = containment
        self.load = load
        self.ini = dict(ini or {})          # php_admin_value
        self.php_values = dict(php_values or {})
        self.terminate_timeout = terminate_timeout  # request_terminate_timeout (s)
        self.token = uuid.uuid4().hex
        self.dir = tempfile.mkdtemp(prefix="mv-fpm-")
        os.chmod(self.dir, 0o755)
        self.runtime_dir = os.path.join(self.dir, "run")
        os.mkdir(self.runtime_dir, 0o700)
        self.port = None
        self.proc = None
        self._log = None

    # Configuration ------------------------------------------------------

    def _write_config(self):
        d = self.dir
        with open(os.path.join(d, "php.ini"), "w") as f:
            f.write("display_errors = Off\nlog_errors = On\nerror_reporting = E_ALL\n")
        confd = os.path.join(d, "conf.d")
        os.makedirs(confd, exist_ok=True)
        if self.load == "conf.d":
            with open(os.path.join(confd, "20-multiverse.ini"), "w") as f:
                f.write("extension=%s\n" % self.artifacts.php_ext)
        values = {
            "multiverse.workers_path": WORKERS,
            "multiverse.python": "/usr/bin/python3",
            "multiverse.runtime_dir": self.runtime_dir,
            "multiverse.kill_grace": "0.5",
        }
        values.update(self.ini)
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "PYTHONPATH": self.artifacts.pythonpath,
            "PYTHONDONTWRITEBYTECODE": "1",
            "MV_TEST_TOKEN": self.token,
        }
        if self.containment != "auto":
            env["MULTIVERSE_CONTAINMENT"] = self.containment
        lines = [
            "[global]",
            "pid = %s/fpm.pid" % d,
            "error_log = %s/fpm.log" % d,
            "daemonize = no",
            "process_control_timeout = 2s",
            "[mv]",
            "listen = 127.0.0.1:%d" % self.port,
            "user = %s" % pwd.getpwuid(os.getuid()).pw_name,
            "pm = static",
            "pm.max_children = 1",
            "pm.max_requests = %d" % self.max_requests,
            "request_terminate_timeout = %ds" % self.terminate_timeout,
            "catch_workers_output = yes",
            "decorate_workers_output = no",
        ]
        # load="pool": the extension first, as a pool file would usually
        # say it; "pool-last": after the multiverse values.
        extension = "php_admin_value[extension] = %s" % self.artifacts.php_ext
        if self.load == "pool":
            lines.append(extension)
        lines += ["php_admin_value[%s] = %s" % kv for kv in values.items()]
        lines += ["php_value[%s] = %s" % kv for kv in self.php_values.items()]
        if self.load == "pool-last":
            lines.append(extension)
        lines += ["env[%s] = %s" % kv for kv in env.items()]
        with open(os.path.join(d, "fpm.conf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    # Master -------------------------------------------------------------

    def start(self):
        if self.port is None:
            self.port = free_port()
        self._write_config()
        argv = [FPM, "--nodaemonize", "-y", os.path.join(self.dir, "fpm.conf"),
                "-c", os.path.join(self.dir, "php.ini")]
        if os.getuid() == 0:
            argv.append("-R")
        env = {"PATH": "/usr/bin:/bin", "PHP_INI_SCAN_DIR": os.path.join(self.dir, "conf.d")}
        before = self.log().count("ready to handle connections")
        self._log = open(os.path.join(self.dir, "master.out"), "ab")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        self._wait_ready(before + 1)

    def _wait_ready(self, times):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("php-fpm exited (%s):\n%s" % (self.proc.returncode, self.log()))
            return self.log().count("ready to handle connections") >= times
        if not procs.wait_for(ready, timeout=20):
            raise AssertionError("php-fpm is not ready:\n" + self.log())

    def reload(self):
        """SIGUSR2: the master stops its children and starts again."""
        before = self.log().count("ready to handle connections")
        os.kill(self.proc.pid, signal.SIGUSR2)
        self._wait_ready(before + 1)

    def stop(self):
        """SIGQUIT (graceful stop); SIGKILL for the master's group if it
        hangs."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGQUIT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        self._log.close()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        text = ""
        for name in ("fpm.log", "master.out"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    text += f.read()
            except FileNotFoundError:
                pass
        return text

    # Requests -------------------------------------------------------------

    def _request_argv(self, script, params):
        env = {
            "PATH": "/usr/bin:/bin",
            "SCRIPT_FILENAME": os.path.join(WWW, script),
            "SCRIPT_NAME": "/" + script,
            "REQUEST_METHOD": "GET",
            "QUERY_STRING": "q=" + urllib.parse.quote(json.dumps(params)),
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        return [CGI_FCGI, "-bind", "-connect", "127.0.0.1:%d" % self.port], env

    def request(self, script, timeout=60, **params):
        """Run one request; the JSON body it answered."""
        argv, env = self._request_argv(script, params)
        out = subprocess.run(argv, env=env, capture_output=True, timeout=timeout)
        return self._body(out.stdout, out.returncode)

    def request_async(self, script, **params):
        argv, env = self._request_argv(script, params)
        return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def _body(self, raw, status):
        text = raw.decode("utf-8", "replace")
        head, sep, body = text.partition("\r\n\r\n")
        if status != 0 or not sep:
            raise AssertionError("cgi-fcgi failed (%d): %r\n%s" % (status, text, self.log()))
        try:
            return json.loads(body)
        except ValueError:
            raise AssertionError("not JSON: %r\n%s" % (body, self.log())) from None
