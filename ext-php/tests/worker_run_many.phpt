--TEST--
MultiWorker::runMany(): concurrency, key order, first failure thrown after all ended with getErrors()
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\WorkerException;
mv_setup();

// Keys (string and int) and their order are kept, whatever finishes first.
$r = MultiWorker::runMany([
    'slow' => ['value', ['value' => 'S', 'sleep' => 0.3]],
    7 => ['value', ['value' => 7]],
    'fast' => ['echo', []],
    'list' => ['value'],
]);
var_dump(array_keys($r), $r['slow'], $r[7], $r['fast']['payload_type'], $r['list']);
var_dump(MultiWorker::runMany([]));

foreach ([1, 3, 2] as $limit) {
    $dir = mv_tmpdir('barrier');
    $calls = array_fill(0, 3, ['value', ['times' => true, 'barrier' => ['dir' => $dir, 'count' => $limit]]]);
    var_dump(mv_overlaps(MultiWorker::runMany($calls, $limit)));
    mv_rmdir($dir);
}

// Failures: the first by key order is thrown once every call has ended.
$marker = mv_tmp('marker');
$t = microtime(true);
try {
    MultiWorker::runMany([
        'a' => ['value', ['value' => 1]],
        'b' => ['value', ['sleep' => 0.4, 'exit' => 7]],
        'c' => ['exit3', []],
        'd' => ['marker', ['path' => $marker]],
        'e' => ['missing_worker', []],
    ], 2);
} catch (WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    $errors = $e->getErrors();
    var_dump(array_keys($errors));
    mv_check($errors['b'] === $e, 'the thrown exception is the one of key b');
    echo $errors['c']->getMessage(), "\n";
    echo $errors['e']->getMessage(), "\n";
    mv_check(file_exists($marker), 'the other calls ran to the end');
}
@unlink($marker);

// A per-call timeout: in the payload, or for all calls.
try {
    MultiWorker::runMany(['t' => ['value', ['sleep' => 5, '_timeout' => 0.3]], 'ok' => ['value', ['value' => 1]]]);
} catch (Multiverse\TimeoutException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump(array_keys($e->getErrors()));
}
try {
    MultiWorker::runMany([['value', ['sleep' => 5]], ['value', ['sleep' => 5]]], 0, 0.3);
} catch (Multiverse\TimeoutException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump(count($e->getErrors()));
}
mv_check(microtime(true) - $t < 8, 'timeouts cut the calls short');
?>
--EXPECTF--
array(4) {
  [0]=>
  string(4) "slow"
  [1]=>
  int(7)
  [2]=>
  string(4) "fast"
  [3]=>
  string(4) "list"
}
string(1) "S"
int(7)
string(4) "dict"
NULL
array(0) {
}
int(1)
int(3)
int(2)
Multiverse\WorkerException: worker 'value' exited with code 7
array(3) {
  [0]=>
  string(1) "b"
  [1]=>
  string(1) "c"
  [2]=>
  string(1) "e"
}
ok - the thrown exception is the one of key b
worker 'exit3' exited with code 3: giving up: disk full
worker 'missing_worker' not found in %s
ok - the other calls ran to the end
Multiverse\TimeoutException: worker 'value' timed out after 0.3 s (process tree killed)
array(1) {
  [0]=>
  string(1) "t"
}
Multiverse\TimeoutException: worker 'value' timed out after 0.3 s (process tree killed)
int(2)
ok - timeouts cut the calls short
