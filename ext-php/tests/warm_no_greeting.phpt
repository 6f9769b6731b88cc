--TEST--
Warm workers: a worker marked warm that does not speak the warm protocol (it never greets) fails the call after greet_timeout with a WorkerException saying so and how to fix it, well before the call's timeout; its whole tree is killed
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\TimeoutException;
use Multiverse\WorkerException;
mv_setup();

$dir = mv_tmpdir('no-greeting');
MultiWorker::configure(['env' => ['MV_PIDFILE' => "$dir/grandchild"]]);
$t0 = microtime(true);
try {
    MultiWorker::run('plain_warm', ['a' => 1], 30.0);
    echo "no exception\n";
} catch (TimeoutException $e) {
    echo "TimeoutException: ", $e->getMessage(), "\n";
} catch (WorkerException $e) {
    $took = microtime(true) - $t0;
    echo get_class($e), ": ", $e->getMessage(), "\n";
    mv_check($took >= 0.9 && $took < 5.0, "it failed after greet_timeout (1 s), not the call's 30 s (took $took s)");
    var_dump($e->getWorkerName());
}
$grandchild = mv_read_pids("$dir/grandchild")[0] ?? 0;
$main = mv_read_pids("$dir/grandchild.main")[0] ?? 0;
mv_check($grandchild > 0 && $main > 0, 'the worker and its grandchild had started');
mv_check(mv_survivors([$main, $grandchild], 2.0) === [], 'the warm process and its setsid grandchild are gone');
mv_check(MultiWorker::running('plain_warm') === [], 'nothing of it is left running');

// Every call fails the same way: nothing hangs.
$t0 = microtime(true);
try {
    MultiWorker::run('plain_warm', [], 30.0);
} catch (WorkerException $e) {
    mv_check(str_contains($e->getMessage(), 'does not speak the warm protocol'), 'the next call says the same');
}
mv_check(microtime(true) - $t0 < 5.0, 'the next call fails as fast');

// greet_timeout: a warm setting, default 10 s, checked by the core.
MultiWorker::configure(['warm' => ['w' => true, 'g' => ['greet_timeout' => 2.5]]]);
var_dump(MultiWorker::config()['warm']['w']['greet_timeout'], MultiWorker::config()['warm']['g']['greet_timeout']);
try {
    MultiWorker::configure(['warm' => ['g' => ['greet_timeout' => -1]]]);
} catch (Throwable $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
mv_rmdir($dir);
?>
--EXPECTF--
Multiverse\WorkerException: warm worker 'plain_warm' did not greet within 1 s (greet_timeout): it does not speak the warm protocol (process tree killed); a warm worker first writes the line {"multiverse":"ready"} to fd 3, then answers each line on stdin with one line on fd 3: in Python call multiverse.worker.serve(handler), with the multiverse package installed for the worker's interpreter (php artisan multiverse:install does it for Laravel), or make the worker cold (remove "warm" from its multiverse.json)
ok - it failed after greet_timeout (1 s), not the call's 30 s (took %f s)
string(10) "plain_warm"
ok - the worker and its grandchild had started
ok - the warm process and its setsid grandchild are gone
ok - nothing of it is left running
ok - the next call says the same
ok - the next call fails as fast
float(10)
float(2.5)
ValueError: %s greet_timeout must be >= 0, got -1
