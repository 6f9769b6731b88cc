--TEST--
MultiWorker: MULTIVERSE_WORKER, MULTIVERSE_TASK_ID and MULTIVERSE_RESULT_FD are the task's own; neither the env option nor the host's environment overrides them
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();

$names = ['MULTIVERSE_WORKER', 'MULTIVERSE_TASK_ID', 'MULTIVERSE_RESULT_FD'];
putenv('MULTIVERSE_WORKER=from-host');
putenv('MULTIVERSE_TASK_ID=from-host');
foreach ([true, false] as $inherit) {
    MultiWorker::configure(['inherit_env' => $inherit, 'env' => [
        'MULTIVERSE_WORKER' => 'forged', 'MULTIVERSE_TASK_ID' => 'forged', 'MULTIVERSE_RESULT_FD' => '1']]);
    // The result arrives on fd 3 at all only if MULTIVERSE_RESULT_FD is 3.
    $env = MultiWorker::run('env', ['names' => $names])['env'];
    var_dump($env['MULTIVERSE_WORKER'], $env['MULTIVERSE_RESULT_FD']);
    mv_check(preg_match('/^[0-9a-f]{16}$/', $env['MULTIVERSE_TASK_ID']) === 1, 'a task id of its own');
}
?>
--EXPECT--
string(3) "env"
string(1) "3"
ok - a task id of its own
string(3) "env"
string(1) "3"
ok - a task id of its own
