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
function overlaps(array $times): int
{
    $best = 0;
    foreach ($times as [$s]) {
        $n = 0;
        foreach ($times as [$s2, $e2]) if ($s2 <= $s && $s < $e2) $n++;
        $best = max($best, $n);
    }
    return $best;
}
$task = function () { $s = microtime(true); usleep(300000); return [$s, microtime(true)]; };
foreach ([1, 2, 4] as $limit) {
    $m = new ProcessManager();
    for ($i = 0; $i < 4; $i++) $m->add($task);
    var_dump(overlaps($m->run($limit)));
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
