--TEST--
progress: MultiWorker::runMany counts calls, failed ones (a missing worker) included
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\WorkerException;
mv_setup();

$calls = [];
$r = MultiWorker::runMany([
    'a' => ['value', ['value' => 1]],
    'b' => ['value', ['value' => 2]],
    'c' => ['value', ['value' => 3]],
], 1, progress: function (int $done, int $total) use (&$calls) {
    $calls[] = "$done/$total";
});
var_dump($r, implode(' ', $calls));

$calls = [];
try {
    MultiWorker::runMany(['ok' => ['value', ['value' => 1]], 'gone' => ['no_such_worker', []]],
        progress: function (int $done, int $total) use (&$calls) { $calls[] = "$done/$total"; });
} catch (WorkerException $e) {
    echo get_class($e), "\n";
}
var_dump(end($calls));
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
string(11) "1/3 2/3 3/3"
Multiverse\WorkerException
string(3) "2/2"
