<?php
/*
 * PHP -> Python worker call, 200 calls of a trivial echo worker, three
 * contenders alternating call by call:
 *  - MultiWorker::run (cold: a fresh interpreter per call)
 *  - MultiWorker::run of the same worker kept warm (issue 7)
 *  - the symfony/process approach of the Laravel package multiverse
 *    replaces: spawn `python3 main.py`, JSON over stdin/stdout.
 * Prints JSON rows: median and p95 latency per contender.
 */
require '/usr/share/php/Symfony/Component/Process/autoload.php';

use Multiverse\MultiWorker;
use Symfony\Component\Process\Process;

$calls = (int) (getenv('BENCH_CALLS') ?: 200);
$python = getenv('BENCH_PYTHON') ?: '/usr/bin/python3';
$workers = __DIR__ . '/workers';
MultiWorker::configure(['workers_path' => $workers, 'python' => $python]);

$payload = ['id' => 42, 'name' => 'multiverse', 'items' => [1, 2, 3]];

$contenders = [
    'MultiWorker::run (cold)' => fn () => MultiWorker::run('echo', $payload),
    'MultiWorker::run (warm)' => fn () => MultiWorker::run('echo_warm', $payload),
    'symfony/process' => function () use ($python, $workers, $payload) {
        $p = new Process([$python, "$workers/echo/main.py"]);
        $p->setInput(json_encode($payload));
        $p->setTimeout(30);
        $p->mustRun();
        return json_decode($p->getOutput(), true);
    },
];

$times = array_fill_keys(array_keys($contenders), []);
foreach ($contenders as $fn) {
    $fn(); // warm-up: the supervisor image, the warm process, opcache
}
for ($i = 0; $i < $calls; $i++) {
    foreach ($contenders as $name => $fn) {
        $t0 = hrtime(true);
        $out = $fn();
        $times[$name][] = (hrtime(true) - $t0) / 1e6;
        if ($out !== $payload) {
            fwrite(STDERR, "$name returned a wrong result\n");
            exit(1);
        }
    }
}

function pct(array $v, float $p): float {
    sort($v);
    $idx = (int) ceil($p * count($v)) - 1;
    return $v[max(0, min(count($v) - 1, $idx))];
}

$base = pct($times['symfony/process'], 0.5);
$cold = pct($times['MultiWorker::run (cold)'], 0.5);
foreach ($times as $name => $v) {
    echo json_encode([
        'bench' => 'php_worker_call', 'contender' => $name, 'calls' => $calls,
        'median_ms' => pct($v, 0.5), 'p95_ms' => pct($v, 0.95),
        'speedup_vs_symfony' => $base / pct($v, 0.5),
        'speedup_vs_cold' => $cold / pct($v, 0.5),
    ]), "\n";
}
