<?php
/*
 * One torture trial hosted by PHP (see host.py for the trial format).
 * kind "worker": MultiWorker::run; kind "fork": Process::fork, whose
 * closure starts the random tree (a Python builder, below the forked PHP
 * task) and then ends as told. Endings: exit, crash, timeout, cancel (fork:
 * ForkProcess::kill()), clear and hostkill (done by the driver).
 */
use Multiverse\MultiWorker;
use Multiverse\Process;
use Multiverse\TimeoutException;
use Multiverse\TaskException;
use Multiverse\WorkerException;

$t = json_decode($argv[1], true);
$python = $t['python'];
MultiWorker::configure(['workers_path' => __DIR__ . '/workers', 'python' => $python,
    'kill_grace' => $t['grace'], 'runtime_dir' => $t['runtime_dir']]);

function fds(): array {
    $v = array_map('intval', array_diff(scandir('/proc/self/fd'), ['.', '..']));
    sort($v);
    // scandir's own directory fd is closed again: drop fds that are gone
    return array_values(array_filter($v, fn ($fd) => file_exists("/proc/self/fd/$fd")));
}
function zombies(): array {
    $me = getmypid();
    $out = [];
    foreach (scandir('/proc') as $name) {
        if (!ctype_digit($name)) continue;
        $stat = @file_get_contents("/proc/$name/stat");
        if ($stat === false) continue;
        $f = explode(' ', substr($stat, strrpos($stat, ')') + 2));
        if ($f[0] === 'Z' && (int) $f[1] === $me) $out[] = (int) $name;
    }
    return $out;
}
function expected(array $node): int {
    $n = 1;
    foreach ($node['kids'] ?? [] as $k) $n += expected($k);
    return $n;
}
function wait_built(string $pidfile, int $want): void {
    $end = microtime(true) + 20;
    while (microtime(true) < $end) {
        $n = is_file($pidfile) ? count(file($pidfile, FILE_SKIP_EMPTY_LINES)) : 0;
        if ($n >= $want) return;
        usleep(5000);
    }
}

$end = $t['end'];
$rootEnd = in_array($end, ['exit', 'crash'], true) ? $end : 'linger';
$timeout = $end === 'timeout' ? $t['timeout'] : 30.0;
$outcome = 'ok';

// Warm-up: the cached supervisor image fd, the extension's loops.
if ($t['kind'] === 'fork') {
    Process::fork(fn () => 1)->wait(10);
} else {
    MultiWorker::run('torture', ['spec' => ['kids' => []], 'pidfile' => $t['pidfile'] . '.warmup', 'end' => 'exit']);
}
$before = fds();
try {
    if ($t['kind'] === 'worker') {
        MultiWorker::run('torture', ['spec' => $t['spec'], 'pidfile' => $t['pidfile'],
            'end' => $rootEnd], $timeout);
    } else {
        $spec = $t['spec'];
        $pidfile = $t['pidfile'];
        $p = Process::fork(function () use ($python, $spec, $pidfile, $rootEnd) {
            // The tree hangs below this forked PHP task: a Python builder
            // that is its root's only child.
            $proc = proc_open([$python, __DIR__ . '/tree.py'], [0 => ['pipe', 'r']], $pipes);
            fwrite($pipes[0], json_encode(['spec' => $spec, 'pidfile' => $pidfile, 'end' => 'linger']));
            fclose($pipes[0]);
            wait_built($pidfile, expected($spec) + 1);
            if ($rootEnd === 'exit') return 'built';
            if ($rootEnd === 'crash') posix_kill(posix_getpid(), SIGSEGV);
            sleep(1000);
        });
        file_put_contents($pidfile, $p->getPid() . "\n", FILE_APPEND);
        if ($end === 'cancel') {
            wait_built($pidfile, expected($spec) + 1);
            $p->kill();
        }
        try {
            $p->wait($end === 'timeout' ? $timeout : null);
            $p->getOutput();
        } finally {
            unset($p); // its loop's fds go with it
        }
    }
} catch (TimeoutException $e) {
    $outcome = 'timeout';
} catch (TaskException $e) {
    $outcome = 'task-error:' . $e->getOriginalClass();
} catch (WorkerException $e) {
    $outcome = 'worker-error:' . ($e->getSignal() ? 'signal ' . $e->getSignal() : 'exit ' . $e->getExitCode());
}
usleep(50000);
echo json_encode(['outcome' => $outcome, 'fds_before' => $before, 'fds_after' => fds(),
    'zombies' => zombies()]), "\n";
