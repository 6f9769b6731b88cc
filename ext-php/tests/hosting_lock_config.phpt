--TEST--
Hosting: multiverse.lock_config=1 makes configure() of the interpreters and runtime_dir throw WorkerException DISABLED (nothing of that call applied); other options and null still work
--INI--
multiverse.lock_config=1
multiverse.python=/usr/bin/python3
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\WorkerException;

var_dump(ini_set('multiverse.lock_config', '0'));
MultiWorker::configure(['workers_path' => __DIR__ . '/workers', 'kill_grace' => 0.5]);
$before = MultiWorker::config();
foreach (['python' => '/bin/sh', 'node' => '/bin/sh', 'php' => '/bin/sh', 'runtime_dir' => '/tmp/elsewhere'] as $key => $value) {
    $e = mv_outcome($key, fn() => MultiWorker::configure(['timeout' => 9, $key => $value]));
    mv_check($e instanceof WorkerException && $e->getCode() === WorkerException::DISABLED, "$key: code DISABLED");
}
mv_check(MultiWorker::config() === $before, 'nothing of those calls was applied (not even timeout)');
// null only drops an override, which cannot exist: allowed.
MultiWorker::configure(['python' => null, 'timeout' => 30]);
var_dump(MultiWorker::config()['timeout'], MultiWorker::config()['python']);
var_dump(MultiWorker::run('value', ['value' => 'server python']));
?>
--EXPECT--
bool(false)
python: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::configure(): option "python" cannot be set: multiverse.lock_config=1 keeps the interpreters and runtime_dir at this server's multiverse.* settings
ok - python: code DISABLED
node: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::configure(): option "node" cannot be set: multiverse.lock_config=1 keeps the interpreters and runtime_dir at this server's multiverse.* settings
ok - node: code DISABLED
php: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::configure(): option "php" cannot be set: multiverse.lock_config=1 keeps the interpreters and runtime_dir at this server's multiverse.* settings
ok - php: code DISABLED
runtime_dir: Multiverse\WorkerException [DISABLED] Multiverse\MultiWorker::configure(): option "runtime_dir" cannot be set: multiverse.lock_config=1 keeps the interpreters and runtime_dir at this server's multiverse.* settings
ok - runtime_dir: code DISABLED
ok - nothing of those calls was applied (not even timeout)
float(30)
string(16) "/usr/bin/python3"
string(13) "server python"
