--TEST--
MultiWorker::run(): each way a worker fails gives its own clear WorkerException, and PHP lives on
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\WorkerException;
mv_setup();

function failure(string $worker, array $payload = []): ?WorkerException
{
    try {
        MultiWorker::run($worker, $payload);
        echo "$worker: no exception\n";
        return null;
    } catch (WorkerException $e) {
        echo "$worker: ", get_class($e), ": ", $e->getMessage(), "\n";
        return $e;
    }
}

$e = failure('nonjson');
var_dump($e->getExitCode(), $e->getSignal(), $e->getOutput(), $e->getDriver());

$e = failure('silent');
var_dump($e->getExitCode(), $e->getOutput());

$e = failure('segv');
var_dump($e->getExitCode(), $e->getSignal(), $e->getErrorOutput());

$e = failure('exit3');
var_dump($e->getExitCode(), $e->getSignal(), $e->getErrorOutput(), $e->getWorkerName());
mv_check($e->getElapsed() > 0 && $e->getElapsed() < 10, 'elapsed seconds are reported');

$e = failure('no_such_worker');
var_dump($e->getExitCode(), $e->getWorkerName());

// A missing interpreter is a WorkerException (not a ValueError).
MultiWorker::configure(['python' => '/nonexistent/python3']);
$e = failure('echo');
MultiWorker::configure(['python' => 'no-such-python-interpreter']);
$e = failure('echo');
mv_setup();

// A workers_path that does not exist.
MultiWorker::configure(['workers_path' => '/nonexistent/workers']);
$e = failure('echo');
mv_setup();

// A PHP worker and an exec worker report their drivers.
var_dump(MultiWorker::run('phpw', ['numbers' => [1, 2, 3]]));
var_dump(MultiWorker::run('quick'));

// And the PHP process is fine.
var_dump(MultiWorker::run('value', ['value' => 'still alive']));
?>
--EXPECTF--
nonjson: Multiverse\WorkerException: worker 'nonjson' printed invalid JSON on stdout: "this is not json "
int(0)
NULL
string(17) "this is not json
"
string(6) "python"
silent: Multiverse\WorkerException: worker 'silent' exited with code 0 but produced no result (nothing on stdout or the result channel)
int(0)
string(0) ""
segv: Multiverse\WorkerException: worker 'segv' was killed by signal 11 (SIGSEGV): about to crash
NULL
int(11)
string(15) "about to crash
"
exit3: Multiverse\WorkerException: worker 'exit3' exited with code 3: giving up: disk full
int(3)
NULL
string(21) "giving up: disk full
"
string(5) "exit3"
ok - elapsed seconds are reported
no_such_worker: Multiverse\WorkerException: worker 'no_such_worker' not found in %s/tests/workers (tried no_such_worker/main.py, no_such_worker/main.js, no_such_worker/main.php, no_such_worker/main, no_such_worker.py, no_such_worker.js, no_such_worker.php, python/no_such_worker/main.py)
NULL
string(14) "no_such_worker"
echo: Multiverse\WorkerException: python interpreter '/nonexistent/python3' does not exist
echo: Multiverse\WorkerException: python interpreter 'no-such-python-interpreter' was not found on PATH
echo: Multiverse\WorkerException: workers_path '/nonexistent/workers' is not usable: No such file or directory
array(2) {
  ["driver"]=>
  string(3) "php"
  ["sum"]=>
  int(6)
}
array(1) {
  ["ok"]=>
  bool(true)
}
string(11) "still alive"
