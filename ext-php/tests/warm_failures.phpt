--TEST--
Warm workers (Python SDK): a timeout kills the warm process's whole tree, a crash fails the call; a new process serves the next call
--SKIPIF--
<?php
if (!is_file(__DIR__ . '/../../ext-python/multiverse/worker.py')) die('skip needs the Python SDK (ext-python/)');
?>
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\TimeoutException;
use Multiverse\WorkerException;
mv_setup();
mv_use_sdk();

$pid = MultiWorker::run('warm_sdk')['pid'];

// Timeout: the warm process and its setsid grandchild are killed.
$dir = mv_tmpdir('warm-tree');
try {
    MultiWorker::run('warm_sdk', ['tree' => $dir, '_timeout' => 1.0]);
} catch (TimeoutException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump($e->getTimeout());
}
$grandchild = mv_read_pids("$dir/grandchild")[0] ?? 0;
mv_check($grandchild > 0, 'the grandchild had started');
mv_check(mv_survivors([$pid, $grandchild]) === [], 'the warm process and its setsid grandchild are gone');
mv_rmdir($dir);
$r = MultiWorker::run('warm_sdk');
mv_check($r['pid'] !== $pid && $r['served'] === 1, 'a new process serves the next call');
$pid = $r['pid'];

// A crash (exit without answering) fails the call in flight.
try {
    MultiWorker::run('warm_sdk', ['exit' => 7]);
} catch (WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump($e->getExitCode(), $e->getSignal());
}
mv_check(!mv_alive($pid), 'the crashed process is gone');
$r = MultiWorker::run('warm_sdk');
mv_check($r['pid'] !== $pid && $r['served'] === 1, 'replaced');
$pid = $r['pid'];

// So does SIGSEGV.
try {
    MultiWorker::run('warm_sdk', ['segv' => true]);
} catch (WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump($e->getExitCode(), $e->getSignal());
}
$r = MultiWorker::run('warm_sdk');
mv_check($r['pid'] !== $pid && $r['served'] === 1, 'replaced');

// Failures in a batch stay with their calls; the others are served.
MultiWorker::configure(['warm' => ['warm_sdk' => ['processes' => 2]]]);
try {
    MultiWorker::runMany(['ok' => ['warm_sdk', []], 'crash' => ['warm_sdk', ['exit' => 3]]], 2);
} catch (WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump(array_keys($e->getErrors()));
}
var_dump(count(MultiWorker::runMany(array_fill(0, 4, ['warm_sdk', []]), 2)));
?>
--EXPECTF--
Multiverse\TimeoutException: worker 'warm_sdk' timed out after 1 s (process tree killed)
float(1)
ok - the grandchild had started
ok - the warm process and its setsid grandchild are gone
ok - a new process serves the next call
Multiverse\WorkerException: worker 'warm_sdk' exited with code 7 (warm process replaced)
int(7)
NULL
ok - the crashed process is gone
ok - replaced
Multiverse\WorkerException: worker 'warm_sdk' was killed by signal 11 (SIGSEGV) (warm process replaced)
NULL
int(11)
ok - replaced
Multiverse\WorkerException: worker 'warm_sdk' exited with code 3 (warm process replaced)
array(1) {
  [0]=>
  string(5) "crash"
}
int(4)
