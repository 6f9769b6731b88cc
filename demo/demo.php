<?php
/*
 * The PHP half of the demo: PHP calls a Python worker, maps a closure over
 * every core, and puts a 1 s timeout on a worker whose process tree tries
 * to escape (a setsid child and a double-forked grandchild).
 */
use Multiverse\MultiWorker;
use Multiverse\Process;
use Multiverse\TimeoutException;
use Multiverse\WorkerException;

MultiWorker::configure(['workers_path' => __DIR__ . '/workers', 'python' => '/usr/bin/python3',
    'kill_grace' => 0.5]);

echo "PHP -> Python worker:\n";
$r = MultiWorker::run('wordcount', ['text' => 'the quick brown fox jumps over the lazy dog the end']);
printf("  %d words, most common: %s\n", $r['words'], json_encode($r['top']));

try {
    MultiWorker::run('wordcount', ['text' => 42]);
} catch (WorkerException $e) {
    $trace = $e->getRemoteTrace();
    $where = end($trace);
    printf("  a failing call arrives as %s: remote %s (%s) at %s:%d\n", get_class($e),
        $e->getRemoteType(), $e->getRemoteMessage(), basename($where['file']), $where['line']);
}

echo "A closure over ", Process::getCpuCores(), " cores:\n";
$t0 = microtime(true);
$primes = Process::map(['a' => 200000, 'b' => 210000, 'c' => 220000, 'd' => 230000], function (int $n) {
    $count = 0;
    for ($i = 2; $i < $n; $i++) {
        for ($j = 2; $j * $j <= $i; $j++) {
            if ($i % $j === 0) continue 2;
        }
        $count++;
    }
    return $count;
});
printf("  primes below each n: %s (%.2f s)\n", json_encode($primes), microtime(true) - $t0);

echo "A 1 s timeout on a worker whose tree tries to escape:\n";
$pidfile = tempnam(sys_get_temp_dir(), 'mv-demo-');
try {
    MultiWorker::run('escape', ['pidfile' => $pidfile], 1.0);
} catch (TimeoutException $e) {
    $pids = array_map('intval', file($pidfile, FILE_IGNORE_NEW_LINES));
    $alive = array_filter($pids, fn ($p) => file_exists("/proc/$p") &&
        !str_contains(file_get_contents("/proc/$p/stat"), ') Z'));
    printf("  %s after %.2f s; the tree had %d processes, %d alive now\n", get_class($e),
        $e->getElapsed(), count($pids), count($alive));
}
unlink($pidfile);
