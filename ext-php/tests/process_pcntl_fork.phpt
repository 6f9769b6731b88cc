--TEST--
After a user's pcntl_fork(): the child gets its own loops; the copies of the parent's tasks are never touched
--EXTENSIONS--
pcntl
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\Process;
mv_setup();

MultiWorker::run('quick');
$bg = Process::fork(function () { usleep(600000); return 'parent task'; });
$out = mv_tmp('out');
$pid = pcntl_fork();
if ($pid === 0) {
    $r = [
        MultiWorker::run('value', ['value' => 'worker in pcntl child']),
        Process::map([1, 2], fn($x) => $x * 3),
        $bg->isRunning(),
    ];
    file_put_contents($out, json_encode($r));
    exit(0); // PHP's normal shutdown: the copy of $bg must not kill the parent's task
}
pcntl_waitpid($pid, $status);
var_dump(pcntl_wexitstatus($status));
var_dump(json_decode(file_get_contents($out), true));
unlink($out);
var_dump($bg->isRunning() || $bg->getExitCode() === 0);
var_dump($bg->getOutput());
var_dump(MultiWorker::run('quick'));
?>
--EXPECT--
int(0)
array(3) {
  [0]=>
  string(21) "worker in pcntl child"
  [1]=>
  array(2) {
    [0]=>
    int(3)
    [1]=>
    int(6)
  }
  [2]=>
  bool(false)
}
bool(true)
string(11) "parent task"
array(1) {
  ["ok"]=>
  bool(true)
}
