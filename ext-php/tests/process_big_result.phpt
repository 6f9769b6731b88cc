--TEST--
Process: results of 100 MB come back without deadlock (map, fork, run)
--INI--
memory_limit=1G
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
mv_setup();

$mb = 1 << 20;
$t = microtime(true);
$r = Process::map([100, 1], fn($n) => str_repeat('x', $n * $mb), 2);
var_dump(strlen($r[0]), strlen($r[1]));
unset($r);

$p = Process::fork(fn() => str_repeat('y', 100 * $mb));
mv_check(strlen($p->getOutput()) === 100 * $mb, 'ForkProcess::getOutput(): 100 MB');
unset($p);

// Several big results at once, each child blocked on its pipe until read.
$r = Process::run([
    'a' => fn() => str_repeat('a', 30 * $mb),
    'b' => fn() => range(1, 1000000),
    'c' => fn() => str_repeat('c', 30 * $mb),
]);
var_dump(strlen($r['a']), count($r['b']), $r['b'][999999], strlen($r['c']));
mv_check(microtime(true) - $t < 60, 'in reasonable time');
?>
--EXPECT--
int(104857600)
int(1048576)
ok - ForkProcess::getOutput(): 100 MB
int(31457280)
int(1000000)
int(1000000)
int(31457280)
ok - in reasonable time
