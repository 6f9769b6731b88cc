<?php
/*
 * PHP closures across cores: Process::map against a plain pcntl_fork +
 * socket-pair map written the way framework process pools do it, and
 * serial, for a CPU-bound closure and for 10 000 small items. Contenders
 * alternate round by round; medians and speed-ups over serial.
 */
use Multiverse\Process;

$rounds = (int) (getenv('BENCH_ROUNDS') ?: 3);
$cores = Process::getCpuCores();

/* The peer: chunk, fork one child per chunk, serialize back through a
 * socket pair, read everything, wait. */
function pcntl_map(array $items, callable $fn, int $workers): array {
    $chunks = array_chunk($items, (int) ceil(count($items) / $workers), true);
    $kids = [];
    foreach ($chunks as $chunk) {
        [$a, $b] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
        $pid = pcntl_fork();
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

// ~200 ms per item of the CPU row
$n = 200000;
do {
    $t0 = hrtime(true);
    burn($n);
    $took = (hrtime(true) - $t0) / 1e9;
    if ($took < 0.05) $n *= 2;
} while ($took < 0.05);
$n = (int) ($n * 0.2 / $took);

$rows = [
    'php_closures_cpu' => [array_fill(0, 2 * $cores, $n), fn ($x) => burn($x)],
    'php_closures_10k' => [range(1, 10000), fn ($x) => $x * 2 + 1],
];
foreach ($rows as $bench => [$items, $fn]) {
    $want = array_map($fn, $items);
    $contenders = [
        'serial' => fn () => array_map($fn, $items),
        'Process::map' => fn () => Process::map($items, $fn),
        'pcntl_fork + socket pair' => fn () => pcntl_map($items, $fn, $cores),
    ];
    $times = array_fill_keys(array_keys($contenders), []);
    for ($r = 0; $r < $rounds; $r++) {
        foreach ($contenders as $name => $c) {
            $t0 = hrtime(true);
            $out = $c();
            $times[$name][] = (hrtime(true) - $t0) / 1e9;
            if ($out !== $want) {
                fwrite(STDERR, "$bench/$name: wrong result\n");
                exit(1);
            }
        }
    }
    $med = function (array $v) { sort($v); return $v[intdiv(count($v), 2)]; };
    $serial = $med($times['serial']);
    foreach ($times as $name => $v) {
        echo json_encode(['bench' => $bench, 'contender' => $name, 'items' => count($items),
            'median_s' => $med($v), 'speedup_vs_serial' => $serial / $med($v), 'rounds' => $rounds]), "\n";
    }
}
