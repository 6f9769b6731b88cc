--TEST--
Warm workers: multiverse.json or configure()'s "warm" option; reuse, max_requests, errors, timeouts, clear, fork
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\Process;
use Multiverse\WorkerException;
mv_setup();

// multiverse.json: {"warm": {"processes": 1, "max_requests": 3, ...}}
$seen = [];
for ($i = 0; $i < 5; $i++) {
    $r = MultiWorker::run('warm_echo', ['i' => $i]);
    $seen[] = [$r['pid'], $r['served'], $r['payload']['i']];
}
var_dump($r['warm']);
mv_check($seen[0][0] === $seen[1][0] && $seen[1][0] === $seen[2][0], 'one process served the first three calls');
mv_check($seen[3][0] !== $seen[2][0] && $seen[3][0] === $seen[4][0], 'replaced after max_requests');
var_dump(array_column($seen, 1), array_column($seen, 2));
$warm_pid = $seen[4][0];
$list = MultiWorker::running('warm_echo');
mv_check(count($list) === 1 && $list[0]['pid'] === $warm_pid, 'running() lists the warm process');
mv_check(!mv_alive($seen[0][0]), 'the retired process is gone');

// A structured error fails the call; the process keeps serving.
try {
    MultiWorker::run('warm_echo', ['fail' => 'missing key']);
} catch (WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump($e->getRemoteType(), $e->getRemoteMessage(), $e->getRemoteTrace()[0]['function'], $e->getOutput());
}

// A crash fails the call; the next call gets a new process.
try {
    MultiWorker::run('warm_echo', ['crash' => true]);
} catch (WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump($e->getExitCode(), $e->getErrorOutput());
}
$r = MultiWorker::run('warm_echo');
var_dump($r['served']);

// A timeout kills the warm process's tree; the next call gets a new one.
$before = $r['pid'];
try {
    MultiWorker::run('warm_echo', ['sleep' => 30, '_timeout' => 0.3]);
} catch (Multiverse\TimeoutException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump($e->getTimeout());
}
mv_check(!mv_alive($before), 'the timed-out process is gone');
var_dump(MultiWorker::run('warm_echo')['served']);

// clear() kills warm processes too; they are replaced on demand.
$pid = MultiWorker::run('warm_echo')['pid'];
var_dump(MultiWorker::clear('warm_echo'));
mv_check(!mv_alive($pid), 'cleared');
$r = MultiWorker::run('warm_echo');
mv_check($r['pid'] !== $pid && $r['served'] === 1, 'a new process after clear()');

// configure()'s "warm" option: a worker without multiverse.json is cold...
$a = MultiWorker::run('warm_plain');
$b = MultiWorker::run('warm_plain');
mv_check($a['pid'] !== $b['pid'] && $b['served'] === 1 && $b['warm'] === null, 'warm_plain is cold by default');
// ... and warm when named, with 2 processes serving 6 concurrent calls.
MultiWorker::configure(['warm' => ['warm_plain' => ['processes' => 2], 'warm_echo' => false]]);
var_dump(MultiWorker::config()['warm']);
$calls = array_fill(0, 6, ['warm_plain', ['sleep' => 0.2]]);
$r = MultiWorker::runMany($calls, 6);
var_dump(count(array_unique(array_column($r, 'pid'))), array_sum(array_column($r, 'served')) > 6);
// "false" keeps a worker cold even with its multiverse.json.
$x = MultiWorker::run('warm_echo');
$y = MultiWorker::run('warm_echo');
mv_check($x['pid'] !== $y['pid'] && $y['served'] === 1, 'warm => false makes it cold');
// One process (true = defaults): it keeps serving after a structured error.
MultiWorker::configure(['warm' => ['warm_plain' => true]]);
$p = MultiWorker::run('warm_plain')['pid'];
try {
    MultiWorker::run('warm_plain', ['fail' => 'soft']);
} catch (WorkerException $e) {
    echo $e->getMessage(), "\n";
}
$r = MultiWorker::run('warm_plain');
mv_check($r['pid'] === $p && $r['served'] === 3, 'the same process served on after the error');
MultiWorker::configure(['warm' => null]);
var_dump(MultiWorker::config()['warm']);

