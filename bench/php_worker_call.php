<?php
/*
 * PHP -> Python worker calls, both on /usr/bin/python3, contenders
 * alternating call by call:
 *
 * Target 1 (cold_call), back to back and spaced:
 *  - MultiWorker::run('echo') (cold: a fresh interpreter per call)
 *  - symfony/process: `python3 echo/main.py`, the JSON payload on stdin,
 *    the JSON result from stdout (what the Laravel package did).
 *
 * Target 4 (warm_call), back to back:
 *  - MultiWorker::run('echo_warm') (the worker kept warm: multiverse.json)
 *  - a raw pipe round trip: the very same echo_warm/main.py started once
 *    with proc_open (MULTIVERSE_WARM=1, so the SDK serves a line per
 *    line; with no result fd it answers on stdout), one JSON line written
 *    to its stdin, one line read from its stdout.
 *
 * usage: php php_worker_call.php [cold|warm]...
 */
require '/usr/share/php/Symfony/Component/Process/autoload.php';
require __DIR__ . '/lib.php';

use Multiverse\MultiWorker;
use Symfony\Component\Process\Process;

$python = getenv('BENCH_PYTHON') ?: '/usr/bin/python3';
$workers = __DIR__ . '/workers';
MultiWorker::configure(['workers_path' => $workers, 'python' => $python]);
$payload = ['id' => 42, 'name' => 'multiverse', 'items' => [1, 2, 3]];
$check = function (string $name, $out) use ($payload) {
    if ($out !== $payload) bench_fail("$name returned a wrong result: " . var_export($out, true));
};
$which = array_slice($argv, 1) ?: ['cold', 'warm'];

if (in_array('cold', $which, true)) {
    $contenders = [
        'MultiWorker::run (cold)' => fn () => MultiWorker::run('echo', $payload),
        'symfony/process' => function () use ($python, $workers, $payload) {
            $p = new Process([$python, "$workers/echo/main.py"]);
            $p->setInput(json_encode($payload));
            $p->setTimeout(30);
            $p->mustRun();
            return json_decode($p->getOutput(), true);
        },
    ];
    $sides = ['MultiWorker::run (cold)' => 'mv', 'symfony/process' => 'peer'];
    $calls = ['back to back' => (int) (getenv('BENCH_CALLS') ?: 150),
              'spaced' => (int) (getenv('BENCH_SPACED_CALLS') ?: 60)];
    foreach (bench_modes() as $mode => $spacing) {
        $n = $spacing > 0 ? $calls['spaced'] : $calls['back to back'];
        $times = bench_alternate($contenders, $n, $spacing, $check);
        bench_sample_rows('cold_call', $mode, $times, $sides);
    }
}

if (in_array('warm', $which, true)) {
    // The persistent process of the raw contender: the same worker script.
    $env = getenv();
    unset($env['MULTIVERSE_RESULT_FD']);
    $env['MULTIVERSE_WARM'] = '1';
    $proc = proc_open([$python, "$workers/echo_warm/main.py"],
        [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => STDERR], $pipes, "$workers/echo_warm", $env);
    if (!is_resource($proc)) bench_fail('proc_open of the echo loop failed');
    [$in, $out] = [$pipes[0], $pipes[1]];
    if (json_decode((string) fgets($out), true) !== ['multiverse' => 'ready']) {  // the warm greeting
        bench_fail('echo_warm did not greet');
    }
    $contenders = [
        'MultiWorker::run (warm)' => fn () => MultiWorker::run('echo_warm', $payload),
        'proc_open pipe round trip' => function () use ($in, $out, $payload) {
            fwrite($in, json_encode($payload) . "\n");
            $line = fgets($out);
            return json_decode($line, true);
        },
    ];
    $sides = ['MultiWorker::run (warm)' => 'mv', 'proc_open pipe round trip' => 'peer'];
    $n = (int) (getenv('BENCH_WARM_CALLS') ?: 1000);
    $times = bench_alternate($contenders, $n, 0.0, $check, 20);
    bench_sample_rows('warm_call', 'back to back', $times, $sides);
    fclose($in);
    fclose($out);
    proc_close($proc);
}
