--TEST--
MultiWorker::running()/clear(): a worker started by another PHP process is listed and killed with its whole tree
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
$dir = mv_setup();

var_dump(MultiWorker::running(), MultiWorker::clear());

$pidfile = mv_tmp('tree');
$cmd = mv_php_command([
    'multiverse.runtime_dir' => $dir,
    'multiverse.workers_path' => __DIR__ . '/workers',
    'multiverse.python' => '/usr/bin/python3',
    'multiverse.kill_grace' => '0.5',
]);
array_push($cmd, '-r', '
    try {
        Multiverse\MultiWorker::run("tree", ["pidfile" => $argv[1]]);
        echo "returned\n";
    } catch (Multiverse\WorkerException $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
    echo "the other host lives on\n";
', '--', $pidfile);
$proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
$host = proc_get_status($proc)['pid'];
$pids = mv_read_pids($pidfile);
mv_check(count($pids) === 4, 'the other process started a tree of 4');

$list = MultiWorker::running();
var_dump(count($list));
$w = $list[0];
var_dump(array_keys($w));
mv_check($w['worker'] === 'tree', 'worker name');
mv_check($w['pid'] === $pids[0], "pid is the worker's root process");
mv_check($w['host_pid'] === $host, 'host_pid is the other PHP process');
mv_check(strlen($w['task_id']) >= 8, 'task id');
mv_check(abs($w['started_at'] - microtime(true)) < 30, 'started_at is a unix time');
mv_check($w['elapsed'] >= 0 && $w['elapsed'] < 30, 'elapsed seconds');
mv_check($w['kind'] === 'exec' && $w['state'] === 'running', 'a cold worker: kind exec, state running');
mv_check($w['supervisor_pid'] > 0 && $w['supervisor_pid'] !== $w['pid'], 'supervisor pid');
var_dump(count(MultiWorker::running('tree')), count(MultiWorker::running('echo')));

// Filters match names exactly.
var_dump(MultiWorker::clear('tre'), MultiWorker::clear('echo'));
mv_check(mv_survivors($pids) === $pids, 'nothing was killed by other names');

var_dump(MultiWorker::clear('tree'));
// clear() returns only once every process of the tree is gone.
mv_check(mv_survivors($pids) === [], 'no process of the tree survives');
var_dump(MultiWorker::running());

echo stream_get_contents($pipes[1]);
echo stream_get_contents($pipes[2]);
var_dump(proc_close($proc));
@unlink($pidfile);

// clear() without a name kills everything of this user in the registry.
$p1 = mv_tmp('tree');
$p2 = mv_tmp('tree');
$procs = [];
foreach ([$p1, $p2] as $pf) {
    $c = $cmd;
    $c[count($c) - 1] = $pf;
    $procs[] = proc_open($c, [1 => ['pipe', 'w']], $pp);
}
$all = array_merge(mv_read_pids($p1), mv_read_pids($p2));
var_dump(count($all), count(MultiWorker::running()));
var_dump(MultiWorker::clear());
mv_check(mv_survivors($all) === [], 'both trees are gone');
foreach ($procs as $p) proc_close($p);
@unlink($p1);
@unlink($p2);
?>
--EXPECT--
array(0) {
}
int(0)
ok - the other process started a tree of 4
int(1)
array(10) {
  [0]=>
  string(3) "pid"
  [1]=>
  string(6) "worker"
  [2]=>
  string(7) "task_id"
  [3]=>
  string(10) "started_at"
  [4]=>
  string(7) "elapsed"
  [5]=>
  string(8) "host_pid"
  [6]=>
  string(14) "supervisor_pid"
  [7]=>
  string(4) "kind"
  [8]=>
  string(5) "state"
  [9]=>
  string(9) "namespace"
}
ok - worker name
ok - pid is the worker's root process
ok - host_pid is the other PHP process
ok - task id
ok - started_at is a unix time
ok - elapsed seconds
ok - a cold worker: kind exec, state running
ok - supervisor pid
int(1)
int(0)
int(0)
int(0)
ok - nothing was killed by other names
int(1)
ok - no process of the tree survives
array(0) {
}
Multiverse\WorkerException: worker 'tree' was killed by clear() (process tree killed)
the other host lives on
int(0)
int(8)
int(2)
int(2)
ok - both trees are gone
