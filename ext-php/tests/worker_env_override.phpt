--TEST--
MultiWorker: the env option adds variables and overrides the host's, with or without inherit_env; each configure() replaces the whole map
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();

putenv('MV_TEST_HOST=from the host');
$names = ['MV_TEST_HOST', 'MV_TEST_NEW', 'MV_TEST_ODD', 'MV_TEST_EMPTY'];
$env = fn() => MultiWorker::run('env', ['names' => $names])['env'];

$given = ['MV_TEST_HOST' => 'from env', 'MV_TEST_NEW' => 'new',
          'MV_TEST_ODD' => "a=b\nline two", 'MV_TEST_EMPTY' => ''];
MultiWorker::configure(['env' => $given]);
var_dump($env() === $given);
var_dump(MultiWorker::config()['env'] === $given);
MultiWorker::configure(['inherit_env' => false]);
var_dump($env() === $given);

// A later env replaces the earlier one; null drops it.
MultiWorker::configure(['inherit_env' => true, 'env' => ['MV_TEST_NEW' => 'again']]);
var_dump($env());
MultiWorker::configure(['env' => null]);
var_dump($env()['MV_TEST_HOST'], MultiWorker::config()['env']);
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
array(4) {
  ["MV_TEST_HOST"]=>
  string(13) "from the host"
  ["MV_TEST_NEW"]=>
  string(5) "again"
  ["MV_TEST_ODD"]=>
  NULL
  ["MV_TEST_EMPTY"]=>
  NULL
}
string(13) "from the host"
array(0) {
}
