--TEST--
Process::run(): keys kept, concurrency limit, per-task timeout that kills the tree, failures after all ended
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
use Multiverse\TimeoutException;
use Multiverse\TaskException;
mv_setup();

$r = Process::run(['x' => fn() => 'X', 3 => fn() => getmypid(), 'y' => fn() => [1, 2]]);
var_dump(array_keys($r), $r['x'], $r[3] !== getmypid(), $r['y']);
var_dump(Process::run([]));

foreach ([1, 2, 4] as $limit) {
    $dir = mv_tmpdir('barrier');
    var_dump(mv_overlaps(Process::run(array_fill(0, 4, mv_barrier_task($dir, $limit)), $limit)));
    mv_rmdir($dir);
}

// A per-task timeout kills each task's whole tree; the others finish.
$pidfile = mv_tmp('tree');
$tree = function () use ($pidfile) {
    $p = proc_open(['/usr/bin/python3', __DIR__ . '/workers/tree/main.py'], [0 => ['pipe', 'r']], $pipes);
    fwrite($pipes[0], json_encode(['pidfile' => $pidfile]));
    fclose($pipes[0]);
    sleep(60);
};
$t = microtime(true);
try {
    Process::run(['fast' => fn() => 'done', 'tree' => $tree, 'boom' => fn() => throw new DomainException('boom')], 0, 2.0);
} catch (TimeoutException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump($e->getTimeout(), $e->getDriver());
    $errors = $e->getErrors();
    var_dump(array_keys($errors), get_class($errors['boom']));
}
$pids = mv_read_pids($pidfile);
mv_check(count($pids) === 4, 'the task had started a tree of 4');
mv_check(mv_survivors($pids) === [], 'no process of the tree survives');
mv_check(microtime(true) - $t < 12, 'the timeout cut it short');
@unlink($pidfile);

// Bad arguments.
foreach ([
    fn() => Process::run(['a' => 'no_such_function']),
    fn() => Process::run([1 => 42]),
    fn() => Process::run([fn() => 1], -1),
    fn() => Process::run([fn() => 1], 0, NAN),
] as $f) {
    try {
        $f();
    } catch (Throwable $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
}
mv_check(mv_children() === [], 'no child left');
?>
--EXPECT--
array(3) {
  [0]=>
  string(1) "x"
  [1]=>
  int(3)
  [2]=>
  string(1) "y"
}
string(1) "X"
bool(true)
array(2) {
  [0]=>
  int(1)
  [1]=>
  int(2)
}
array(0) {
}
int(1)
int(2)
int(4)
Multiverse\TimeoutException: task 'closure' timed out after 2 s (process tree killed)
float(2)
string(4) "fork"
array(2) {
  [0]=>
  string(4) "tree"
  [1]=>
  string(4) "boom"
}
string(24) "Multiverse\TaskException"
ok - the task had started a tree of 4
ok - no process of the tree survives
ok - the timeout cut it short
TypeError: Multiverse\Process::run(): Argument #1 ($tasks) entry 'a' must be a valid callback, string given
TypeError: Multiverse\Process::run(): Argument #1 ($tasks) entry 1 must be a valid callback, int given
ValueError: Multiverse\Process::run(): Argument #2 ($maxConcurrent) must be >= 0 (0 = number of CPU cores), got -1
ValueError: Multiverse\Process::run(): Argument #3 ($timeout) must be a finite number of seconds >= 0, got NAN
ok - no child left
