--TEST--
progress: an exception from the callable stops Process::run: running tasks killed, queued ones never start, the exception goes on
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
mv_setup();

$dir = mv_tmpdir('progress');
$task = fn(string $id, float $sleep) => function () use ($dir, $id, $sleep) {
    file_put_contents("$dir/.$id", getmypid());
    rename("$dir/.$id", "$dir/$id");
    usleep((int)($sleep * 1e6));
    return $id;
};
$t = microtime(true);
try {
    Process::run([
        'quick' => $task('quick', 0),
        'long1' => $task('long1', 30),
        'long2' => $task('long2', 30),
        'queued' => $task('queued', 0),
    ], 3, null, function (int $done, int $total) use ($dir) {
        // The long tasks are up before the callable gives up.
        mv_wait_file("$dir/long1");
        mv_wait_file("$dir/long2");
        throw new RuntimeException("stop at $done/$total");
    });
} catch (RuntimeException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
mv_check(microtime(true) - $t < 10, 'the fan-out stopped at once');
$pids = [];
foreach (['long1', 'long2'] as $id) $pids[] = (int)@file_get_contents("$dir/$id");
mv_check(count(array_filter($pids)) === 2 && mv_survivors($pids) === [], 'the running tasks were killed');
mv_check(!file_exists("$dir/queued"), 'the queued task never started');
mv_check(mv_zombies() === 0 && mv_children() === [], 'no child left');
// The next fan-out works.
var_dump(Process::run(['again' => fn() => 'again']));
mv_rmdir($dir);
?>
--EXPECT--
RuntimeException: stop at 1/4
ok - the fan-out stopped at once
ok - the running tasks were killed
ok - the queued task never started
ok - no child left
array(1) {
  ["again"]=>
  string(5) "again"
}
