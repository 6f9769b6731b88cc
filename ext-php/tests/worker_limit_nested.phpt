--TEST--
MultiWorker::run() in a signal handler while runMany() waits: the call shares the batch's loop and queue, waits its turn, returns, and the batch's limit holds throughout
--EXTENSIONS--
pcntl
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();
pcntl_async_signals(true);

$log = mv_tmp('turns');
$inner = null;
pcntl_signal(SIGALRM, function () use ($log, &$inner) {
    $inner = MultiWorker::run('turns', ['log' => $log, 'id' => 'inner']);
});
pcntl_alarm(1);
$calls = [];
foreach (['a', 'b', 'c'] as $id) $calls[$id] = ['turns', ['log' => $log, 'id' => $id, 'sleep' => 0.6]];
$r = MultiWorker::runMany($calls, 1);
echo implode(' ', $r), "\n";
var_dump($inner);
echo mv_turns($log, ['a', 'b', 'c']), "\n";
mv_check(mv_turns_most($log) === 1, "one at a time, the handler's call included");
unlink($log);

// The loop's limit is gone with the batch: two calls run together.
$dir = mv_tmpdir('barrier');
$calls = array_fill(0, 2, ['value', ['times' => true, 'barrier' => ['dir' => $dir, 'count' => 2]]]);
var_dump(mv_overlaps(MultiWorker::runMany($calls, 2)));
mv_rmdir($dir);
?>
--EXPECT--
a b c
string(5) "inner"
start a, end a, start b, end b, start c, end c
ok - one at a time, the handler's call included
int(2)
