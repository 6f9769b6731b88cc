--TEST--
Hosting: multiverse.allow_fork=0 (PHP_INI_SYSTEM) stops the Process family with WorkerException DISABLED before any child starts; a script cannot turn it back on
--INI--
multiverse.allow_fork=0
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\ForkProcess;
use Multiverse\MultiWorker;
use Multiverse\Process;
use Multiverse\WorkerException;
mv_setup();

var_dump(ini_set('multiverse.allow_fork', '1'), ini_get('multiverse.allow_fork'));
$dir = mv_tmpdir('forks');
$mark = fn($x = 0) => touch("$dir/" . getmypid()) ? $x : $x;
$e = mv_outcome('Process::map', fn() => Process::map([1, 2, 3], $mark));
mv_check($e instanceof WorkerException && $e->getCode() === WorkerException::DISABLED
    && $e->getDriver() === 'fork', 'code DISABLED, driver fork');
mv_outcome('Process::fork', fn() => Process::fork($mark));
mv_outcome('ForkProcess::wait', fn() => (new ForkProcess($mark))->wait());
usleep(300000);
mv_check(glob("$dir/*") === [] && mv_children() === [], 'no child was started');
var_dump(Process::isSupported());
var_dump(MultiWorker::run('value', ['value' => 'workers still run']));
mv_rmdir($dir);
?>
--EXPECT--
bool(false)
string(1) "0"
Process::map: Multiverse\WorkerException [DISABLED] Multiverse\Process::map(): cannot fork: forking is turned off on this server (multiverse.allow_fork=0)
ok - code DISABLED, driver fork
Process::fork: Multiverse\WorkerException [DISABLED] Multiverse\Process::fork(): cannot fork: forking is turned off on this server (multiverse.allow_fork=0)
ForkProcess::wait: Multiverse\WorkerException [DISABLED] Multiverse\ForkProcess::wait(): cannot fork: forking is turned off on this server (multiverse.allow_fork=0)
ok - no child was started
bool(false)
string(17) "workers still run"
