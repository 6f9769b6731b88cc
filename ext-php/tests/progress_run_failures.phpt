--TEST--
progress: Process::run counts failed tasks as ended; the failure is thrown after all ended
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
use Multiverse\TaskException;
mv_setup();

$calls = [];
try {
    Process::run([
        'ok' => fn() => 1,
        'boom' => fn() => throw new DomainException('boom'),
        'late' => fn() => usleep(200000),
    ], 1, null, function (int $done, int $total) use (&$calls) {
        $calls[] = "$done/$total";
    });
} catch (TaskException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
var_dump($calls);
?>
--EXPECTF--
Multiverse\TaskException: %Sboom%S
array(3) {
  [0]=>
  string(3) "1/3"
  [1]=>
  string(3) "2/3"
  [2]=>
  string(3) "3/3"
}
