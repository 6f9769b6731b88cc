--TEST--
ProcessManager: add, run (order, concurrency, timeout), wait, getRunningCount, hasRunning, killAll
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\ForkProcess;
use Multiverse\Process;
use Multiverse\ProcessManager;
use Multiverse\TimeoutException;
use Multiverse\TaskException;
mv_setup();

$m = Process::manager();
var_dump($m instanceof ProcessManager, $m->getRunningCount(), $m->hasRunning(), $m->run(), $m->wait());

// Results in add() order, whatever finishes first.
$procs = [];
foreach ([0.3, 0.0, 0.15] as $i => $delay) {
    $procs[] = $m->add(function ($i, $delay) { usleep((int)($delay * 1e6)); return "task $i"; }, [$i, $delay]);
}
var_dump($procs[0] instanceof ForkProcess, $procs[0]->isRunning(), $m->getRunningCount());
var_dump($m->run());
var_dump($procs[1]->getOutput(), $procs[2]->getExitCode(), $m->hasRunning());
// Nothing left to start: run() and wait() return the same results again.
var_dump(count($m->run()), count($m->wait()));

// Concurrency limit.
foreach ([1, 2, 4] as $limit) {
    $dir = mv_tmpdir('barrier');
    $m = new ProcessManager();
    for ($i = 0; $i < 4; $i++) $m->add(mv_barrier_task($dir, $limit));
    var_dump(mv_overlaps($m->run($limit)));
    mv_rmdir($dir);
}

// Processes started by hand: counted, waited for by wait().
$m = new ProcessManager();
$a = $m->add(fn() => usleep(400000) ?? 'a');
$b = $m->add(fn() => 'b');
$never = $m->add(fn() => 'never started');
$a->start();
$b->start();
var_dump($m->getRunningCount() >= 1, $m->hasRunning());
var_dump($m->wait());
var_dump($m->getRunningCount(), $m->hasRunning(), $never->isRunning());

// killAll(): every running process with its tree.
$m = new ProcessManager();
$pidfile = mv_tmp('tree');
$m->add(function () use ($pidfile) {
    $p = proc_open(['/usr/bin/python3', __DIR__ . '/workers/tree/main.py'], [0 => ['pipe', 'r']], $pipes);
    fwrite($pipes[0], json_encode(['pidfile' => $pidfile]));
    fclose($pipes[0]);
    sleep(60);
})->start();
$m->add(fn() => sleep(60))->start();
$pids = mv_read_pids($pidfile);
var_dump($m->getRunningCount());
$m->killAll();
try {
    $m->wait();
} catch (Multiverse\WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump(array_keys($e->getErrors()));
}
mv_check(mv_survivors($pids) === [], 'killAll(): no process of the tree survives');
var_dump($m->getRunningCount());
@unlink($pidfile);

// run() with a per-task timeout; failures after all ended, by add() order.
$m = new ProcessManager();
$m->add(fn() => 'ok');
$m->add(fn() => sleep(30));
$m->add(fn() => throw new LengthException('too long'));
$t = microtime(true);
try {
    $m->run(2, 0.5);
} catch (TimeoutException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    foreach ($e->getErrors() as $k => $err) echo "$k: ", get_class($err), "\n";
}
mv_check(microtime(true) - $t < 5, 'the timeout applied');

foreach ([fn() => (new ProcessManager)->run(-1), fn() => (new ProcessManager)->run(1, -1.0),
          fn() => (new ProcessManager)->killAll(99), fn() => (new ProcessManager)->add('nope')] as $f) {
    try {
        $f();
    } catch (Throwable $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
}
// A manager freed with running processes kills them.
$m = new ProcessManager();
$p = $m->add(fn() => sleep(60));
$p->start();
$pid = $p->getPid();
unset($m, $p);
mv_check(mv_survivors([$pid]) === [], 'freed manager: child killed');
mv_check(mv_children() === [], 'no child left');
?>
--EXPECT--
bool(true)
int(0)
bool(false)
array(0) {
}
array(0) {
}
bool(true)
bool(false)
int(0)
array(3) {
  [0]=>
  string(6) "task 0"
  [1]=>
  string(6) "task 1"
  [2]=>
  string(6) "task 2"
}
string(6) "task 1"
int(0)
bool(false)
int(3)
int(3)
int(1)
int(2)
int(4)
bool(true)
bool(true)
array(2) {
  [0]=>
  string(1) "a"
  [1]=>
  string(1) "b"
}
int(0)
bool(false)
bool(false)
int(2)
Multiverse\WorkerException: task 'closure' was canceled (process tree killed)
array(2) {
  [0]=>
  int(0)
  [1]=>
  int(1)
}
ok - killAll(): no process of the tree survives
int(0)
Multiverse\TimeoutException: task 'closure' timed out after 0.5 s (process tree killed)
1: Multiverse\TimeoutException
2: Multiverse\TaskException
ok - the timeout applied
ValueError: Multiverse\ProcessManager::run(): Argument #1 ($maxConcurrent) must be >= 0 (0 = number of CPU cores), got -1
ValueError: Multiverse\ProcessManager::run(): Argument #2 ($timeout) must be a finite number of seconds >= 0, got a negative number
ValueError: Multiverse\ProcessManager::killAll(): Argument #1 ($signal) must be a signal number between 1 and 64, got 99
TypeError: Multiverse\ProcessManager::add(): Argument #1 ($fn) must be a valid callback, function "nope" not found or invalid function name
ok - freed manager: child killed
ok - no child left
