--TEST--
MultiWorker::run(): a timeout kills the whole tree (setsid and double-fork escapees) before it returns
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\TimeoutException;
mv_setup();

function run_tree(callable $call, string $label): void
{
    $pidfile = mv_tmp('tree');
    $t = microtime(true);
    try {
        $call($pidfile);
        echo "no exception\n";
    } catch (TimeoutException $e) {
        $elapsed = microtime(true) - $t;
        $pids = mv_read_pids($pidfile);
        echo "$label: ", get_class($e), "\n";
        echo $e->getMessage(), "\n";
        var_dump($e->getTimeout(), $e->getWorkerName(), $e->getDriver());
        mv_check(count($pids) === 4, 'the tree had 4 processes');
        // Checked at once: the call returns only after the tree is gone.
        mv_check(mv_survivors($pids) === [], 'no process of the tree survives');
        mv_check($e->getElapsed() >= $e->getTimeout() - 0.1 && $elapsed < $e->getTimeout() + 5,
                 'it took about the timeout');
        mv_check($e->getSignal() !== null && $e->getExitCode() === null, 'killed by a signal');
    }
    @unlink($pidfile);
}

// (1.5 s: the tree must be complete before the deadline, even on a busy machine)
run_tree(fn($f) => MultiWorker::run('tree', ['pidfile' => $f], 1.5), 'argument');
// _timeout in the payload overrides the argument.
run_tree(fn($f) => MultiWorker::run('tree', ['pidfile' => $f, '_timeout' => 1.5], 60.0), '_timeout');

// The configured default applies when neither is given (INI or configure()).
function timeout_of(callable $call): void
{
    try {
        $call();
    } catch (TimeoutException $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
}
MultiWorker::configure(['timeout' => 0.4]);
timeout_of(fn() => MultiWorker::run('value', ['sleep' => 30]));
MultiWorker::configure(['timeout' => 0]);
ini_set('multiverse.timeout', '0.3');
MultiWorker::configure(['timeout' => null]);
timeout_of(fn() => MultiWorker::run('value', ['sleep' => 30]));
ini_set('multiverse.timeout', '0');

// _timeout is not sent to the worker; a null _timeout is removed as well.
$r = MultiWorker::run('echo', ['a' => 1, '_timeout' => 5]);
var_dump($r['payload']);
$r = MultiWorker::run('echo', ['_timeout' => null]);
var_dump($r['payload'], $r['payload_type']);
// A timeout of 0 means none.
var_dump(MultiWorker::run('value', ['value' => 'done'], 0.0));
?>
--EXPECT--
argument: Multiverse\TimeoutException
worker 'tree' timed out after 1.5 s (process tree killed)
float(1.5)
string(4) "tree"
string(6) "python"
ok - the tree had 4 processes
ok - no process of the tree survives
ok - it took about the timeout
ok - killed by a signal
_timeout: Multiverse\TimeoutException
worker 'tree' timed out after 1.5 s (process tree killed)
float(1.5)
string(4) "tree"
string(6) "python"
ok - the tree had 4 processes
ok - no process of the tree survives
ok - it took about the timeout
ok - killed by a signal
Multiverse\TimeoutException: worker 'value' timed out after 0.4 s (process tree killed)
Multiverse\TimeoutException: worker 'value' timed out after 0.3 s (process tree killed)
array(1) {
  ["a"]=>
  int(1)
}
array(0) {
}
string(4) "dict"
string(4) "done"
