--TEST--
Hosting: a workers_path outside open_basedir is refused with WorkerException DISABLED naming open_basedir, before any worker starts
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\WorkerException;

$base = mv_basedir_dirs();
mv_mark_worker("$base/out", 'mark');
mv_mark_worker("$base/in", 'mark');
$mark = "$base/in/ran";
mv_setup(['workers_path' => "$base/out", 'env' => ['MARK' => $mark]]);
mv_open_basedir($base);

$e = mv_outcome('run', fn() => MultiWorker::run('mark'));
mv_check($e instanceof WorkerException && $e->getCode() === WorkerException::DISABLED, 'code DISABLED');
mv_outcome('runMany', fn() => MultiWorker::runMany([['mark'], ['mark']]));
usleep(300000);
mv_check(!file_exists($mark) && mv_children() === [], 'no worker ran');

// The same worker inside open_basedir runs.
MultiWorker::configure(['workers_path' => "$base/in"]);
var_dump(MultiWorker::run('mark'), file_exists($mark));
mv_basedir_cleanup($base);
?>
--EXPECTF--
run: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::run(): workers_path '%s/out' is outside open_basedir (%s)
ok - code DISABLED
runMany: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::runMany(): workers_path '%s/out' is outside open_basedir (%s)
ok - no worker ran
array(0) {
}
bool(true)
