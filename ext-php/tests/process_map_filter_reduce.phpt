--TEST--
Process::map/filter/reduce: keys and order kept, one fork per worker chunk, $initial applied once
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
mv_setup();

$items = ['a' => 1, 'b' => 2, 5 => 3, 'c' => 4, 9 => 5, 'd' => 6, 'e' => 7];

// map: like array_map with keys preserved, whatever the worker count.
foreach ([null, 1, 2, 3, 7, 50] as $w) {
    $r = Process::map($items, fn($x) => $x * 10, $w);
    mv_check($r === array_map(fn($x) => $x * 10, $items), 'map with workerCount ' . var_export($w, true));
}
// One child per chunk: never more chunks than workers, or than items.
$pids = fn($w) => count(array_unique(Process::map($items, fn($x) => getmypid(), $w)));
var_dump($pids(1), $pids(3), $pids(50));
mv_check(!in_array(getmypid(), Process::map($items, fn($x) => getmypid())), 'the work ran in children');
// Chunks are contiguous: each child gets a run of neighbours.
var_dump(array_values(array_map(fn($p) => $p, array_count_values(Process::map($items, fn($x) => getmypid(), 3)))));

// Values of any serializable type come back, objects included.
$r = Process::map([1, 2], fn($x) => ['n' => $x, 'o' => new ArrayObject([$x]), 'f' => $x / 4, 'null' => null]);
var_dump($r[1]['n'], $r[1]['o']->getArrayCopy(), $r[1]['f'], $r[0]['null']);
// Callables of every kind.
var_dump(Process::map(['x' => 'abc'], 'strtoupper'));
class Scale
{
    public function twice($x) { return 2 * $x; }
    public static function thrice($x) { return 3 * $x; }
}
var_dump(Process::map([3], [new Scale, 'twice']), Process::map([3], 'Scale::thrice'), Process::map([3], [Scale::class, 'thrice']));

// filter: like array_filter (the callback gets the value, keys are kept).
$r = Process::filter($items, fn($x) => $x % 2 === 1, 3);
var_dump($r === array_filter($items, fn($x) => $x % 2 === 1));
var_dump(Process::filter([0, 1, '', 'a', null, [], [0]], fn($x) => $x));
var_dump(Process::filter([1, 2, 3], fn($x) => false));

// reduce: chunks fold in children, the chunk results fold into $initial once.
var_dump(Process::reduce(range(1, 100), fn($c, $x) => $c + $x, 1000, 4));
var_dump(Process::reduce(range(1, 100), fn($c, $x) => $c + $x, 0, 1));
var_dump(Process::reduce(['a', 'b', 'c', 'd'], fn($c, $x) => $c . $x, 'S:', 2));
var_dump(Process::reduce([[1], [2, 3], [4]], fn($c, $x) => array_merge($c, $x), [0], 3));
// Empty input: no fork, $initial as is; [] for map and filter.
var_dump(Process::reduce([], fn($c, $x) => $c + $x, 'init'));
var_dump(Process::map([], fn($x) => $x), Process::filter([], fn($x) => $x));

// The parent's state is visible in the children; their changes stay there.
$counter = 5;
$obj = new stdClass;
$obj->v = 'parent';
var_dump(Process::map([1, 2], function ($x) use (&$counter, $obj) {
    $counter++;
    $obj->v = 'child';
    return $counter + $x;
}));
var_dump($counter, $obj->v);

// Children do not share the parent's random sequence.
mt_srand(42);
var_dump(count(array_unique(Process::map([1, 2, 3, 4], fn() => mt_rand() . '/' . rand(), 4))));
var_dump(count(array_unique(Process::map([1, 2, 3, 4], fn() => lcg_value(), 4))));

// Bad worker counts.
foreach ([0, -2] as $w) {
    try {
        Process::map([1], fn($x) => $x, $w);
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}
try {
    Process::reduce([1], fn($c, $x) => $x, null, 0);
} catch (ValueError $e) {
    echo $e->getMessage(), "\n";
}
try {
    Process::map([1], 'no_such_function');
} catch (TypeError $e) {
    echo $e->getMessage(), "\n";
}
?>
--EXPECT--
ok - map with workerCount NULL
ok - map with workerCount 1
ok - map with workerCount 2
ok - map with workerCount 3
ok - map with workerCount 7
ok - map with workerCount 50
int(1)
int(3)
int(7)
ok - the work ran in children
array(3) {
  [0]=>
  int(2)
  [1]=>
  int(2)
  [2]=>
  int(3)
}
int(2)
array(1) {
  [0]=>
  int(2)
}
float(0.5)
NULL
array(1) {
  ["x"]=>
  string(3) "ABC"
}
array(1) {
  [0]=>
  int(6)
}
array(1) {
  [0]=>
  int(9)
}
array(1) {
  [0]=>
  int(9)
}
bool(true)
array(3) {
  [1]=>
  int(1)
  [3]=>
  string(1) "a"
  [6]=>
  array(1) {
    [0]=>
    int(0)
  }
}
array(0) {
}
int(6050)
int(5050)
string(6) "S:abcd"
array(5) {
  [0]=>
  int(0)
  [1]=>
  int(1)
  [2]=>
  int(2)
  [3]=>
  int(3)
  [4]=>
  int(4)
}
string(4) "init"
array(0) {
}
array(0) {
}
array(2) {
  [0]=>
  int(7)
  [1]=>
  int(8)
}
int(5)
string(6) "parent"
int(4)
int(4)
Multiverse\Process::map(): Argument #3 ($workerCount) must be >= 1 or null (null = number of CPU cores), got 0
Multiverse\Process::map(): Argument #3 ($workerCount) must be >= 1 or null (null = number of CPU cores), got -2
Multiverse\Process::reduce(): Argument #4 ($workerCount) must be >= 1 or null (null = number of CPU cores), got 0
Multiverse\Process::map(): Argument #2 ($fn) must be a valid callback, function "no_such_function" not found or invalid function name
