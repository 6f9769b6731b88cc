--TEST--
Process: env and inherit_env do not apply to forked closures, which are copies of the PHP process, environment included
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
mv_setup(['inherit_env' => false, 'env' => ['MV_TEST_GIVEN' => 'given']]);
putenv('MV_TEST_SECRET=hunter2');

$seen = fn() => [getenv('MV_TEST_SECRET'), getenv('MV_TEST_GIVEN')];
var_dump(Process::map([1], $seen)[0]);
var_dump(Process::fork($seen)->getOutput());
var_dump(Process::run(['a' => $seen])['a']);
?>
--EXPECT--
array(2) {
  [0]=>
  string(7) "hunter2"
  [1]=>
  bool(false)
}
array(2) {
  [0]=>
  string(7) "hunter2"
  [1]=>
  bool(false)
}
array(2) {
  [0]=>
  string(7) "hunter2"
  [1]=>
  bool(false)
}
