<?php
/*
 * Shared helpers of the PHP benchmarks: contenders alternating call by
 * call, optional spacing, one JSON row of raw samples per contender.
 * bench/report.py computes medians, ratios and verdicts from the samples.
 */

function bench_quick(): bool {
    return getenv('BENCH_QUICK') === '1';
}

function bench_spacing(): float {
    $s = getenv('BENCH_SPACING');
    return $s === false || $s === '' ? 0.2 : (float) $s;
}

/* The modes of the rows that have both: back to back, then spaced. */
function bench_modes(): array {
    $s = bench_spacing();
    return ['back to back' => 0.0, sprintf('spaced %g s', $s) => $s];
}

function bench_emit(array $row): void {
    echo json_encode($row, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
    flush();
}

/*
 * Calls every contender $calls times, alternating call by call (the order
 * flips every round, so neither always goes first); with a spacing, the
 * machine idles that long before every call. Returns name => call times
 * in ms. $check($name, $out) validates each result.
 */
function bench_alternate(array $contenders, int $calls, float $spacing = 0.0,
                         ?callable $check = null, int $warmup = 2): array {
    $names = array_keys($contenders);
    for ($w = 0; $w < $warmup; $w++) {
        foreach ($names as $name) {
            $out = $contenders[$name]();
            if ($check) $check($name, $out);
        }
    }
    $times = array_fill_keys($names, []);
    for ($i = 0; $i < $calls; $i++) {
        $order = $i % 2 === 0 ? $names : array_reverse($names);
        foreach ($order as $name) {
            if ($spacing > 0) usleep((int) ($spacing * 1e6));
            $t0 = hrtime(true);
            $out = $contenders[$name]();
            $took = (hrtime(true) - $t0) / 1e6;
            if ($check) $check($name, $out);
            $times[$name][] = $took;
        }
    }
    return $times;
}

function bench_sample_rows(string $bench, string $mode, array $times, array $sides,
                           array $extra = []): void {
    foreach ($times as $name => $samples) {
        bench_emit(['bench' => $bench, 'lang' => 'php', 'mode' => $mode, 'contender' => $name,
            'side' => $sides[$name], 'unit' => 'ms', 'calls' => count($samples),
            'samples' => array_map(fn ($s) => round($s, 4), $samples)] + $extra);
    }
}

function bench_fail(string $msg): never {
    fwrite(STDERR, $msg . "\n");
    exit(1);
}
