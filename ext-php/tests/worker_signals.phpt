--TEST--
MultiWorker::run(): pcntl signal handlers run while waiting; one that throws ends the call and kills the tree
--EXTENSIONS--
pcntl
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();
pcntl_async_signals(true);

// A handler that returns: the wait goes on and the result arrives.
$ticks = 0;
pcntl_signal(SIGALRM, function () use (&$ticks) { $ticks++; });
pcntl_alarm(1);
var_dump(MultiWorker::run('value', ['value' => 'finished', 'sleep' => 1.5]));
var_dump($ticks);

// A handler that throws: the tree is killed and the exception goes on.
pcntl_signal(SIGALRM, function () { throw new RuntimeException('interrupted by SIGALRM'); });
$pidfile = mv_tmp('tree');
pcntl_alarm(2);
$t = microtime(true);
try {
    MultiWorker::run('tree', ['pidfile' => $pidfile]);
} catch (RuntimeException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
mv_check(microtime(true) - $t < 6, 'the call ended soon after the signal');
$pids = mv_read_pids($pidfile, 0);
mv_check(count($pids) === 4 && mv_survivors($pids) === [], 'the tree of 4 is gone');
var_dump(MultiWorker::running());
@unlink($pidfile);

// Same for a batch of forks.
pcntl_alarm(1);
try {
    Multiverse\Process::run([fn() => sleep(30), fn() => sleep(30)]);
} catch (RuntimeException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
mv_check(mv_zombies() === 0 && mv_children() === [], 'no child left');
?>
--EXPECT--
string(8) "finished"
int(1)
RuntimeException: interrupted by SIGALRM
ok - the call ended soon after the signal
ok - the tree of 4 is gone
array(0) {
}
RuntimeException: interrupted by SIGALRM
ok - no child left
