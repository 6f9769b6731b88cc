--TEST--
MultiWorker::configure()/config() and the multiverse.* INI settings
--INI--
multiverse.workers_path=/srv/workers
multiverse.timeout=2.5
multiverse.kill_grace=1
multiverse.python=/usr/bin/python3
multiverse.max_output=1M
multiverse.runtime_dir=/tmp/mv-phpt-config-ini
--FILE--
<?php
use Multiverse\MultiWorker;

function attempt(callable $f): void
{
    try {
        $f();
        echo "no exception\n";
    } catch (Throwable $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
}

var_dump(MultiWorker::config());

MultiWorker::configure([
    'workers_path' => __DIR__ . '/workers',
    'timeout' => 3,
    'kill_grace' => 0.25,
    'node' => '/usr/bin/node',
    'php' => PHP_BINARY,
    'max_output' => 4096,
    'runtime_dir' => '/tmp/mv-phpt-config-set',
]);
$c = MultiWorker::config();
var_dump($c['timeout'], $c['kill_grace'], $c['max_output'], $c['runtime_dir'], $c['node']);
var_dump($c['workers_path'] === __DIR__ . '/workers', $c['php'] === PHP_BINARY, $c['python']);

// null drops an override: the INI value applies again.
MultiWorker::configure(['timeout' => null, 'runtime_dir' => null, 'node' => null]);
$c = MultiWorker::config();
var_dump($c['timeout'], $c['runtime_dir'], $c['node']);

// ini_set() is honoured where configure() did not override.
ini_set('multiverse.kill_grace', '3');
var_dump(MultiWorker::config()['kill_grace']);
ini_set('multiverse.timeout', '7');
var_dump(MultiWorker::config()['timeout']);

// Bad options: nothing is applied.
$before = MultiWorker::config();
attempt(fn() => MultiWorker::configure(['timeout' => 1, 'nope' => 1]));
attempt(fn() => MultiWorker::configure(['Timeout' => 1]));
attempt(fn() => MultiWorker::configure([5 => 'x']));
attempt(fn() => MultiWorker::configure(['timeout' => -1]));
attempt(fn() => MultiWorker::configure(['timeout' => NAN]));
attempt(fn() => MultiWorker::configure(['kill_grace' => INF]));
attempt(fn() => MultiWorker::configure(['timeout' => '5']));
attempt(fn() => MultiWorker::configure(['max_output' => 0]));
attempt(fn() => MultiWorker::configure(['max_output' => 1.5]));
attempt(fn() => MultiWorker::configure(['runtime_dir' => 'relative/dir']));
attempt(fn() => MultiWorker::configure(['python' => '']));
attempt(fn() => MultiWorker::configure(['python' => 42]));
var_dump(MultiWorker::config() === $before);

// Bad INI values are refused with a warning; the old value stays.
var_dump(ini_set('multiverse.timeout', '-3'));
var_dump(ini_set('multiverse.max_output', '0'));
var_dump(MultiWorker::config()['timeout'], MultiWorker::config()['max_output']);
?>
--EXPECTF--
array(12) {
  ["workers_path"]=>
  string(12) "/srv/workers"
  ["timeout"]=>
  float(2.5)
  ["kill_grace"]=>
  float(1)
  ["python"]=>
  string(16) "/usr/bin/python3"
  ["node"]=>
  NULL
  ["php"]=>
  NULL
  ["max_output"]=>
  int(1048576)
  ["inherit_env"]=>
  bool(true)
  ["env"]=>
  array(0) {
  }
  ["runtime_dir"]=>
  string(23) "/tmp/mv-phpt-config-ini"
  ["namespace"]=>
  string(7) "default"
  ["warm"]=>
  array(0) {
  }
}
float(3)
float(0.25)
int(4096)
string(23) "/tmp/mv-phpt-config-set"
string(13) "/usr/bin/node"
bool(true)
bool(true)
string(16) "/usr/bin/python3"
float(2.5)
string(23) "/tmp/mv-phpt-config-ini"
NULL
float(0.25)
float(7)
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) contains unknown option "nope" (known options: workers_path, timeout, kill_grace, python, node, php, max_output, runtime_dir, inherit_env, env, warm, namespace)
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) contains unknown option "Timeout" (known options: workers_path, timeout, kill_grace, python, node, php, max_output, runtime_dir, inherit_env, env, warm, namespace)
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) must be an array of option => value, got integer key 5 (known options: workers_path, timeout, kill_grace, python, node, php, max_output, runtime_dir, inherit_env, env, warm, namespace)
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "timeout" is invalid: timeout must be >= 0, got -1
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "timeout" is invalid: timeout must be a number, got NAN
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "kill_grace" is invalid: kill_grace must be finite, got INF
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "timeout" must be of type ?float, string given
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "max_output" must be > 0, got 0
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "max_output" must be of type ?int, float given
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "runtime_dir" must be an absolute path, got "relative/dir"
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "python" must be a non-empty string without NUL bytes
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "python" must be of type ?string, int given
bool(true)

Warning: ini_set(): Invalid "multiverse.timeout" setting: multiverse.timeout must be >= 0, got -3 in %s on line %d
bool(false)

Warning: ini_set(): Invalid "multiverse.max_output" setting: must be > 0 in %s on line %d
bool(false)
float(7)
int(4096)
