--TEST--
Hosting: the interpreters and runtime_dir are PHP_INI_SYSTEM|PHP_INI_PERDIR (ini_set() refuses them); configure() may still set them when lock_config is off
--INI--
multiverse.python=/usr/bin/python3
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;

foreach (['python' => '/bin/sh', 'node' => '/bin/sh', 'php' => '/bin/sh', 'runtime_dir' => '/tmp'] as $key => $value) {
    $old = ini_get("multiverse.$key");
    $r = ini_set("multiverse.$key", $value);
    mv_check($r === false && ini_get("multiverse.$key") === $old, "ini_set('multiverse.$key') is refused");
}
$levels = array_map(fn($e) => $e['access'], ini_get_all('multiverse'));
mv_check($levels['multiverse.python'] === (INI_SYSTEM | INI_PERDIR) && $levels['multiverse.runtime_dir'] === (INI_SYSTEM | INI_PERDIR),
    'reported as INI_SYSTEM|INI_PERDIR');
mv_check($levels['multiverse.enabled'] === INI_SYSTEM && $levels['multiverse.allow_fork'] === INI_SYSTEM
    && $levels['multiverse.lock_config'] === INI_SYSTEM, 'enabled, allow_fork, lock_config are INI_SYSTEM');
mv_check($levels['multiverse.timeout'] === INI_ALL && $levels['multiverse.workers_path'] === INI_ALL, 'the others stay INI_ALL');

// The python the server set runs the worker.
mv_setup(['python' => null]);
var_dump(MultiWorker::run('value', ['value' => 'ini python']));
// configure() is the application's, and may set them (multiverse.lock_config=0).
MultiWorker::configure(['python' => '/nonexistent/python3']);
var_dump(MultiWorker::config()['python']);
mv_outcome('run', fn() => MultiWorker::run('value', ['value' => 1]));
?>
--EXPECTF--
ok - ini_set('multiverse.python') is refused
ok - ini_set('multiverse.node') is refused
ok - ini_set('multiverse.php') is refused
ok - ini_set('multiverse.runtime_dir') is refused
ok - reported as INI_SYSTEM|INI_PERDIR
ok - enabled, allow_fork, lock_config are INI_SYSTEM
ok - the others stay INI_ALL
string(10) "ini python"
string(20) "/nonexistent/python3"
run: Multiverse\WorkerException [INTERPRETER_MISSING] python interpreter '/nonexistent/python3' does not exist
