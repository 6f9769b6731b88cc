--TEST--
MultiWorker::run(): a worker printing 200 MB fails clearly; PHP's memory does not grow with it
--INI--
memory_limit=64M
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();

$before = memory_get_usage();
try {
    MultiWorker::run('big');
} catch (Multiverse\WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    // The exception keeps the first MiB of stdout.
    var_dump(strlen($e->getOutput()));
    unset($e);
}
mv_check(memory_get_usage() - $before < 1024 * 1024, 'no PHP memory kept afterwards');

// A smaller max_output applies to the next call.
MultiWorker::configure(['max_output' => 100000]);
try {
    MultiWorker::run('big');
} catch (Multiverse\WorkerException $e) {
    echo $e->getMessage(), "\n";
    var_dump(strlen($e->getOutput()));
}
var_dump(MultiWorker::run('value', ['value' => [1, 2]]));
?>
--EXPECT--
Multiverse\WorkerException: worker 'big' wrote 209715200 bytes to stdout, more than max_output (67108864 bytes)
int(1048576)
ok - no PHP memory kept afterwards
worker 'big' wrote 209715200 bytes to stdout, more than max_output (100000 bytes)
int(100000)
array(2) {
  [0]=>
  int(1)
  [1]=>
  int(2)
}
