--TEST--
Hosting: proc_open in disable_functions stops MultiWorker::run/runMany with WorkerException DISABLED before any worker starts; forks are not affected
--INI--
disable_functions=exec,proc_open,shell_exec
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\Process;
use Multiverse\WorkerException;
mv_setup();

$marker = mv_tmp('marker');
$e = mv_outcome('run', fn() => MultiWorker::run('marker', ['path' => $marker]));
mv_check($e instanceof WorkerException && $e->getCode() === WorkerException::DISABLED, 'run(): code DISABLED');
mv_outcome('runMany', fn() => MultiWorker::runMany(['a' => ['marker', ['path' => $marker]]]));
// Whatever the calls: the server's rule comes first, even with none.
mv_outcome('runMany([])', fn() => MultiWorker::runMany([]));
usleep(300000);
mv_check(!file_exists($marker), 'the worker never ran');
mv_check(mv_children() === [] && MultiWorker::running() === [], 'no process was started');

// Forking this process is what pcntl_fork does, not proc_open: allowed.
var_dump(Process::map([1, 2], fn($x) => $x * 10));
?>
--EXPECTF--
run: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::run(): cannot start worker processes: proc_open is disabled by the disable_functions directive of this server
ok - run(): code DISABLED
runMany: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::runMany(): cannot start worker processes: proc_open is disabled by the disable_functions directive of this server
runMany([]): Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::runMany(): cannot start worker processes: proc_open is disabled by the disable_functions directive of this server
ok - the worker never ran
ok - no process was started
array(2) {
  [0]=>
  int(10)
  [1]=>
  int(20)
}
