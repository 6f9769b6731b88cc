--TEST--
ProcessPool and Process::pool(); Process::isSupported() and getCpuCores()
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
use Multiverse\ProcessPool;
mv_setup();

var_dump(Process::isSupported());
$cores = Process::getCpuCores();
var_dump($cores === (int)trim(shell_exec('nproc')));
// null worker counts mean one chunk per core.
$pids = fn(array $r) => count(array_unique($r));
var_dump($pids(Process::map(range(1, 64), fn() => getmypid())) === min($cores, 64));
var_dump($pids((new ProcessPool())->map(range(1, 64), fn() => getmypid())) === min($cores, 64));

$pool = Process::pool(3);
var_dump($pool instanceof ProcessPool);
$items = ['a' => 1, 'b' => 2, 'c' => 3, 'd' => 4, 'e' => 5];
var_dump($pool->map($items, fn($x) => $x ** 2));
var_dump($pids($pool->map($items, fn() => getmypid())));
var_dump($pool->filter($items, fn($x) => $x > 2));
var_dump($pool->reduce($items, fn($c, $x) => $c + $x, 100));
var_dump($pool->reduce([], fn($c, $x) => $c + $x, 'empty'));
var_dump($pool->reduce(['x'], fn($c, $x) => $c . $x));
// The same pool serves any number of calls.
for ($i = 0; $i < 5; $i++) $pool->map([1, 2, 3], fn($x) => $x);
var_dump($pids((new ProcessPool(1))->map([1, 2, 3], fn() => getmypid())));
try {
    $pool->map([1], fn($x) => throw new UnexpectedValueException("from the pool"));
} catch (Multiverse\TaskException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
foreach ([fn() => new ProcessPool(0), fn() => Process::pool(-1), fn() => $pool->map([1], 'nope')] as $f) {
    try {
        $f();
    } catch (Throwable $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
}
mv_check(mv_children() === [], 'no child left');
?>
--EXPECTF--
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
array(5) {
  ["a"]=>
  int(1)
  ["b"]=>
  int(4)
  ["c"]=>
  int(9)
  ["d"]=>
  int(16)
  ["e"]=>
  int(25)
}
int(3)
array(3) {
  ["c"]=>
  int(3)
  ["d"]=>
  int(4)
  ["e"]=>
  int(5)
}
int(115)
string(5) "empty"
string(1) "x"
int(1)
Multiverse\TaskException: Closure threw UnexpectedValueException: from the pool (at %s:%d)
ValueError: Multiverse\ProcessPool::__construct(): Argument #1 ($workerCount) must be >= 1 or null (null = number of CPU cores), got 0
ValueError: Multiverse\Process::pool(): Argument #1 ($workerCount) must be >= 1 or null (null = number of CPU cores), got -1
TypeError: Multiverse\ProcessPool::map(): Argument #2 ($fn) must be a valid callback, function "nope" not found or invalid function name
ok - no child left
