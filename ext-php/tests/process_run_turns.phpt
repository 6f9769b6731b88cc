--TEST--
Process::run() and ProcessManager::run(): forks beyond the limit wait in the loop's queue and start in key / add() order, each when a slot frees; never more than the limit at once
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
use Multiverse\ProcessManager;
mv_setup();

// 'hold' keeps one of the two slots until the four others have ended, so
// they take turns in the other one: each is forked once the one before it
// has ended, in order.
$log = mv_tmp('turns');
$tasks = ['hold' => mv_turn_task($log, 'hold', 4)];
foreach (['a', 'b', 'c', 'd'] as $id) $tasks[$id] = mv_turn_task($log, $id);
$r = Process::run($tasks, 2);
echo implode(' ', array_keys($r)), ' => ', implode(' ', $r), "\n";
echo mv_turns($log, ['a', 'b', 'c', 'd']), "\n";
mv_check(str_ends_with(mv_turns($log), 'end hold'), "'hold' ended last, after the others");
mv_check(mv_turns_most($log) <= 2, 'never more than 2 at once');
unlink($log);

// The same with a manager; a process started by hand before run() holds
// a slot of its own.
$m = new ProcessManager();
$early = $m->add(mv_turn_task($log, 'early', 4));
$early->start();
foreach ($tasks as $id => $task) {
    if ($id !== 'hold') $m->add(mv_turn_task($log, $id));
}
echo implode(' ', $m->run(2)), "\n";
echo mv_turns($log, ['a', 'b', 'c', 'd']), "\n";
mv_check(str_ends_with(mv_turns($log), 'end early'), "'early' ended last, after the others");
mv_check(mv_turns_most($log) <= 2, 'never more than 2 at once');
unlink($log);
mv_check(mv_children() === [], 'no child left');
?>
--EXPECT--
hold a b c d => hold a b c d
start a, end a, start b, end b, start c, end c, start d, end d
ok - 'hold' ended last, after the others
ok - never more than 2 at once
early a b c d
start a, end a, start b, end b, start c, end c, start d, end d
ok - 'early' ended last, after the others
ok - never more than 2 at once
ok - no child left
