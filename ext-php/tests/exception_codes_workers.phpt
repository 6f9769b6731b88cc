--TEST--
WorkerException codes: every way a worker call fails has its code (from the core's status), and getDriver() is filled wherever the worker was found
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\WorkerException;
mv_setup();

function show(string $label, callable $f): void
{
    $e = mv_outcome($label, $f);
    if ($e instanceof WorkerException) echo "  driver='", $e->getDriver(), "' remote=", var_export($e->getRemoteType(), true), "\n";
}

$dir = mv_tmpdir('codes');
mkdir("$dir/noexec");
file_put_contents("$dir/noexec/main", "#!/bin/sh\necho '{}'\n");
chmod("$dir/noexec/main", 0644);

show('missing worker', fn() => MultiWorker::run('no_such_worker'));
MultiWorker::configure(['python' => '/nonexistent/python3']);
show('missing interpreter', fn() => MultiWorker::run('echo'));
MultiWorker::configure(['python' => '/usr/bin/python3']);
MultiWorker::configure(['workers_path' => $dir]);
show('main not executable', fn() => MultiWorker::run('noexec'));
MultiWorker::configure(['workers_path' => __DIR__ . '/workers']);
show('exit 3', fn() => MultiWorker::run('exit3'));
show('traceback', fn() => MultiWorker::run('fail', ['n' => 42]));
show('structured error', fn() => MultiWorker::run('structured'));
show('segfault', fn() => MultiWorker::run('segv'));
show('not json', fn() => MultiWorker::run('nonjson'));
show('no result', fn() => MultiWorker::run('silent'));
show('undecodable for PHP', fn() => MultiWorker::run('value', ['raw_b64' => base64_encode("\"\xff\xfe\"")]));
MultiWorker::configure(['max_output' => 1 << 20]);
show('too big', fn() => MultiWorker::run('big'));
MultiWorker::configure(['max_output' => null]);
show('timeout', fn() => MultiWorker::run('value', ['value' => 1, 'sleep' => 5, '_timeout' => 0.3]));
// A batch: each failure keeps its own code.
try {
    MultiWorker::runMany(['a' => ['no_such_worker'], 'b' => ['exit3'], 'c' => ['value', ['value' => 1]]]);
} catch (WorkerException $e) {
    echo 'runMany: ', json_encode(array_map(fn($x) => mv_code_name($x->getCode()), $e->getErrors())), "\n";
}
unlink("$dir/noexec/main");
rmdir("$dir/noexec");
rmdir($dir);
?>
--EXPECTF--
missing worker: Multiverse\WorkerException [NOT_FOUND] worker 'no_such_worker' not found in %s
  driver='' remote=NULL
missing interpreter: Multiverse\WorkerException [INTERPRETER_MISSING] python interpreter '/nonexistent/python3' does not exist
  driver='python' remote=NULL
main not executable: Multiverse\WorkerException [SPAWN_FAILED] cannot start worker 'noexec': %s
  driver='exec' remote=NULL
exit 3: Multiverse\WorkerException [EXIT] worker 'exit3' exited with code 3%s
  driver='python' remote=NULL
traceback: Multiverse\WorkerException [REMOTE] worker 'fail' exited with code 1: ValueError: bad input: 42
  driver='python' remote='ValueError'
structured error: Multiverse\WorkerException [REMOTE] worker 'structured' failed: LookupError: no such item
  driver='python' remote='LookupError'
segfault: Multiverse\WorkerException [SIGNAL] worker 'segv' was killed by signal 11 (SIGSEGV)%s
  driver='python' remote=NULL
not json: Multiverse\WorkerException [BAD_RESULT] worker 'nonjson' printed invalid JSON on stdout: %s
  driver='python' remote=NULL
no result: Multiverse\WorkerException [BAD_RESULT] worker 'silent' exited with code 0 but produced no result %s
  driver='python' remote=NULL
undecodable for PHP: Multiverse\WorkerException [BAD_RESULT] worker 'value' returned JSON that PHP cannot decode: %s
  driver='python' remote=NULL
too big: Multiverse\WorkerException [TOO_BIG] worker 'big' wrote %d bytes to stdout, more than max_output (1048576 bytes)
  driver='python' remote=NULL
timeout: Multiverse\TimeoutException [TIMEOUT] worker 'value' timed out after 0.3 s (process tree killed)
  driver='python' remote=NULL
runMany: {"a":"NOT_FOUND","b":"EXIT"}