// A change of configuration retires the pool and starts a new one.
$p1 = MultiWorker::run('warm_echo')['pid'];
MultiWorker::configure(['kill_grace' => 0.4]);
$p2 = MultiWorker::run('warm_echo')['pid'];
mv_check($p1 !== $p2 && !mv_alive($p1), 'new configuration, new process');

// A forked child uses its own warm processes; the parent's stay.
$child = Process::map([1], fn() => MultiWorker::run('warm_echo')['pid'])[0];
mv_check($child !== $p2, 'the child had its own warm process');
mv_check(MultiWorker::run('warm_echo')['pid'] === $p2 && mv_alive($p2), "the parent's process is untouched");
mv_check(!mv_alive($child), "the child's warm process ended with the child");

// Bad "warm" options.
foreach ([
    ['warm' => 'yes'],
    ['warm' => ['../x' => true]],
    ['warm' => [['processes' => 2]]],
    ['warm' => ['w' => ['processes' => 0]]],
    ['warm' => ['w' => ['processes' => 1.5]]],
    ['warm' => ['w' => ['idle_timeout' => -1]]],
    ['warm' => ['w' => ['threads' => 2]]],
    ['warm' => ['w' => 3]],
] as $opt) {
    try {
        MultiWorker::configure($opt);
    } catch (Throwable $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
}

// When the PHP process ends (here: another one), its warm processes
// retire.
$cmd = mv_php_command([
    'multiverse.workers_path' => __DIR__ . '/workers',
    'multiverse.python' => '/usr/bin/python3',
    'multiverse.runtime_dir' => MultiWorker::config()['runtime_dir'],
]);
array_push($cmd, '-r', 'echo Multiverse\MultiWorker::run("warm_echo")["pid"];');
$proc = proc_open($cmd, [1 => ['pipe', 'w']], $pipes);
$other = (int)stream_get_contents($pipes[1]);
var_dump(proc_close($proc));
mv_check($other > 0 && !mv_alive($other), "the other process's warm worker is gone");
?>
--EXPECTF--
string(1) "1"
ok - one process served the first three calls
ok - replaced after max_requests
array(5) {
  [0]=>
  int(1)
  [1]=>
  int(2)
  [2]=>
  int(3)
  [3]=>
  int(1)
  [4]=>
  int(2)
}
array(5) {
  [0]=>
  int(0)
  [1]=>
  int(1)
  [2]=>
  int(2)
  [3]=>
  int(3)
  [4]=>
  int(4)
}
ok - running() lists the warm process
ok - the retired process is gone
Multiverse\WorkerException: warm worker 'warm_echo' failed: KeyError: missing key
string(8) "KeyError"
string(11) "missing key"
string(6) "handle"
string(21) "warm_echo: request 3
"
Multiverse\WorkerException: worker 'warm_echo' exited with code 9: warm_echo: crashing (warm process replaced)
int(9)
string(20) "warm_echo: crashing
"
int(1)
Multiverse\TimeoutException: worker 'warm_echo' timed out after 0.3 s (process tree killed)
float(0.3)
ok - the timed-out process is gone
int(1)
int(1)
ok - cleared
ok - a new process after clear()
ok - warm_plain is cold by default
array(2) {
  ["warm_plain"]=>
  array(4) {
    ["processes"]=>
    int(2)
    ["max_requests"]=>
    int(0)
    ["idle_timeout"]=>
    float(0)
    ["greet_timeout"]=>
    float(10)
  }
  ["warm_echo"]=>
  bool(false)
}
int(2)
bool(true)
ok - warm => false makes it cold
warm worker 'warm_plain' failed: KeyError: soft
ok - the same process served on after the error
array(0) {
}
ok - new configuration, new process
ok - the child had its own warm process
ok - the parent's process is untouched
ok - the child's warm process ended with the child
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm" must be of type ?array (worker => settings), string given
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm" must map worker names to settings, got key "../x"
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm" must map worker names to settings, got key "0"
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm" is invalid: warm 'w': processes must be >= 1, got 0
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm": "processes" of worker "w" must be of type int, float given
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm" is invalid: warm 'w': idle_timeout must be >= 0, got -1
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm": worker "w" has unknown setting "threads" (known: processes, max_requests, idle_timeout, greet_timeout)
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm": worker "w" must be array|bool, int given
int(0)
ok - the other process's warm worker is gone
