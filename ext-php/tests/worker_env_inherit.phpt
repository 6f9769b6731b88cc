--TEST--
MultiWorker: with inherit_env off a worker gets only PATH, HOME, LANG, LC_*, TZ, TMPDIR, the env option's variables and MULTIVERSE_*; by default the host's environment
--INI--
multiverse.inherit_env=1
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();

putenv('MV_TEST_SECRET=hunter2');
putenv('PATH=/usr/local/bin:/usr/bin:/bin:/mv-test-path');
$names = ['MV_TEST_SECRET', 'PATH', 'MV_TEST_GIVEN', 'MULTIVERSE_WORKER'];
$minimal = fn(string $n) => in_array($n, ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR'], true)
    || str_starts_with($n, 'LC_') || str_starts_with($n, 'MULTIVERSE_');

// By default the worker inherits the host's environment, secrets included.
var_dump(MultiWorker::run('env', ['names' => $names])['env']);

// inherit_env off: the secret stays in the host.
MultiWorker::configure(['inherit_env' => false, 'env' => ['MV_TEST_GIVEN' => 'given']]);
$r = MultiWorker::run('env', ['names' => $names]);
var_dump($r['env']);
var_dump(array_values(array_filter($r['all'], fn($n) => !$minimal($n))));
// The same for runMany.
$many = MultiWorker::runMany(['a' => ['env', ['names' => $names]], 'b' => ['env', ['names' => $names]]]);
var_dump($many['a']['env'] == $r['env'], $many['b']['env'] == $r['env']);

// The INI setting does the same when configure() does not say.
MultiWorker::configure(['inherit_env' => null, 'env' => null]);
var_dump(MultiWorker::run('env', ['names' => $names])['env']['MV_TEST_SECRET']);
ini_set('multiverse.inherit_env', '0');
var_dump(MultiWorker::run('env', ['names' => $names])['env']['MV_TEST_SECRET']);
// configure() wins over the INI setting.
MultiWorker::configure(['inherit_env' => true]);
var_dump(MultiWorker::run('env', ['names' => $names])['env']['MV_TEST_SECRET']);
?>
--EXPECT--
array(4) {
  ["MV_TEST_SECRET"]=>
  string(7) "hunter2"
  ["PATH"]=>
  string(42) "/usr/local/bin:/usr/bin:/bin:/mv-test-path"
  ["MV_TEST_GIVEN"]=>
  NULL
  ["MULTIVERSE_WORKER"]=>
  string(3) "env"
}
array(4) {
  ["MV_TEST_SECRET"]=>
  NULL
  ["PATH"]=>
  string(42) "/usr/local/bin:/usr/bin:/bin:/mv-test-path"
  ["MV_TEST_GIVEN"]=>
  string(5) "given"
  ["MULTIVERSE_WORKER"]=>
  string(3) "env"
}
array(1) {
  [0]=>
  string(13) "MV_TEST_GIVEN"
}
bool(true)
bool(true)
string(7) "hunter2"
NULL
string(7) "hunter2"
