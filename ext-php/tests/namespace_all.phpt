--TEST--
Namespaces: running(all: true) and clear(all: true) see the workers of every namespace
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
$dir = mv_setup(['namespace' => 'mine']);

// Two other PHP processes run the tree worker in namespaces x and y.
$base = mv_php_command([
    'multiverse.runtime_dir' => $dir,
    'multiverse.workers_path' => __DIR__ . '/workers',
    'multiverse.python' => '/usr/bin/python3',
    'multiverse.kill_grace' => '0.5',
]);
$procs = $pidfiles = $pids = [];
foreach (['x', 'y'] as $ns) {
    $pidfiles[$ns] = mv_tmp("tree-$ns");
    $cmd = $base;
    array_push($cmd, '-r', '
        Multiverse\MultiWorker::configure(["namespace" => $argv[1]]);
        try {
            Multiverse\MultiWorker::run("tree", ["pidfile" => $argv[2]]);
        } catch (Multiverse\WorkerException $e) {
            echo $argv[1], ": ", $e->getMessage(), "\n";
        }
    ', '--', $ns, $pidfiles[$ns]);
    $procs[$ns] = proc_open($cmd, [1 => ['pipe', 'w']], $pipes[$ns]);
}
foreach ($pidfiles as $ns => $pf) $pids[$ns] = mv_read_pids($pf);
mv_check(count($pids['x']) === 4 && count($pids['y']) === 4, 'two trees of 4 started');

var_dump(count(MultiWorker::running()), count(MultiWorker::running(all: true)));
$seen = array_column(MultiWorker::running('tree', true), 'namespace');
sort($seen);
var_dump($seen);
// A name filter still applies across namespaces.
var_dump(MultiWorker::running('echo', true), MultiWorker::clear('echo', true));
mv_check(mv_survivors(array_merge($pids['x'], $pids['y'])) === array_merge($pids['x'], $pids['y']),
         'nothing killed by another name');

var_dump(MultiWorker::clear(all: true));
mv_check(mv_survivors(array_merge($pids['x'], $pids['y'])) === [], 'both trees are gone');
var_dump(MultiWorker::running(null, true));
foreach (['x', 'y'] as $ns) {
    echo stream_get_contents($pipes[$ns][1]);
    proc_close($procs[$ns]);
    @unlink($pidfiles[$ns]);
}
?>
--EXPECT--
ok - two trees of 4 started
int(0)
int(2)
array(2) {
  [0]=>
  string(1) "x"
  [1]=>
  string(1) "y"
}
array(0) {
}
int(0)
ok - nothing killed by another name
int(2)
ok - both trees are gone
array(0) {
}
x: worker 'tree' was killed by clear() (process tree killed)
y: worker 'tree' was killed by clear() (process tree killed)
