--TEST--
Namespaces: clear() in namespace A does not kill a worker that another PHP process runs in namespace B
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
$dir = mv_setup(['namespace' => 'app-a']);

// Another PHP process runs the tree worker under namespace app-b (set
// through its INI).
$pidfile = mv_tmp('tree');
$cmd = mv_php_command([
    'multiverse.runtime_dir' => $dir,
    'multiverse.workers_path' => __DIR__ . '/workers',
    'multiverse.python' => '/usr/bin/python3',
    'multiverse.kill_grace' => '0.5',
    'multiverse.namespace' => 'app-b',
]);
array_push($cmd, '-r', '
    try {
        Multiverse\MultiWorker::run("tree", ["pidfile" => $argv[1]]);
    } catch (Multiverse\WorkerException $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
', '--', $pidfile);
$proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
$pids = mv_read_pids($pidfile);
mv_check(count($pids) === 4, 'the other process started a tree of 4');

// Namespace app-a sees nothing and kills nothing, by any name.
var_dump(MultiWorker::running(), MultiWorker::running('tree'));
var_dump(MultiWorker::clear(), MultiWorker::clear('tree'));
usleep(200000);
mv_check(mv_survivors($pids) === $pids, 'every process of the tree in app-b is alive');

// The default namespace is another one again.
MultiWorker::configure(['namespace' => null]);
var_dump(MultiWorker::config()['namespace'], MultiWorker::clear());
mv_check(mv_survivors($pids) === $pids, 'still alive after a clear() in "default"');

// In app-b it is listed, with its namespace, and cleared.
MultiWorker::configure(['namespace' => 'app-b']);
$list = MultiWorker::running();
var_dump(count($list), $list[0]['namespace'], $list[0]['worker']);
mv_check($list[0]['pid'] === $pids[0], "the entry names the tree's root");
var_dump(MultiWorker::clear('tree'));
mv_check(mv_survivors($pids) === [], 'no process of the tree survives');
echo stream_get_contents($pipes[1]);
var_dump(proc_close($proc));
@unlink($pidfile);
?>
--EXPECT--
ok - the other process started a tree of 4
array(0) {
}
array(0) {
}
int(0)
int(0)
ok - every process of the tree in app-b is alive
string(7) "default"
int(0)
ok - still alive after a clear() in "default"
int(1)
string(5) "app-b"
string(4) "tree"
ok - the entry names the tree's root
int(1)
ok - no process of the tree survives
Multiverse\WorkerException: worker 'tree' was killed by clear() (process tree killed)
int(0)
