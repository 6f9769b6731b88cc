--TEST--
progress: ProcessManager::run counts every process added, one call per process that ends
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
mv_setup();

$m = Process::manager();
foreach (range(1, 4) as $i) $m->add(fn() => usleep(30000 * $i) ?? $i);
$calls = [];
$r = $m->run(1, progress: function (int $done, int $total) use (&$calls) {
    $calls[] = "$done/$total";
});
var_dump(count($r), implode(' ', $calls));

// A second run() on the same manager: all four ended before it.
$m->add(fn() => 'five');
$calls = [];
$r = $m->run(progress: function (int $done, int $total) use (&$calls) {
    $calls[] = "$done/$total";
});
var_dump($r[4], implode(' ', $calls));
?>
--EXPECT--
int(4)
string(15) "1/4 2/4 3/4 4/4"
string(4) "five"
string(3) "5/5"
