--TEST--
MultiWorker::configure(): inherit_env and env are checked before anything is applied, messages naming the variable; config() and multiverse.inherit_env show them
--INI--
multiverse.inherit_env=0
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

$c = MultiWorker::config();
var_dump($c['inherit_env'], $c['env']);
ini_set('multiverse.inherit_env', 'on');
var_dump(MultiWorker::config()['inherit_env']);

MultiWorker::configure(['inherit_env' => false, 'env' => ['A' => '1', 'b_2' => 'x=y']]);
$before = MultiWorker::config();
var_dump($before['inherit_env'], $before['env']);

attempt(fn() => MultiWorker::configure(['inherit_env' => 1]));
attempt(fn() => MultiWorker::configure(['inherit_env' => 'no']));
attempt(fn() => MultiWorker::configure(['env' => 'A=1']));
attempt(fn() => MultiWorker::configure(['env' => ['A' => 1]]));
attempt(fn() => MultiWorker::configure(['env' => ['A' => null]]));
attempt(fn() => MultiWorker::configure(['env' => ['A' => ['x']]]));
attempt(fn() => MultiWorker::configure(['env' => ['1A' => 'x']]));
attempt(fn() => MultiWorker::configure(['env' => ['A=B' => 'x']]));
attempt(fn() => MultiWorker::configure(['env' => ['A-B' => 'x']]));
attempt(fn() => MultiWorker::configure(['env' => ['' => 'x']]));
attempt(fn() => MultiWorker::configure(['env' => ['x']]));
attempt(fn() => MultiWorker::configure(['env' => ["A\0B" => 'x']]));
attempt(fn() => MultiWorker::configure(['env' => ['A' => "x\0y"]]));
attempt(fn() => MultiWorker::configure(['env' => [str_repeat('A', 256) => 'x']]));
// One bad entry among good ones, and a good option next to a bad one:
// nothing is applied.
attempt(fn() => MultiWorker::configure(['env' => ['OK' => 'x', 'NOT OK' => 'y']]));
attempt(fn() => MultiWorker::configure(['timeout' => 5, 'env' => ['A' => 5]]));
var_dump(MultiWorker::config() === $before);
?>
--EXPECT--
bool(false)
array(0) {
}
bool(true)
bool(false)
array(2) {
  ["A"]=>
  string(1) "1"
  ["b_2"]=>
  string(3) "x=y"
}
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "inherit_env" must be of type ?bool, int given
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "inherit_env" must be of type ?bool, string given
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env" must be of type ?array (variable name => string), string given
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env": variable "A" must be of type string, int given
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env": variable "A" must be of type string, null given
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env": variable "A" must be of type string, array given
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env": invalid variable name "1A" (letters, digits and '_', not starting with a digit, at most 255 bytes)
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env": invalid variable name "A=B" (letters, digits and '_', not starting with a digit, at most 255 bytes)
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env": invalid variable name "A-B" (letters, digits and '_', not starting with a digit, at most 255 bytes)
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env": invalid variable name "" (letters, digits and '_', not starting with a digit, at most 255 bytes)
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env": invalid variable name "0" (letters, digits and '_', not starting with a digit, at most 255 bytes)
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env": invalid variable name "A\0B" (letters, digits and '_', not starting with a digit, at most 255 bytes)
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env": the value of variable "A" must not contain NUL bytes
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env": invalid variable name "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" (letters, digits and '_', not starting with a digit, at most 255 bytes)
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env": invalid variable name "NOT OK" (letters, digits and '_', not starting with a digit, at most 255 bytes)
TypeError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "env": variable "A" must be of type string, int given
bool(true)
