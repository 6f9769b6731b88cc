<?php
/* Process::map over forked children and MultiWorker::runMany, both with a
 * progress callable, inside an FPM request. */
require __DIR__ . '/common.inc';
use Multiverse\MultiWorker;
use Multiverse\Process;

try {
    $told = [];
    $map = Process::map(range(1, 6), fn($x) => [$x * $x, getmypid()], 3,
        progress: function (int $done, int $total) use (&$told) { $told[] = "$done/$total"; });
    $many = MultiWorker::runMany(['a' => ['echo', ['n' => 1]], 'b' => ['echo', ['n' => 2]]]);
    mv_answer([
        'squares' => array_column($map, 0),
        'child_pids' => array_values(array_unique(array_column($map, 1))),
        'progress' => $told,
        'many' => [$many['a']['echo']['n'], $many['b']['echo']['n']],
    ]);
} catch (Throwable $e) {
    mv_answer(mv_error($e));
}
