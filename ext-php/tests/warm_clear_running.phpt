--TEST--
Warm workers of another PHP process: running() shows them busy or idle, clear() kills them, the owner replaces them
--SKIPIF--
<?php
if (!is_file(__DIR__ . '/../../ext-python/multiverse/worker.py')) die('skip needs the Python SDK (ext-python/)');
?>
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
$dir = mv_setup();
mv_use_sdk();

// The other process: a slow call, then (when told) another call.
$cmd = mv_php_command([
    'multiverse.workers_path' => __DIR__ . '/workers',
    'multiverse.python' => '/usr/bin/python3',
    'multiverse.runtime_dir' => $dir,
    'multiverse.kill_grace' => '0.5',
]);
array_push($cmd, '-r', '
    $r = Multiverse\MultiWorker::run("warm_sdk", ["sleep" => 1.5]);
    echo $r["pid"], "\n";
    fgets(STDIN);
    $r = Multiverse\MultiWorker::run("warm_sdk");
    echo $r["pid"], " ", $r["served"], "\n";
    fgets(STDIN);
');
$proc = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w']], $pipes);
$host = proc_get_status($proc)['pid'];

$busy = mv_wait_state('warm_sdk', 'busy', 10.0);
mv_check(count($busy) === 1 && $busy[0]['kind'] === 'warm' && $busy[0]['host_pid'] === $host,
         "running() lists the other process's warm process");
echo "state: ", $busy[0]['state'] ?? '-', "\n";
$pid = (int)fgets($pipes[1]);
mv_check($busy[0]['pid'] === $pid, 'it is the process that served the slow call');
$idle = mv_wait_state('warm_sdk', 'idle');
echo "state: ", $idle[0]['state'] ?? '-', "\n";

// clear() from here kills it; its owner starts a new one on its next call.
var_dump(MultiWorker::clear('warm_sdk'));
mv_check(!mv_alive($pid), 'cleared');
var_dump(MultiWorker::running());
fwrite($pipes[0], "go\n");
[$pid2, $served] = array_map('intval', explode(' ', trim(fgets($pipes[1]))));
mv_check($pid2 > 0 && $pid2 !== $pid && $served === 1, 'the owner replaced it');

// The owner exits: its warm process retires with it.
fclose($pipes[0]);
var_dump(proc_close($proc));
mv_check(!mv_alive($pid2), 'retired at the end of the owner');
var_dump(MultiWorker::running());
?>
--EXPECT--
ok - running() lists the other process's warm process
state: busy
ok - it is the process that served the slow call
state: idle
int(1)
ok - cleared
array(0) {
}
ok - the owner replaced it
int(0)
ok - retired at the end of the owner
array(0) {
}
