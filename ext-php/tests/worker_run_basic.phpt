--TEST--
MultiWorker::run(): payload on stdin, result on fd 3, environment, cwd
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();

$r = MultiWorker::run('echo', ['name' => 'Ada', 'n' => [1, 2.5, null, true], 'secret' => 'secret-marker']);
var_dump($r['payload']);
var_dump($r['worker']);
mv_check(strlen($r['task_id']) >= 8, 'MULTIVERSE_TASK_ID is set');
mv_check($r['cwd'] === __DIR__ . '/workers/echo', "the worker's cwd is its directory");
mv_check($r['argv'] === [], 'the payload is not in argv');
mv_check($r['env_has_payload'] === false, 'the payload is not in the environment');
mv_check($r['pid'] !== getmypid(), 'it ran in another process');

// An empty array is sent as {} (an object), and decodes back to [].
$r = MultiWorker::run('echo');
var_dump($r['payload'], $r['payload_type']);
$r = MultiWorker::run('echo', []);
var_dump($r['payload_type']);
// A list stays a list.
$r = MultiWorker::run('echo', [1, 2, 3]);
var_dump($r['payload'], $r['payload_type']);

// Unicode and slashes go through untouched.
$r = MultiWorker::run('echo', ['s' => "héllo/wörld ✓"]);
var_dump($r['payload']['s']);
?>
--EXPECT--
array(3) {
  ["name"]=>
  string(3) "Ada"
  ["n"]=>
  array(4) {
    [0]=>
    int(1)
    [1]=>
    float(2.5)
    [2]=>
    NULL
    [3]=>
    bool(true)
  }
  ["secret"]=>
  string(13) "secret-marker"
}
string(4) "echo"
ok - MULTIVERSE_TASK_ID is set
ok - the worker's cwd is its directory
ok - the payload is not in argv
ok - the payload is not in the environment
ok - it ran in another process
array(0) {
}
string(4) "dict"
string(4) "dict"
array(3) {
  [0]=>
  int(1)
  [1]=>
  int(2)
  [2]=>
  int(3)
}
string(4) "list"
string(17) "héllo/wörld ✓"
