--TEST--
Hosting: a worker file that is a symlink to a program outside open_basedir is refused with WorkerException DISABLED (symlinks resolved as PHP does)
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\WorkerException;

$base = mv_basedir_dirs();
mv_mark_worker("$base/out", 'real');
mkdir("$base/in/escape");
symlink("$base/out/real/main", "$base/in/escape/main");
$mark = "$base/in/ran";
mv_setup(['workers_path' => "$base/in", 'env' => ['MARK' => $mark]]);
var_dump(MultiWorker::run('escape'), file_exists($mark));   // without open_basedir it runs
unlink($mark);
mv_open_basedir($base);

$e = mv_outcome('run', fn() => MultiWorker::run('escape'));
mv_check($e instanceof WorkerException && $e->getCode() === WorkerException::DISABLED && $e->getDriver() === 'exec',
    'code DISABLED, driver exec');
usleep(300000);
mv_check(!file_exists($mark) && mv_children() === [], 'the worker did not run');
mv_basedir_cleanup($base);
?>
--EXPECTF--
array(0) {
}
bool(true)
run: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::run(): worker 'escape': its file '%s/in/escape/main' is outside open_basedir (%s)
ok - code DISABLED, driver exec
ok - the worker did not run
