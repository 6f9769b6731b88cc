<?php
/*
 * PHP closures across cores: Process::map against a hand-written
 * pcntl_fork + socket-pair chunked map (the way framework process pools
 * do it) with the same number of workers (the CPU cores), and serial as a
 * reference. Contenders alternate call by call.
 *
 * Target 3 (map_10k): 10 000 tiny items, fn($x) => $x * 2: all overhead.
 * map_cpu: 2 x cores items of ~200 ms of arithmetic each.
 *
 * The peer's children end with posix_kill(getmypid(), SIGKILL) after
 * writing (no PHP shutdown, like multiverse's _exit()).
 */
require __DIR__ . '/lib.php';

use Multiverse\Process;

$cores = Process::getCpuCores();

/* The peer: chunk, fork one child per chunk, serialize back through a
 * socket pair, read everything, wait. */
function pcntl_map(array $items, callable $fn, int $workers): array {
    $chunks = array_chunk($items, (int) ceil(count($items) / $workers), true);
    $kids = [];
    foreach ($chunks as $chunk) {
        [$a, $b] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
        $pid = pcntl_fork();
        if ($pid === -1) bench_fail('pcntl_fork failed');
        if ($pid === 0) {
            fclose($a);
            $out = [];
            foreach ($chunk as $k => $v) {
                $out[$k] = $fn($v);
            }
            fwrite($b, serialize($out));
            fclose($b);
            posix_kill(getmypid(), SIGKILL); // skip shutdown, like _exit
        }
        fclose($b);
        $kids[] = [$pid, $a];
    }
    $result = [];
    foreach ($kids as [$pid, $sock]) {
        $result += unserialize(stream_get_contents($sock));
        fclose($sock);
        pcntl_waitpid($pid, $status);
    }
    return $result;
}

function burn(int $n): int {
    $acc = 0;
    for ($i = 0; $i < $n; $i++) {
        $acc = ($acc * 31 + $i) % 1000003;
    }
    return $acc;
}

$which = array_slice($argv, 1) ?: ['map', 'cpu'];
$rows = [];
if (in_array('map', $which, true)) {
    $rows['map_10k'] = [range(1, 10000), fn ($x) => $x * 2,
                        (int) (getenv('BENCH_MAP_ROUNDS') ?: 60)];
}
if (in_array('cpu', $which, true)) {
    // ~200 ms per item
    $n = 200000;
    do {
        $t0 = hrtime(true);
        burn($n);
        $took = (hrtime(true) - $t0) / 1e9;
        if ($took < 0.05) $n *= 2;
    } while ($took < 0.05);
    $n = (int) ($n * 0.2 / $took);
    $rows['map_cpu'] = [array_fill(0, 2 * $cores, $n), fn ($x) => burn($x),
                        (int) (getenv('BENCH_ROUNDS') ?: 5)];
}
foreach ($rows as $bench => [$items, $fn, $rounds]) {
    $want = array_map($fn, $items);
    $contenders = [
        'Process::map' => fn () => Process::map($items, $fn, $cores),
        'pcntl_fork + socket pair' => fn () => pcntl_map($items, $fn, $cores),
        'serial' => fn () => array_map($fn, $items),
    ];
    $sides = ['Process::map' => 'mv', 'pcntl_fork + socket pair' => 'peer', 'serial' => 'ref'];
    $check = function (string $name, $out) use ($want, $bench) {
        if ($out !== $want) bench_fail("$bench/$name: wrong result");
    };
    $times = bench_alternate($contenders, $rounds, 0.0, $check, 1);
    bench_sample_rows($bench, 'back to back', $times, $sides,
        ['items' => count($items), 'workers' => $cores]);
}
