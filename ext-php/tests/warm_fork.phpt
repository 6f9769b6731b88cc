--TEST--
Warm workers after fork (Process::fork, pcntl_fork): the child never uses the parent's process; the parent's stays alive and serves on
--EXTENSIONS--
pcntl
--SKIPIF--
<?php
if (!is_file(__DIR__ . '/../../ext-python/multiverse/worker.py')) die('skip needs the Python SDK (ext-python/)');
?>
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\Process;
mv_setup();
mv_use_sdk();

$parent = MultiWorker::run('warm_sdk')['pid'];

// Process::fork: the child starts a warm process of its own, which dies
// with the child (it ends with _exit, no shutdown: its supervisor sees
// the host gone).
$f = Process::fork(fn() => MultiWorker::run('warm_sdk'));
$f->wait();
$child = $f->getOutput();
mv_check($child['pid'] !== $parent && $child['served'] === 1, 'Process::fork child: its own warm process');
mv_check(mv_gone($child['pid']), "the child's warm process ended with the child");
$r = MultiWorker::run('warm_sdk');
mv_check($r['pid'] === $parent && $r['served'] === 2, "the parent's process serves on");

// pcntl_fork: the same, and the child's normal shutdown retires only its
// own warm process.
$out = mv_tmp('warm-fork');
$pid = pcntl_fork();
if ($pid === 0) {
    file_put_contents($out, json_encode(MultiWorker::run('warm_sdk')));
    exit(0);
}
pcntl_waitpid($pid, $status);
$child = json_decode(file_get_contents($out), true);
unlink($out);
mv_check($child['pid'] !== $parent && $child['served'] === 1, 'pcntl_fork child: its own warm process');
mv_check(!mv_alive($child['pid']), "the child's warm process retired when the child ended");
mv_check(mv_alive($parent), "the parent's process is alive");
$r = MultiWorker::run('warm_sdk');
mv_check($r['pid'] === $parent && $r['served'] === 3, "the parent's process serves on");

// A child that never calls a worker ends without touching the parent's.
$pid = pcntl_fork();
if ($pid === 0) exit(0);
pcntl_waitpid($pid, $status);
$r = MultiWorker::run('warm_sdk');
mv_check($r['pid'] === $parent && $r['served'] === 4, "untouched by a child's shutdown");
?>
--EXPECT--
ok - Process::fork child: its own warm process
ok - the child's warm process ended with the child
ok - the parent's process serves on
ok - pcntl_fork child: its own warm process
ok - the child's warm process retired when the child ended
ok - the parent's process is alive
ok - the parent's process serves on
ok - untouched by a child's shutdown
