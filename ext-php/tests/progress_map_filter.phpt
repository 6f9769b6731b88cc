--TEST--
progress: Process::map/filter count items, a chunk's all at once, up to (total, total); results unchanged
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
mv_setup();

/* The calls of one fan-out: $done grows at every call, $total stays the
 * number of items, the last call says everything ended. */
function calls_ok(array $calls, int $total, int $chunk): bool
{
    $prev = 0;
    foreach ($calls as [$done, $t]) {
        if ($t !== $total || $done <= $prev || $done > $total || $done % $chunk !== 0) return false;
        $prev = $done;
    }
    return $calls !== [] && $prev === $total;
}

$items = ['a' => 1, 'b' => 2, 'c' => 3, 'd' => 4, 'e' => 5, 'f' => 6];
$calls = [];
$r = Process::map($items, fn($x) => $x * 10, 3, progress: function (int $done, int $total) use (&$calls) {
    $calls[] = [$done, $total];
});
var_dump($r);
mv_check(calls_ok($calls, 6, 2), 'map: done grows by whole chunks of 2 up to 6/6');

$calls = [];
$r = Process::filter($items, fn($x) => $x % 2 === 0, 2, function (int $done, int $total) use (&$calls) {
    $calls[] = [$done, $total];
});
var_dump($r);
mv_check(calls_ok($calls, 6, 3), 'filter (progress given by position): chunks of 3 up to 6/6');

// One worker per item: every item can be told on its own.
$calls = [];
Process::map(range(1, 4), fn($x) => usleep(50000 * $x), 4, progress: function ($d, $t) use (&$calls) {
    $calls[] = [$d, $t];
});
mv_check(calls_ok($calls, 4, 1), 'map with a worker per item: up to 4/4');

// Nothing to do: never called.
$called = false;
var_dump(Process::map([], fn($x) => $x, progress: function () use (&$called) { $called = true; }));
var_dump($called);
?>
--EXPECT--
array(6) {
  ["a"]=>
  int(10)
  ["b"]=>
  int(20)
  ["c"]=>
  int(30)
  ["d"]=>
  int(40)
  ["e"]=>
  int(50)
  ["f"]=>
  int(60)
}
ok - map: done grows by whole chunks of 2 up to 6/6
array(3) {
  ["b"]=>
  int(2)
  ["d"]=>
  int(4)
  ["f"]=>
  int(6)
}
ok - filter (progress given by position): chunks of 3 up to 6/6
ok - map with a worker per item: up to 4/4
array(0) {
}
bool(false)
