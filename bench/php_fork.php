<?php
/*
 * Target 2, PHP: one forked task per call, back to back and spaced,
 * contenders alternating call by call:
 *  - Process::fork(fn)->wait() + getOutput(): fork under a supervisor,
 *    the closure's return value serialized back;
 *  - the bare floor: pcntl_fork() + stream_socket_pair(), the child
 *    writes serialize(fn()) and ends with posix_kill(getmypid(), SIGKILL)
 *    (no PHP shutdown, the closest PHP has to _exit(), which is how
 *    multiverse's children end), the parent reads to end of file,
 *    pcntl_waitpid() and unserialize().
 */
require __DIR__ . '/lib.php';

use Multiverse\Process;

$fn = fn () => ['answer' => 42, 'pid' => getmypid()];

function bare_fork(callable $fn) {
    [$a, $b] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
    $pid = pcntl_fork();
    if ($pid === -1) bench_fail('pcntl_fork failed');
    if ($pid === 0) {
        fclose($a);
        fwrite($b, serialize($fn()));
        fclose($b);
        posix_kill(getmypid(), SIGKILL);
    }
    fclose($b);
    $data = stream_get_contents($a);
    fclose($a);
    pcntl_waitpid($pid, $status);
    return unserialize($data);
}

$contenders = [
    'Process::fork()->wait()' => function () use ($fn) {
        $p = Process::fork($fn);
        $p->wait();
        return $p->getOutput();
    },
    'pcntl_fork + socket pair' => fn () => bare_fork($fn),
];
$sides = ['Process::fork()->wait()' => 'mv', 'pcntl_fork + socket pair' => 'peer'];
$me = getmypid();
$check = function (string $name, $out) use ($me) {
    if (!is_array($out) || $out['answer'] !== 42 || $out['pid'] === $me)
        bench_fail("$name returned a wrong result: " . var_export($out, true));
};
$calls = ['back to back' => (int) (getenv('BENCH_FORK_CALLS') ?: 300),
          'spaced' => (int) (getenv('BENCH_SPACED_CALLS') ?: 60)];
foreach (bench_modes() as $mode => $spacing) {
    $n = $spacing > 0 ? $calls['spaced'] : $calls['back to back'];
    $times = bench_alternate($contenders, $n, $spacing, $check);
    bench_sample_rows('fork_call', $mode, $times, $sides);
}
