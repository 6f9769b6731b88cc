--TEST--
progress: an exception from the callable stops MultiWorker::runMany: every worker tree killed, none left in the registry
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();

$pidfile = mv_tmp('tree');
$t = microtime(true);
try {
    MultiWorker::runMany([
        'quick' => ['value', ['value' => 1]],
        'tree' => ['tree', ['pidfile' => $pidfile]],
    ], progress: function (int $done, int $total) use ($pidfile) {
        // The tree is up before the callable gives up.
        mv_wait_file($pidfile);
        throw new LogicException("stop at $done/$total");
    });
} catch (LogicException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
mv_check(microtime(true) - $t < 15, 'stopped at once');
$pids = mv_read_pids($pidfile);
mv_check(count($pids) === 4, 'the worker had started a tree of 4');
mv_check(mv_survivors($pids, 2.0) === [], 'no process of the tree survives');
mv_check(MultiWorker::running() === [], 'nothing left in the registry');
var_dump(MultiWorker::run('value', ['value' => 'next']));
@unlink($pidfile);
?>
--EXPECT--
LogicException: stop at 1/2
ok - stopped at once
ok - the worker had started a tree of 4
ok - no process of the tree survives
ok - nothing left in the registry
string(4) "next"
