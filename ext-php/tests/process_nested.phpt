--TEST--
Process: a child can fork (nested map) and run workers; state of the parent's loops is not shared
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\Process;
mv_setup();

// The parent has a loop in use (MultiWorker) and a running ForkProcess
// when it forks: the children drop their copies and use their own.
MultiWorker::run('quick');
$bg = Process::fork(function () { usleep(500000); return 'background'; });

$r = Process::map([1, 2], function ($x) {
    $inner = Process::map([10, 20, 30], fn($y) => [$y * $x, getmypid()], 3);
    $w = MultiWorker::run('value', ['value' => $x]);
    $f = Process::fork(fn() => 'grandchild')->getOutput();
    return [array_column($inner, 0), count(array_unique(array_column($inner, 1))), $w, $f,
            in_array(getmypid(), array_column($inner, 1), true)];
}, 2);
var_dump($r);
var_dump($bg->getOutput());
// The parent's loops still work.
var_dump(MultiWorker::run('quick'), Process::map([1], fn($x) => $x));

// A ForkProcess object copied into a child is inert there: it belongs to
// the parent.
$p = Process::fork(fn() => usleep(300000) ?? 'parent-owned');
$seen = Process::map([1], function () use ($p) {
    try {
        $p->wait();
        return 'waited';
    } catch (Error $e) {
        return [get_class($e), $p->isRunning()];
    }
});
var_dump($seen[0][0], $seen[0][1], $p->getOutput());
mv_check(mv_children() === [], 'no child left');
?>
--EXPECTF--
array(2) {
  [0]=>
  array(5) {
    [0]=>
    array(3) {
      [0]=>
      int(10)
      [1]=>
      int(20)
      [2]=>
      int(30)
    }
    [1]=>
    int(3)
    [2]=>
    int(1)
    [3]=>
    string(10) "grandchild"
    [4]=>
    bool(false)
  }
  [1]=>
  array(5) {
    [0]=>
    array(3) {
      [0]=>
      int(20)
      [1]=>
      int(40)
      [2]=>
      int(60)
    }
    [1]=>
    int(3)
    [2]=>
    int(2)
    [3]=>
    string(10) "grandchild"
    [4]=>
    bool(false)
  }
}
string(10) "background"
array(1) {
  ["ok"]=>
  bool(true)
}
array(1) {
  [0]=>
  int(1)
}
string(5) "Error"
bool(false)
string(12) "parent-owned"
ok - no child left
