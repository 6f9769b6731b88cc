--TEST--
progress: called in the calling process, while the others still run
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
mv_setup();

$me = getmypid();
$dir = mv_tmpdir('progress');
$seen = [];
// 'slow' waits until the progress callable has run once: it runs while
// the fan-out is still going, not after it.
$r = Process::run([
    'fast' => fn() => 'fast',
    'slow' => function () use ($dir) {
        $end = microtime(true) + 10;
        while (!file_exists("$dir/told") && microtime(true) < $end) usleep(5000);
        return file_exists("$dir/told") ? 'saw progress' : 'no progress seen';
    },
], 2, progress: function (int $done, int $total) use ($dir, &$seen) {
    $seen[] = [getmypid(), $done, $total];
    touch("$dir/told");
});
var_dump($r);
mv_check(array_unique(array_column($seen, 0)) === [$me], 'every call in the parent');
var_dump(array_map(fn($s) => "$s[1]/$s[2]", $seen));
mv_rmdir($dir);
?>
--EXPECT--
array(2) {
  ["fast"]=>
  string(4) "fast"
  ["slow"]=>
  string(12) "saw progress"
}
ok - every call in the parent
array(2) {
  [0]=>
  string(3) "1/2"
  [1]=>
  string(3) "2/2"
}
