--TEST--
1000 worker calls and 200 forks: no fd, zombie or memory growth in the PHP process
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\Process;
mv_setup();

// Warm up: the first calls create the loop and the supervisor image.
for ($i = 0; $i < 20; $i++) MultiWorker::run('quick');
Process::map([1, 2], fn($x) => $x);
gc_collect_cycles();
$fds = mv_fd_count();
$mem = memory_get_usage();
$rss = mv_rss_kb();

$ok = 0;
for ($i = 0; $i < 1000; $i++) {
    if (MultiWorker::run('quick', ['i' => $i]) === ['ok' => true]) $ok++;
    if ($i % 250 === 0) {
        try {
            MultiWorker::run('no_such_worker');
        } catch (Multiverse\WorkerException $e) {
        }
    }
}
var_dump($ok);
for ($i = 0; $i < 100; $i++) {
    $p = Process::fork(fn($n) => $n * 2, [$i]);
    if ($p->getOutput() !== $i * 2) echo "fork $i: wrong result\n";
}
for ($i = 0; $i < 50; $i++) {
    if (Process::map([1, 2, 3], fn($x) => $x + 1, 2) !== [2, 3, 4]) echo "map $i: wrong result\n";
}
for ($i = 0; $i < 25; $i++) {
    try {
        Process::run([fn() => throw new LogicException('x')]);
    } catch (Multiverse\TaskException $e) {
    }
}
unset($e, $p);
gc_collect_cycles();

$fd_growth = mv_fd_count() - $fds;
$mem_growth = memory_get_usage() - $mem;
$rss_growth = mv_rss_kb() - $rss;
mv_check($fd_growth === 0, "no fd growth ($fd_growth)");
mv_check(mv_zombies() === 0, 'no zombies');
mv_check(mv_children() === [], 'no child processes left');
mv_check($mem_growth < 64 * 1024, "no PHP memory growth ($mem_growth bytes)");
// Leaks outside PHP's allocator (the C core, malloc) show in the RSS.
mv_check($rss_growth < 2048, "no RSS growth ($rss_growth kB)");
var_dump(MultiWorker::running());
?>
--EXPECTF--
int(1000)
ok - no fd growth (0)
ok - no zombies
ok - no child processes left
ok - no PHP memory growth (%d bytes)
ok - no RSS growth (%i kB)
array(0) {
}
