<?php
/*
 * Target 5, PHP: N concurrent exec'd tasks (N = 1000 when the machine's
 * limits allow it), contenders alternating round by round:
 *  - MultiWorker::runMany(N calls of the worker "gate", concurrency N):
 *    every task under its own supervisor, whole-tree containment;
 *  - N bare proc_open() of the same executable (argv array, no shell):
 *    stdin and stdout pipes, stderr inherited, no containment at all;
 *    then read every stdout and proc_close().
 * The task (bench/gate.c) notes its pid and CLOCK_MONOTONIC time when it
 * begins running, then blocks until the observer (scale_watch.py) has
 * seen all N and counted the host's process tree. Per round: time until
 * all have started (last mark - call start), host CPU (getrusage of this
 * process over the whole call) per task, processes besides the tasks.
 */
require __DIR__ . '/lib.php';

use Multiverse\MultiWorker;

$python = getenv('BENCH_PYTHON') ?: '/usr/bin/python3';
$workers = __DIR__ . '/workers';
$gate = "$workers/gate/main";
if (!is_executable($gate)) bench_fail("$gate is missing: bench/run.sh compiles bench/gate.c there");
$watch = __DIR__ . '/scale_watch.py';
$rounds = (int) (getenv('BENCH_SCALE_ROUNDS') ?: 3);
$want = (int) (getenv('BENCH_SCALE_TASKS') ?: 1000);
$fit = json_decode(shell_exec(escapeshellarg($python) . ' ' . escapeshellarg($watch) . " fit $want"), true);
if (!is_array($fit)) bench_fail('scale_watch.py fit failed');
$n = $fit['tasks'];
fwrite(STDERR, "php scale: {$fit['why']}\n");
MultiWorker::configure(['workers_path' => $workers, 'python' => $python]);

function cpu_s(): float {
    $r = getrusage();
    return $r['ru_utime.tv_sec'] + $r['ru_utime.tv_usec'] / 1e6
         + $r['ru_stime.tv_sec'] + $r['ru_stime.tv_usec'] / 1e6;
}

$contenders = [
    'MultiWorker::runMany' => function (int $n) {
        $out = MultiWorker::runMany(array_fill(0, $n, ['gate', []]), $n, 300.0);
        return count(array_filter($out, fn ($v) => $v === 1));
    },
    'proc_open (bare)' => function (int $n) use ($gate) {
        $procs = [];
        for ($i = 0; $i < $n; $i++) {
            $p = proc_open([$gate], [0 => ['pipe', 'r'], 1 => ['pipe', 'w']], $pipes);
            if (!is_resource($p)) bench_fail("proc_open $i failed");
            fwrite($pipes[0], '{}');
            fclose($pipes[0]);
            $procs[] = [$p, $pipes[1]];
        }
        $ok = 0;
        foreach ($procs as [$p, $stdout]) {
            $ok += json_decode(stream_get_contents($stdout)) === 1;
            fclose($stdout);
            proc_close($p);
        }
        return $ok;
    },
];
$sides = ['MultiWorker::runMany' => 'mv', 'proc_open (bare)' => 'peer'];

$res = [];
$dir = sys_get_temp_dir();
for ($r = 0; $r < $rounds; $r++) {
    $order = $r % 2 === 0 ? array_keys($contenders) : array_reverse(array_keys($contenders));
    foreach ($order as $name) {
        $mark = tempnam($dir, 'mv-bench-mark-');
        $lock = tempnam($dir, 'mv-bench-lock-');
        putenv("BENCH_MARK=$mark");
        putenv("BENCH_LOCK=$lock");
        $obs = proc_open([$python, $watch, 'watch', (string) getmypid(), (string) $n, $mark, $lock, '240'],
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w']], $opipes);
        if (trim((string) fgets($opipes[1])) !== 'ready') bench_fail('the observer did not start');
        $cpu0 = cpu_s();
        $t0 = hrtime(true);
        $ok = $contenders[$name]($n);
        $wall = (hrtime(true) - $t0) / 1e9;
        $cpu = cpu_s() - $cpu0;
        $seen = json_decode(stream_get_contents($opipes[1]), true);
        fclose($opipes[1]);
        proc_close($obs);
        $stamps = array_map(fn ($l) => (int) explode(' ', $l)[1],
            file($mark, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES));
        unlink($mark);
        unlink($lock);
        if ($ok !== $n || count($stamps) !== $n || $seen['timed_out'])
            bench_fail("$name: $ok of $n results, " . count($stamps) . " started, observer: " . json_encode($seen));
        $res[$name][] = [
            'start_all_s' => (max($stamps) - $t0) / 1e9,
            'first_start_ms' => (min($stamps) - $t0) / 1e6,
            'host_cpu_ms_per_task' => $cpu * 1000 / $n,
            'extra_procs' => $seen['other_procs'],
            'extra_by_name' => $seen['other_by_name'],
            'extra_cpu_ms_per_task' => $seen['other_cpu_s'] * 1000 / $n,
            'wall_s' => $wall,
        ];
        sleep(1); // let the machine settle between rounds
    }
}
foreach ($res as $name => $rs) {
    $row = ['bench' => 'concurrent', 'lang' => 'php', 'mode' => 'all at once', 'contender' => $name,
        'side' => $sides[$name], 'tasks' => $n, 'requested' => $fit['requested'], 'fit' => $fit['why'],
        'rounds' => count($rs)];
    foreach (array_keys($rs[0]) as $k) {
        $row[$k] = array_column($rs, $k);
    }
    bench_emit($row);
}
