--TEST--
A batch's concurrency limit ends with it: later calls on the same loop (MultiWorker's, with its warm pools; a ProcessManager's) are not held back by it, also after a batch a signal handler ended
--EXTENSIONS--
pcntl
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\Process;
use Multiverse\ProcessManager;
mv_setup();
pcntl_async_signals(true);

// Three calls that each wait until all three have started: they overlap
// only if nothing holds any of them back.
function all_at_once(): int
{
    $dir = mv_tmpdir('barrier');
    $calls = array_fill(0, 3, ['value', ['times' => true, 'barrier' => ['dir' => $dir, 'count' => 3]]]);
    $n = mv_overlaps(MultiWorker::runMany($calls, 3));
    mv_rmdir($dir);
    return $n;
}

// One at a time, warm calls included (the loop keeps their pool).
var_dump(MultiWorker::runMany([['quick'], ['warm_echo', ['n' => 1]], ['quick'], ['warm_echo', ['n' => 2]]], 1)[3]['payload']);
var_dump(all_at_once());
var_dump(MultiWorker::run('quick'));

// A batch a signal handler ended while calls waited for their turn.
pcntl_signal(SIGALRM, function () { throw new RuntimeException('interrupted by SIGALRM'); });
pcntl_alarm(1);
try {
    MultiWorker::runMany(array_fill(0, 3, ['value', ['sleep' => 5]]), 1);
} catch (RuntimeException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
var_dump(all_at_once());

// A manager's loop: a later run() that needs no limit of its own.
$m = new ProcessManager();
$m->add(fn() => 1);
$m->add(fn() => 2);
var_dump($m->run(1));
$dir = mv_tmpdir('barrier');
for ($i = 0; $i < 3; $i++) $m->add(mv_barrier_task($dir, 3));
var_dump(mv_overlaps(array_slice($m->run(5), 2)));
mv_rmdir($dir);

// The same after a run() a signal handler ended: the first process was
// killed, the two waiting for their turn never started; the next run()
// starts them together.
$m = new ProcessManager();
$dir = mv_tmpdir('barrier');
$procs = [];
for ($i = 0; $i < 3; $i++) $procs[] = $m->add(mv_barrier_task($dir, 3));
pcntl_alarm(1);
try {
    $m->run(1);
} catch (RuntimeException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
var_dump($procs[1]->isRunning(), $procs[1]->getExitCode(), $m->getRunningCount());
try {
    $m->run(3);
} catch (Multiverse\WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump(array_keys($e->getErrors()));
}
var_dump(mv_overlaps([$procs[1]->getOutput(), $procs[2]->getOutput()]));
mv_rmdir($dir);
mv_check(mv_zombies() === 0 && mv_children() === [], 'no child left');
?>
--EXPECT--
array(1) {
  ["n"]=>
  int(2)
}
int(3)
array(1) {
  ["ok"]=>
  bool(true)
}
RuntimeException: interrupted by SIGALRM
int(3)
array(2) {
  [0]=>
  int(1)
  [1]=>
  int(2)
}
int(3)
RuntimeException: interrupted by SIGALRM
bool(false)
NULL
int(0)
Multiverse\WorkerException: task 'closure' was canceled (process tree killed)
array(1) {
  [0]=>
  int(0)
}
int(2)
ok - no child left
