--TEST--
Warm workers: a pool is kept while env and inherit_env stay the same; changing either retires it and a new pool serves with the new environment
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup(['warm' => ['env' => true], 'env' => ['MV_TEST_A' => 'one']]);
putenv('MV_TEST_SECRET=hunter2');

$call = fn() => MultiWorker::run('env', ['names' => ['MV_TEST_A', 'MV_TEST_SECRET', 'MULTIVERSE_WARM']]);
$a = $call();
var_dump($a['env']);
mv_check($call()['pid'] === $a['pid'], 'the same env: the same process');
// The same entries given again are the same settings.
MultiWorker::configure(['env' => ['MV_TEST_A' => 'one']]);
mv_check($call()['pid'] === $a['pid'], 'the same env given again: the same process');

MultiWorker::configure(['env' => ['MV_TEST_A' => 'two']]);
$b = $call();
var_dump($b['env']['MV_TEST_A']);
mv_check($b['pid'] !== $a['pid'] && mv_gone($a['pid']), 'another env: a new process, the old one retired');

MultiWorker::configure(['inherit_env' => false]);
$c = $call();
var_dump($c['env']['MV_TEST_SECRET']);
mv_check($c['pid'] !== $b['pid'] && mv_gone($b['pid']), 'inherit_env off: a new process, the old one retired');

// A value with a newline is not confused with another setting.
MultiWorker::configure(['env' => ['MV_TEST_A' => "two\n1"]]);
$d = $call();
var_dump($d['env']['MV_TEST_A']);
mv_check($d['pid'] !== $c['pid'], 'a value with a newline: a new process');
MultiWorker::configure(['env' => null]);
$e = $call();
mv_check($e['pid'] !== $d['pid'] && $e['env']['MV_TEST_A'] === null, 'no env: a new process');
mv_check(mv_alive($e['pid']), 'the current pool serves on');
?>
--EXPECT--
array(3) {
  ["MV_TEST_A"]=>
  string(3) "one"
  ["MV_TEST_SECRET"]=>
  string(7) "hunter2"
  ["MULTIVERSE_WARM"]=>
  string(1) "1"
}
ok - the same env: the same process
ok - the same env given again: the same process
string(3) "two"
ok - another env: a new process, the old one retired
NULL
ok - inherit_env off: a new process, the old one retired
string(5) "two
1"
ok - a value with a newline: a new process
ok - no env: a new process
ok - the current pool serves on
