--TEST--
ForkProcess and Process::fork(): start, isRunning, wait, getPid, getExitCode, kill, getOutput
--EXTENSIONS--
pcntl
posix
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\ForkProcess;
use Multiverse\Process;
use Multiverse\TaskException;
use Multiverse\TimeoutException;
use Multiverse\WorkerException;
mv_setup();

// Not started until start().
$p = new ForkProcess(fn($a, $b) => $a . '-' . $b . '-' . getmypid(), ['x', 'y']);
var_dump($p->isRunning(), $p->getPid(), $p->getExitCode());
var_dump($p->start(), $p->start());
$pid = $p->getPid();
mv_check(is_int($pid) && $pid !== getmypid(), 'getPid() is the child');
var_dump($p->wait(), $p->getExitCode(), $p->isRunning());
var_dump($p->getOutput() === "x-y-$pid", $p->getOutput() === "x-y-$pid", $p->getPid() === $pid);

// Process::fork() returns a started process; named arguments work.
$p = Process::fork(fn(int $n, string $unit = 's') => "$n$unit", ['n' => 5, 'unit' => 'ms']);
var_dump($p->getOutput());
$p = Process::fork('str_repeat', ['ab', 3]);
var_dump($p->wait(), $p->getOutput());

// isRunning() follows the child; running() lists it as 'closure'.
$p = Process::fork(function () { usleep(300000); return 'late'; });
var_dump($p->isRunning());
// (the supervisor records it just after the child starts)
for ($i = 0; $i < 100 && !Multiverse\MultiWorker::running(); $i++) usleep(2000);
var_dump(array_column(Multiverse\MultiWorker::running(), 'worker'));
var_dump($p->getOutput(), $p->isRunning());

// Exit codes: 255 for an exception, exit()'s status, 128 + signal.
$p = Process::fork(fn() => throw new RuntimeException('thrown'));
var_dump($p->wait(), $p->getExitCode());
try {
    $p->getOutput();
} catch (TaskException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
$p = Process::fork(function () { exit(7); });
var_dump($p->wait(), $p->getExitCode());
$p = Process::fork(fn() => posix_kill(getmypid(), SIGKILL));
var_dump($p->wait(), $p->getExitCode());

// wait() with a timeout: TimeoutException, the whole tree is killed.
$pidfile = mv_tmp('tree');
$tree = function () use ($pidfile) {
    $p = proc_open(['/usr/bin/python3', __DIR__ . '/workers/tree/main.py'], [0 => ['pipe', 'r']], $pipes);
    fwrite($pipes[0], json_encode(['pidfile' => $pidfile]));
    fclose($pipes[0]);
    sleep(60);
};
$p = Process::fork($tree);
$pids = mv_read_pids($pidfile);
$pids[] = $p->getPid();
try {
    $p->wait(0.3);
} catch (TimeoutException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump($e->getTimeout());
}
mv_check(mv_survivors($pids) === [], 'wait() timeout: no process of the tree survives');
var_dump($p->isRunning());
try {
    $p->getOutput();
} catch (TimeoutException $e) {
    echo "getOutput(): ", get_class($e), "\n";
}
@unlink($pidfile);

// kill(): 15 and 9 take the whole tree.
foreach ([SIGTERM, SIGKILL] as $sig) {
    $p = Process::fork($tree);
    $pids = mv_read_pids($pidfile);
    $pids[] = $p->getPid();
    var_dump($p->kill($sig));
    $p->wait();
    mv_check(mv_survivors($pids) === [], "kill($sig): no process of the tree survives");
    var_dump($p->kill($sig), $p->isRunning(), $p->getExitCode());
    try {
        $p->getOutput();
    } catch (WorkerException $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
    @unlink($pidfile);
}
// Other signals go to the child, which may handle them.
$ready = mv_tmp('ready');
$p = Process::fork(function () use ($ready) {
    pcntl_async_signals(true);
    $got = 0;
    pcntl_signal(SIGUSR1, function () use (&$got) { $got++; });
    touch($ready);
    for ($i = 0; $i < 1000 && !$got; $i++) usleep(10000);
    return "got SIGUSR1: $got";
});
mv_wait_file($ready);
unlink($ready);
var_dump($p->kill(SIGUSR1), $p->getOutput());
try {
    $p->kill(0);
} catch (ValueError $e) {
    echo $e->getMessage(), "\n";
}

// Freeing a running ForkProcess kills its tree.
$p = Process::fork($tree);
$pids = mv_read_pids($pidfile);
$pids[] = $p->getPid();
unset($p);
mv_check(mv_survivors($pids) === [], 'freed while running: no process of the tree survives');
@unlink($pidfile);

// wait()/getOutput() start a process that was never started.
$p = new ForkProcess(fn() => 'lazy');
var_dump($p->getOutput());
try {
    new ForkProcess('no_such_function');
} catch (TypeError $e) {
    echo $e->getMessage(), "\n";
}
try {
    clone $p;
} catch (Error $e) {
    echo $e->getMessage(), "\n";
}
try {
    serialize($p);
} catch (Exception $e) {
    echo $e->getMessage(), "\n";
}
mv_check(mv_children() === [], 'no child left');
?>
--EXPECTF--
bool(false)
NULL
NULL
bool(true)
bool(false)
ok - getPid() is the child
int(0)
int(0)
bool(false)
bool(true)
bool(true)
bool(true)
string(3) "5ms"
int(0)
string(6) "ababab"
bool(true)
array(1) {
  [0]=>
  string(7) "closure"
}
string(4) "late"
bool(false)
int(255)
int(255)
Multiverse\TaskException: Closure threw RuntimeException: thrown (at %s:%d)
int(7)
int(7)
int(137)
NULL
Multiverse\TimeoutException: task 'closure' did not finish within the 0.3 s wait() timeout (process tree killed)
float(0.3)
ok - wait() timeout: no process of the tree survives
bool(false)
getOutput(): Multiverse\TimeoutException
bool(true)
ok - kill(15): no process of the tree survives
bool(false)
bool(false)
NULL
Multiverse\WorkerException: task 'closure' was canceled (process tree killed)
bool(true)
ok - kill(9): no process of the tree survives
bool(false)
bool(false)
NULL
Multiverse\WorkerException: task 'closure' was canceled (process tree killed)
bool(true)
string(14) "got SIGUSR1: 1"
Multiverse\ForkProcess::kill(): Argument #1 ($signal) must be a signal number between 1 and 64, got 0
ok - freed while running: no process of the tree survives
string(4) "lazy"
Multiverse\ForkProcess::__construct(): Argument #1 ($fn) must be a valid callback, function "no_such_function" not found or invalid function name
Trying to clone an uncloneable object of class Multiverse\ForkProcess
Serialization of 'Multiverse\ForkProcess' is not allowed
ok - no child left
