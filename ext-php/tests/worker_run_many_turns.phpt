--TEST--
MultiWorker::runMany(): calls beyond $concurrency, cold and warm alike, wait in one queue and start in key order, each when a slot frees; never more than $concurrency at once
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();

// 'hold' keeps one of the two slots until the four others have ended, so
// they take turns in the other one: each starts once the one before it has
// ended, in key order, whether it is a cold worker or a warm worker's call.
$log = mv_tmp('turns');
$call = fn(string $worker, string $id, array $more = []) => [$worker, ['log' => $log, 'id' => $id] + $more];
$r = MultiWorker::runMany([
    'hold' => $call('turns', 'hold', ['until_ends' => 4]),
    'a' => $call('turns', 'a'),
    'b' => $call('warm_turns', 'b'),
    'c' => $call('turns', 'c'),
    'd' => $call('warm_turns', 'd'),
], 2);
echo implode(' ', array_keys($r)), ' => ', implode(' ', $r), "\n";
echo mv_turns($log, ['a', 'b', 'c', 'd']), "\n";
mv_check(str_ends_with(mv_turns($log), 'end hold'), "'hold' ended last, after the others");
mv_check(mv_turns_most($log) <= 2, 'never more than 2 at once');
unlink($log);

// Five equal calls, two slots: never more than two at once.
$r = MultiWorker::runMany(array_map(fn($id) => $call('turns', $id), ['v' => 'v', 'w' => 'w', 'x' => 'x', 'y' => 'y', 'z' => 'z']), 2);
echo implode(' ', $r), "\n";
mv_check(mv_turns_most($log) <= 2, 'never more than 2 at once');
mv_check(substr_count(mv_turns($log), 'end ') === 5, 'all five ran');
unlink($log);
?>
--EXPECT--
hold a b c d => hold a b c d
start a, end a, start b, end b, start c, end c, start d, end d
ok - 'hold' ended last, after the others
ok - never more than 2 at once
v w x y z
ok - never more than 2 at once
ok - all five ran
