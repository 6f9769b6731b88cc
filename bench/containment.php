<?php
/*
 * Timeout containment, PHP side: the worker's tree has a plain child, a
 * setsid child and a double-forked grandchild; 1 s timeout through
 * MultiWorker::run vs symfony/process (setTimeout + wait). Reported:
 * processes of the tree alive after the call returned, and the time from
 * the deadline to the return. Contenders alternate round by round.
 */
require '/usr/share/php/Symfony/Component/Process/autoload.php';

use Multiverse\MultiWorker;
use Multiverse\TimeoutException;
use Symfony\Component\Process\Exception\ProcessTimedOutException;
use Symfony\Component\Process\Process;

$rounds = (int) (getenv('BENCH_ROUNDS') ?: 3);
$python = getenv('BENCH_PYTHON') ?: '/usr/bin/python3';
$workers = __DIR__ . '/workers';
MultiWorker::configure(['workers_path' => $workers, 'python' => $python, 'kill_grace' => 2.0]);
const TIMEOUT = 1.0;

function tree_pids(string $file): array {
    return is_file($file) ? array_map('intval', file($file, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES)) : [];
}
function alive(int $pid): bool {
    $stat = @file_get_contents("/proc/$pid/stat");
    if ($stat === false) return false;
    $state = explode(' ', trim(substr($stat, strrpos($stat, ')') + 2)))[0];
    return $state !== 'Z' && $state !== 'X';
}

$contenders = [
    'MultiWorker::run' => function (string $pidfile) {
        try {
            MultiWorker::run('tree3', ['pidfile' => $pidfile], TIMEOUT);
        } catch (TimeoutException $e) {
        }
    },
    'symfony/process' => function (string $pidfile) use ($python, $workers) {
        $p = new Process([$python, "$workers/tree3/main.py"]);
        $p->setInput(json_encode(['pidfile' => $pidfile]));
        $p->setTimeout(TIMEOUT);
        try {
            $p->run();
        } catch (ProcessTimedOutException $e) {
        }
    },
];

$res = [];
for ($r = 0; $r < $rounds; $r++) {
    foreach ($contenders as $name => $fn) {
        $pidfile = tempnam(sys_get_temp_dir(), 'mv-bench-tree-');
        unlink($pidfile);
        $t0 = hrtime(true);
        $fn($pidfile);
        $late = (hrtime(true) - $t0) / 1e9 - TIMEOUT;
        usleep(200000);
        $pids = tree_pids($pidfile);
        $res[$name]['late'][] = $late;
        $res[$name]['survivors'][] = count(array_filter($pids, 'alive'));
        foreach ($pids as $pid) {
            @posix_kill($pid, SIGKILL);
        }
        @unlink($pidfile);
    }
}
foreach ($res as $name => $r) {
    sort($r['late']);
    sort($r['survivors']);
    echo json_encode(['bench' => 'containment', 'lang' => 'php', 'contender' => $name,
        'survivors_median' => $r['survivors'][intdiv(count($r['survivors']), 2)],
        'survivors_max' => max($r['survivors']), 'tree_size' => 4,
        'deadline_to_return_ms' => $r['late'][intdiv(count($r['late']), 2)] * 1000,
        'rounds' => $rounds]), "\n";
}
