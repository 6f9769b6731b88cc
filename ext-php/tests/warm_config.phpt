--TEST--
Warm workers and the configuration: settings checked by configure() before anything is stored; another interpreter gets a new process, the same settings keep it; a relative workers_path after chdir(); "false" and a malformed multiverse.json
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\WorkerException;
mv_setup();

// Settings: the types are checked by the extension, the ranges by the
// core; a rejected configure() stores nothing, the other options included.
MultiWorker::configure(['timeout' => 5, 'warm' => ['a' => true, 'b' => ['idle_timeout' => 2]]]);
foreach ([
    ['w' => ['max_requests' => -1]],
    ['w' => ['idle_timeout' => NAN]],
    ['w' => ['idle_timeout' => INF]],
    ['w' => ['idle_timeout' => 1e9]],
    ['w' => ['processes' => PHP_INT_MAX]],
    ['w' => ['max_requests' => true]],
    ['ok' => true, 'w' => ['processes' => 0]],
] as $warm) {
    try {
        MultiWorker::configure(['timeout' => 9, 'warm' => $warm]);
        echo "accepted\n";
    } catch (Throwable $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
}
$c = MultiWorker::config();
var_dump($c['timeout'], $c['warm']);
MultiWorker::configure(['warm' => ['w' => ['processes' => 3, 'max_requests' => 7, 'idle_timeout' => 1]]]);
var_dump(MultiWorker::config()['warm']);
MultiWorker::configure(['warm' => null, 'timeout' => null]);

// Another interpreter (the same program under another path) is another
// setting: a new process, the old one retired. The same settings given
// again, or another timeout, keep the process.
$python = realpath('/usr/bin/python3');
mv_check($python !== '/usr/bin/python3', 'python3 is a link');
$a = MultiWorker::run('warm_echo');
MultiWorker::configure(['python' => '/usr/bin/python3', 'kill_grace' => 0.5, 'timeout' => 20]);
$b = MultiWorker::run('warm_echo');
mv_check($b['pid'] === $a['pid'] && $b['served'] === 2, 'the same settings given again and another timeout: the same process');
MultiWorker::configure(['python' => $python]);
$c = MultiWorker::run('warm_echo');
mv_check($c['pid'] !== $b['pid'] && $c['served'] === 1 && mv_gone($b['pid']), 'another interpreter: a new process, the old one retired');
MultiWorker::configure(['python' => '/usr/bin/python3', 'timeout' => null]);

// "false" makes a worker with multiverse.json cold; its pool is not
// touched meanwhile and serves again once the option is gone.
$p = MultiWorker::run('warm_echo')['pid'];
MultiWorker::configure(['warm' => ['warm_echo' => false]]);
$x = MultiWorker::run('warm_echo');
$y = MultiWorker::run('warm_echo');
mv_check($x['pid'] !== $p && $y['pid'] !== $x['pid'] && $y['served'] === 1 && $y['warm'] === null, 'warm => false: cold calls');
MultiWorker::configure(['warm' => null]);
$z = MultiWorker::run('warm_echo');
mv_check($z['pid'] === $p && mv_alive($p), 'the pool serves again');

// A relative workers_path (FPM runs each script in its own directory): a
// pool per directory, kept by the absolute path, so the same pool is found
// from anywhere that names the same directory.
$root = mv_tmpdir('warmdirs');
foreach (['app1', 'app2'] as $app) {
    mkdir("$root/$app/workers/warm_echo", 0777, true);
    copy(__DIR__ . '/workers/warm_echo/main.py', "$root/$app/workers/warm_echo/main.py");
    file_put_contents("$root/$app/workers/warm_echo/multiverse.json", '{"warm": {"max_requests": 2}}');
}
mkdir("$root/app1/workers/bad_json");
copy(__DIR__ . '/workers/warm_echo/main.py', "$root/app1/workers/bad_json/main.py");
file_put_contents("$root/app1/workers/bad_json/multiverse.json", '{"warm": ');
$cwd = getcwd();
MultiWorker::configure(['workers_path' => 'workers']);
chdir("$root/app1");
$r1 = MultiWorker::run('warm_echo');
chdir("$root/app2");
$r2 = MultiWorker::run('warm_echo');
mv_check($r2['pid'] !== $r1['pid'] && mv_alive($r1['pid']), 'another directory: another pool, the first one kept');
chdir('/');
MultiWorker::configure(['workers_path' => "$root/app1/workers"]);
$r3 = MultiWorker::run('warm_echo');
mv_check($r3['pid'] === $r1['pid'] && $r3['served'] === 2, 'from elsewhere, the absolute path finds the pool made with the relative one');
$r4 = MultiWorker::run('warm_echo');
mv_check($r4['pid'] !== $r1['pid'] && $r4['served'] === 1 && mv_gone($r1['pid']), 'after max_requests, a new process');
chdir("$root/app1");
MultiWorker::configure(['workers_path' => 'workers']);
$r5 = MultiWorker::run('warm_echo');
mv_check($r5['pid'] === $r4['pid'] && mv_alive($r2['pid']), 'back in the first directory: the same pool; the other one kept');

// A malformed multiverse.json fails the call; "false" does not read it.
try {
    MultiWorker::run('bad_json');
} catch (WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
MultiWorker::configure(['warm' => ['bad_json' => false]]);
var_dump(MultiWorker::run('bad_json')['warm']);
chdir($cwd);

MultiWorker::configure(['workers_path' => null]);
MultiWorker::clear();
var_dump(mv_wait_none());
foreach (['app1/workers/bad_json', 'app1/workers/warm_echo', 'app2/workers/warm_echo'] as $d) mv_rmdir("$root/$d");
foreach (['app1/workers', 'app2/workers', 'app1', 'app2', ''] as $d) rmdir("$root/$d");
?>
--EXPECT--
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm" is invalid: warm 'w': max_requests must be >= 0, got -1
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm" is invalid: warm 'w': idle_timeout must be a number, got NAN
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm" is invalid: warm 'w': idle_timeout must be finite, got INF
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm" is invalid: warm 'w': idle_timeout must be at most one year (3.1536e+07 s), got 1e+09
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm": "processes" of worker "w" is out of range, got 9223372036854775807
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm": "max_requests" of worker "w" must be of type int, bool given
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm" is invalid: warm 'w': processes must be >= 1, got 0
float(5)
array(2) {
  ["a"]=>
  array(4) {
    ["processes"]=>
    int(1)
    ["max_requests"]=>
    int(0)
    ["idle_timeout"]=>
    float(0)
    ["greet_timeout"]=>
    float(10)
  }
  ["b"]=>
  array(4) {
    ["processes"]=>
    int(1)
    ["max_requests"]=>
    int(0)
    ["idle_timeout"]=>
    float(2)
    ["greet_timeout"]=>
    float(10)
  }
}
array(1) {
  ["w"]=>
  array(4) {
    ["processes"]=>
    int(3)
    ["max_requests"]=>
    int(7)
    ["idle_timeout"]=>
    float(1)
    ["greet_timeout"]=>
    float(10)
  }
}
ok - python3 is a link
ok - the same settings given again and another timeout: the same process
ok - another interpreter: a new process, the old one retired
ok - warm => false: cold calls
ok - the pool serves again
ok - another directory: another pool, the first one kept
ok - from elsewhere, the absolute path finds the pool made with the relative one
ok - after max_requests, a new process
ok - back in the first directory: the same pool; the other one kept
Multiverse\WorkerException: multiverse.json is not valid JSON
NULL
array(0) {
}
