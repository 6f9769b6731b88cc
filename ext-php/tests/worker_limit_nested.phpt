--TEST--
MultiWorker::run() in a signal handler while runMany() waits: the call starts at once beside the batch (it does not wait behind the batch's queue), returns, and the batch's limit still holds its own calls
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
// The alarm rings 1 s in, while a or b runs (each sleeps 0.6 s, one at a
// time): the handler's call starts before b has ended.
$turns = explode(', ', mv_turns($log));
mv_check(array_search('start inner', $turns, true) < array_search('end b', $turns, true),
         "the handler's call did not wait for the batch's queue");
mv_check(mv_turns_most($log) === 2, "the batch's own calls one at a time, the handler's beside them");
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
ok - the handler's call did not wait for the batch's queue
ok - the batch's own calls one at a time, the handler's beside them
int(2)
