--TEST--
progress: the callable may make calls of its own (MultiWorker::run inside runMany's callable, on the same loop)
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\Process;
mv_setup();

$seen = [];
$r = MultiWorker::runMany([
    'a' => ['value', ['value' => 1, 'sleep' => 0.1]],
    'b' => ['value', ['value' => 2, 'sleep' => 0.3]],
    'c' => ['value', ['value' => 3]],
], 2, progress: function (int $done, int $total) use (&$seen) {
    $seen[] = [$done, MultiWorker::run('value', ['value' => "nested $done"])];
});
var_dump($r);
mv_check(end($seen)[0] === 3, 'told up to 3/3');
mv_check(array_filter($seen, fn($s) => $s[1] !== "nested $s[0]") === [], 'every nested call returned its own value');

$seen = [];
$r = Process::map([1, 2, 3, 4], fn($x) => $x + 1, 2, progress: function (int $done, int $total) use (&$seen) {
    $seen[] = Process::run([fn() => "inner $done"])[0];
});
var_dump($r, end($seen));
mv_check(mv_zombies() === 0 && mv_children() === [], 'no child left');
?>
--EXPECT--
array(3) {
  ["a"]=>
  int(1)
  ["b"]=>
  int(2)
  ["c"]=>
  int(3)
}
ok - told up to 3/3
ok - every nested call returned its own value
array(4) {
  [0]=>
  int(2)
  [1]=>
  int(3)
  [2]=>
  int(4)
  [3]=>
  int(5)
}
string(7) "inner 4"
ok - no child left
