<?php
/*
 * Smoke test of an installed extension (loaded from php.ini or -d
 * extension=multiverse.so): a Python worker call, a typed exception, a
 * timeout that kills a tree, and a closure map. Prints "smoke ok".
 */
use Multiverse\MultiWorker;
use Multiverse\Process;
use Multiverse\TimeoutException;
use Multiverse\WorkerException;

if (!extension_loaded('multiverse')) {
    fwrite(STDERR, "the multiverse extension is not loaded\n");
    exit(1);
}
$fixtures = __DIR__ . '/../core/tests/fixtures/workers';
MultiWorker::configure(['workers_path' => $fixtures, 'python' => '/usr/bin/python3',
    'kill_grace' => 0.5, 'runtime_dir' => sys_get_temp_dir() . '/mv-pecl-smoke-' . getmypid()]);

function check(bool $ok, string $what): void {
    if (!$ok) {
        fwrite(STDERR, "smoke: $what failed\n");
        exit(1);
    }
}

check(MultiWorker::run('echo', ['a' => 1]) === ['echo' => ['a' => 1]], 'run()');
try {
    MultiWorker::run('fail', ['code' => 3, 'value' => 7]);
    check(false, 'WorkerException');
} catch (WorkerException $e) {
    check($e->getExitCode() === 3 && $e->getRemoteType() === 'ValueError', 'exception getters');
}
$pidfile = tempnam(sys_get_temp_dir(), 'mv-smoke-');
try {
    MultiWorker::run('tree', ['pidfile' => $pidfile], 1.0);
    check(false, 'TimeoutException');
} catch (TimeoutException $e) {
    $alive = array_filter(array_map('intval', file($pidfile)), fn ($p) => posix_kill($p, 0));
    check(count(file($pidfile)) === 4 && !$alive, 'timeout kills the tree');
}
unlink($pidfile);
check(Process::map(['x' => 1, 'y' => 2], fn ($v) => $v * 10) === ['x' => 10, 'y' => 20], 'Process::map');
echo "smoke ok\n";
