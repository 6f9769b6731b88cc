--TEST--
WorkerException codes: the twelve class constants of API.md section 2, distinct; getCode() of a user-made exception stays the user's
--FILE--
<?php
use Multiverse\WorkerException;
$c = (new ReflectionClass(WorkerException::class))->getConstants();
var_dump($c);
mv_check(count(array_unique($c)) === 12 && !in_array(0, $c, true), 'distinct and never 0');
var_dump((new WorkerException('mine', 5))->getCode(), (new Multiverse\TimeoutException('t'))->getCode());
function mv_check(bool $ok, string $what): void { echo ($ok ? 'ok' : 'FAILED') . " - $what\n"; }
?>
--EXPECT--
array(12) {
  ["NOT_FOUND"]=>
  int(1)
  ["INTERPRETER_MISSING"]=>
  int(2)
  ["SPAWN_FAILED"]=>
  int(3)
  ["EXIT"]=>
  int(4)
  ["SIGNAL"]=>
  int(5)
  ["BAD_RESULT"]=>
  int(6)
  ["TOO_BIG"]=>
  int(7)
  ["LIMIT"]=>
  int(8)
  ["REMOTE"]=>
  int(9)
  ["CANCELLED"]=>
  int(10)
  ["TIMEOUT"]=>
  int(11)
  ["DISABLED"]=>
  int(12)
}
ok - distinct and never 0
int(5)
int(0)
