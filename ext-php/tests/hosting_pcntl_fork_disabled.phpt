--TEST--
Hosting: pcntl_fork in disable_functions stops every fork of the Process family with WorkerException DISABLED before any child starts; workers are not affected
--INI--
disable_functions=pcntl_fork
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\ForkProcess;
use Multiverse\MultiWorker;
use Multiverse\Process;
use Multiverse\ProcessPool;
use Multiverse\WorkerException;
mv_setup();

$dir = mv_tmpdir('forks');
// Each closure leaves a file behind if it ever runs.
$mark = fn($x = 0) => touch("$dir/" . getmypid()) ? $x : $x;

$calls = [
    'Process::run' => fn() => Process::run(['a' => $mark]),
    'Process::map' => fn() => Process::map([1, 2], $mark),
    'Process::filter' => fn() => Process::filter([1, 2], $mark),
    'Process::reduce' => fn() => Process::reduce([1, 2], fn($c, $x) => $mark($x)),
    'Process::fork' => fn() => Process::fork($mark),
    'ForkProcess::start' => fn() => (new ForkProcess($mark))->start(),
    'ForkProcess::getOutput' => fn() => (new ForkProcess($mark))->getOutput(),
    'ProcessManager::run' => function () use ($mark) {
        $m = Process::manager();
        $m->add($mark);
        return $m->run();
    },
    'ProcessPool::map' => fn() => (new ProcessPool(2))->map([1, 2], $mark),
    'Process::pool()->reduce' => fn() => Process::pool(2)->reduce([1, 2], fn($c, $x) => $mark($x)),
];
$codes = [];
foreach ($calls as $label => $call) {
    $e = mv_outcome($label, $call);
    $codes[] = $e instanceof WorkerException ? $e->getCode() : null;
}
mv_check(array_unique($codes) === [WorkerException::DISABLED], 'every one: code DISABLED');
// Process::map([]) forks nothing either way, but the rule does not depend on the input.
mv_outcome('Process::map([])', fn() => Process::map([], $mark));
usleep(300000);
mv_check(glob("$dir/*") === [], 'no closure ever ran');
mv_check(mv_children() === [], 'no child was started');
var_dump(Process::isSupported());

// Starting a worker is what proc_open does: allowed.
var_dump(MultiWorker::run('value', ['value' => 'worker ran']));
mv_rmdir($dir);
?>
--EXPECTF--
Process::run: Multiverse\WorkerException [DISABLED] Multiverse\Process::run(): cannot fork: pcntl_fork is disabled by the disable_functions directive of this server
Process::map: Multiverse\WorkerException [DISABLED] Multiverse\Process::map(): cannot fork: pcntl_fork is disabled by the disable_functions directive of this server
Process::filter: Multiverse\WorkerException [DISABLED] Multiverse\Process::filter(): cannot fork: pcntl_fork is disabled by the disable_functions directive of this server
Process::reduce: Multiverse\WorkerException [DISABLED] Multiverse\Process::reduce(): cannot fork: pcntl_fork is disabled by the disable_functions directive of this server
Process::fork: Multiverse\WorkerException [DISABLED] Multiverse\Process::fork(): cannot fork: pcntl_fork is disabled by the disable_functions directive of this server
ForkProcess::start: Multiverse\WorkerException [DISABLED] Multiverse\ForkProcess::start(): cannot fork: pcntl_fork is disabled by the disable_functions directive of this server
ForkProcess::getOutput: Multiverse\WorkerException [DISABLED] Multiverse\ForkProcess::getOutput(): cannot fork: pcntl_fork is disabled by the disable_functions directive of this server
ProcessManager::run: Multiverse\WorkerException [DISABLED] Multiverse\ProcessManager::run(): cannot fork: pcntl_fork is disabled by the disable_functions directive of this server
ProcessPool::map: Multiverse\WorkerException [DISABLED] Multiverse\ProcessPool::map(): cannot fork: pcntl_fork is disabled by the disable_functions directive of this server
Process::pool()->reduce: Multiverse\WorkerException [DISABLED] Multiverse\ProcessPool::reduce(): cannot fork: pcntl_fork is disabled by the disable_functions directive of this server
ok - every one: code DISABLED
Process::map([]): Multiverse\WorkerException [DISABLED] Multiverse\Process::map(): cannot fork: pcntl_fork is disabled by the disable_functions directive of this server
ok - no closure ever ran
ok - no child was started
bool(false)
string(10) "worker ran"
