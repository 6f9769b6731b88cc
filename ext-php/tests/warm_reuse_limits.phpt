--TEST--
Warm workers (Python SDK): reuse within a request, logs on stdout, max_requests, idle_timeout
--SKIPIF--
<?php
if (!is_file(__DIR__ . '/../../ext-python/multiverse/worker.py')) die('skip needs the Python SDK (ext-python/)');
?>
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\WorkerException;
mv_setup();
mv_use_sdk();

// Reuse: one process serves every call (multiverse.json: 1 process).
$r = [];
for ($i = 0; $i < 4; $i++) $r[] = MultiWorker::run('warm_sdk', ['i' => $i]);
mv_check(count(array_unique(array_column($r, 'pid'))) === 1, 'one process served the four calls');
var_dump(array_column($r, 'served'), $r[3]['echo']);
$pid = $r[0]['pid'];
$list = mv_wait_state('warm_sdk', 'idle');
mv_check(count($list) === 1 && $list[0]['pid'] === $pid && $list[0]['kind'] === 'warm',
         'running(): the process, kind warm, state idle');

// What the worker prints on stdout is log output, never the result.
$r = MultiWorker::run('warm_sdk', ['noise' => true]);
mv_check($r['pid'] === $pid && $r['served'] === 5, 'the result survives JSON-looking prints');
try {
    MultiWorker::run('warm_sdk', ['noise' => true, 'fail' => 'bad input']);
} catch (WorkerException $e) {
    echo $e->getMessage(), "\n";
    var_dump($e->getRemoteType(), $e->getOutput());
}
mv_check(MultiWorker::run('warm_sdk')['pid'] === $pid, 'a raised exception fails only that call');

// max_requests: a process serves M calls, then a new one takes over.
MultiWorker::configure(['warm' => ['warm_sdk' => ['max_requests' => 2]]]);
$pids = [];
for ($i = 0; $i < 5; $i++) $pids[] = MultiWorker::run('warm_sdk')['pid'];
mv_check($pids[0] !== $pid && !mv_alive($pid), 'other settings: the old pool was retired');
mv_check($pids[0] === $pids[1] && $pids[2] === $pids[3] && $pids[1] !== $pids[2]
         && $pids[3] !== $pids[4], 'a new process every 2 calls');
mv_check(mv_gone($pids[0]) && mv_gone($pids[2]), 'retired processes exit');

// idle_timeout: the supervisor ends an idle process though nobody runs
// the loop meanwhile; the next call starts a new one.
MultiWorker::configure(['warm' => ['warm_sdk' => ['idle_timeout' => 1.0]]]);
$a = MultiWorker::run('warm_sdk')['pid'];
usleep(200000);
$b = MultiWorker::run('warm_sdk')['pid'];
mv_check($a === $b && mv_alive($a), 'busy enough: kept');
mv_check(mv_gone($a, 5.0), 'ended after idle_timeout');
var_dump(mv_wait_none('warm_sdk'));
$c = MultiWorker::run('warm_sdk');
mv_check($c['pid'] !== $a && $c['served'] === 1, 'a new process after the idle end');
?>
--EXPECTF--
ok - one process served the four calls
array(4) {
  [0]=>
  int(1)
  [1]=>
  int(2)
  [2]=>
  int(3)
  [3]=>
  int(4)
}
array(1) {
  ["i"]=>
  int(3)
}
ok - running(): the process, kind warm, state idle
ok - the result survives JSON-looking prints
warm worker 'warm_sdk' failed: ValueError: bad input
string(10) "ValueError"
string(35) "{"pid": 0, "served": -1}
[1, 2,
}}}"
ok - a raised exception fails only that call
ok - other settings: the old pool was retired
ok - a new process every 2 calls
ok - retired processes exit
ok - busy enough: kept
ok - ended after idle_timeout
array(0) {
}
ok - a new process after the idle end
