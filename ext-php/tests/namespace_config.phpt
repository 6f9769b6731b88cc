--TEST--
Namespaces: multiverse.namespace and configure(['namespace' => ...]) decide where workers and forks are registered
--INI--
multiverse.namespace=from-ini
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\Process;
$dir = mv_setup();

/* running() once it lists $n entries (a fork's supervisor registers it a
 * moment after fork() returned), or what it lists after 5 s. */
function listed(int $n): array
{
    $end = microtime(true) + 5;
    while (count($list = MultiWorker::running()) < $n && microtime(true) < $end) usleep(20000);
    return $list;
}

var_dump(ini_get('multiverse.namespace'), MultiWorker::config()['namespace']);

// A fork is registered under the INI namespace.
$fork = Process::fork(function () { sleep(30); });
$list = listed(1);
var_dump(count($list), $list[0]['namespace'], $list[0]['kind']);

// configure() overrides it for what starts next; a running task keeps the
// namespace it was registered under.
MultiWorker::configure(['namespace' => 'set.by_configure-1']);
var_dump(MultiWorker::config()['namespace'], MultiWorker::running());
$fork2 = Process::fork(function () { sleep(30); });
$list = listed(1);
var_dump(count($list), $list[0]['namespace']);
var_dump(MultiWorker::clear());
$fork2->wait();
mv_check($fork->isRunning(), 'the fork in from-ini still runs');

// null drops the override: the INI value applies again; ini_set() too.
MultiWorker::configure(['namespace' => null]);
var_dump(MultiWorker::config()['namespace']);
var_dump(ini_set('multiverse.namespace', 'other'), MultiWorker::config()['namespace']);
var_dump(count(MultiWorker::running()));
ini_set('multiverse.namespace', 'from-ini');
var_dump(MultiWorker::clear());
$fork->wait();
mv_check(!$fork->isRunning(), 'the fork in from-ini was cleared');
// An empty INI value means the default namespace.
ini_set('multiverse.namespace', '');
var_dump(MultiWorker::config()['namespace']);
?>
--EXPECT--
string(8) "from-ini"
string(8) "from-ini"
int(1)
string(8) "from-ini"
string(4) "fork"
string(18) "set.by_configure-1"
array(0) {
}
int(1)
string(18) "set.by_configure-1"
int(1)
ok - the fork in from-ini still runs
string(8) "from-ini"
string(8) "from-ini"
string(5) "other"
int(0)
int(1)
ok - the fork in from-ini was cleared
string(7) "default"
