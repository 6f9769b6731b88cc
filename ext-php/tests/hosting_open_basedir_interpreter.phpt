--TEST--
Hosting: a worker whose interpreter is outside open_basedir is refused with WorkerException DISABLED naming it; a batch holding one starts nothing
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\WorkerException;

$base = mv_basedir_dirs();
mv_mark_worker("$base/in", 'mark');
copy(__DIR__ . '/workers/marker.py', "$base/in/pymark.py");
$mark = "$base/in/ran";
$pymark = "$base/in/py-ran";
mv_setup(['workers_path' => "$base/in", 'env' => ['MARK' => $mark]]);
// /usr/bin/python3 is outside.
mv_open_basedir($base);

$e = mv_outcome('run', fn() => MultiWorker::run('pymark', ['path' => $pymark]));
mv_check($e instanceof WorkerException && $e->getCode() === WorkerException::DISABLED
    && $e->getDriver() === 'python' && $e->getWorkerName() === 'pymark', 'code DISABLED, driver and worker named');
// One call refused: none of the batch starts, not even the allowed one.
mv_outcome('runMany', fn() => MultiWorker::runMany(['a' => ['mark'], 'b' => ['pymark', ['path' => $pymark]]]));
usleep(300000);
mv_check(!file_exists($mark) && !file_exists($pymark) && mv_children() === [], 'no worker ran');
// An executable `main` inside open_basedir runs.
var_dump(MultiWorker::run('mark'), file_exists($mark));
mv_basedir_cleanup($base);
?>
--EXPECTF--
run: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::run(): worker 'pymark': the python interpreter '/usr/bin/python3' is outside open_basedir (%s)
ok - code DISABLED, driver and worker named
runMany: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::runMany(): worker 'pymark': the python interpreter '/usr/bin/python3' is outside open_basedir (%s)
ok - no worker ran
array(0) {
}
bool(true)
