--TEST--
Hosting: multiverse.enabled=0 (PHP_INI_SYSTEM) turns the extension off: the classes exist, every entry point throws WorkerException DISABLED naming the setting, nothing starts
--INI--
multiverse.enabled=0
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\ForkProcess;
use Multiverse\MultiWorker;
use Multiverse\Process;
use Multiverse\ProcessPool;
use Multiverse\WorkerException;

var_dump(ini_set('multiverse.enabled', '1'), class_exists(MultiWorker::class), extension_loaded('multiverse'));
$marker = mv_tmp('marker');
$calls = [
    'configure' => fn() => MultiWorker::configure(['workers_path' => __DIR__ . '/workers']),
    'config' => fn() => MultiWorker::config(),
    'run' => fn() => MultiWorker::run('marker', ['path' => $marker]),
    'runMany' => fn() => MultiWorker::runMany([['marker', ['path' => $marker]]]),
    'running' => fn() => MultiWorker::running(),
    'clear' => fn() => MultiWorker::clear(),
    'Process::map' => fn() => Process::map([1], fn() => touch($marker)),
    'Process::run' => fn() => Process::run([fn() => touch($marker)]),
    'Process::fork' => fn() => Process::fork(fn() => touch($marker)),
    'Process::manager' => fn() => Process::manager(),
    'Process::pool' => fn() => Process::pool(),
    'Process::getCpuCores' => fn() => Process::getCpuCores(),
    'new ForkProcess' => fn() => new ForkProcess(fn() => touch($marker)),
    'new ProcessPool' => fn() => new ProcessPool(2),
];
$all = true;
foreach ($calls as $label => $call) {
    $e = mv_outcome($label, $call);
    $all = $all && $e instanceof WorkerException && $e->getCode() === WorkerException::DISABLED;
}
mv_check($all, 'every one: WorkerException DISABLED');
// Asking whether forks work is not an error: the answer is no.
var_dump(Process::isSupported());
usleep(300000);
mv_check(!file_exists($marker) && mv_children() === [], 'nothing ran');
?>
--EXPECT--
bool(false)
bool(true)
bool(true)
configure: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::configure(): multiverse is turned off on this server (multiverse.enabled=0)
config: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::config(): multiverse is turned off on this server (multiverse.enabled=0)
run: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::run(): multiverse is turned off on this server (multiverse.enabled=0)
runMany: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::runMany(): multiverse is turned off on this server (multiverse.enabled=0)
running: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::running(): multiverse is turned off on this server (multiverse.enabled=0)
clear: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::clear(): multiverse is turned off on this server (multiverse.enabled=0)
Process::map: Multiverse\WorkerException [DISABLED] Multiverse\Process::map(): multiverse is turned off on this server (multiverse.enabled=0)
Process::run: Multiverse\WorkerException [DISABLED] Multiverse\Process::run(): multiverse is turned off on this server (multiverse.enabled=0)
Process::fork: Multiverse\WorkerException [DISABLED] Multiverse\Process::fork(): multiverse is turned off on this server (multiverse.enabled=0)
Process::manager: Multiverse\WorkerException [DISABLED] Multiverse\Process::manager(): multiverse is turned off on this server (multiverse.enabled=0)
Process::pool: Multiverse\WorkerException [DISABLED] Multiverse\Process::pool(): multiverse is turned off on this server (multiverse.enabled=0)
Process::getCpuCores: Multiverse\WorkerException [DISABLED] Multiverse\Process::getCpuCores(): multiverse is turned off on this server (multiverse.enabled=0)
new ForkProcess: Multiverse\WorkerException [DISABLED] Multiverse\ForkProcess::__construct(): multiverse is turned off on this server (multiverse.enabled=0)
new ProcessPool: Multiverse\WorkerException [DISABLED] Multiverse\ProcessPool::__construct(): multiverse is turned off on this server (multiverse.enabled=0)
ok - every one: WorkerException DISABLED
bool(false)
ok - nothing ran
