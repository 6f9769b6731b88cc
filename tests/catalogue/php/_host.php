<?php
/*
 * What every PHP case of the catalogue shares. A case is a small script:
 *
 *     require __DIR__ . '/_host.php';
 *     attempt(fn () => MultiWorker::run('../etc'));   // the bad input
 *     carry_on();                                      // then a normal call
 *
 * $argv[1] is the harness's JSON ($CASE): workers_path, runtime_dir,
 * python, and whatever the case needs. Output, one line each:
 *   OUTCOME {json}     what attempt() caught: class, message and the
 *                      exception's fields (class null: nothing was thrown)
 *   FACT name {json}   an observation the harness checks
 *   CARRIED-ON {json}  the result of the normal call made afterwards
 */
use Multiverse\MultiWorker;
use Multiverse\WorkerException;

$CASE = json_decode($argv[1], true, 512, JSON_THROW_ON_ERROR);
// With the extension turned off (multiverse.enabled=0) configure() throws
// too: that case makes its own attempt.
if (ini_get('multiverse.enabled')) {
    MultiWorker::configure(['workers_path' => $CASE['workers_path'], 'python' => $CASE['python'],
        'runtime_dir' => $CASE['runtime_dir'], 'kill_grace' => 0.5]);
}

function emit(string $tag, mixed $value): void
{
    echo $tag, ' ', json_encode($value, JSON_PRESERVE_ZERO_FRACTION | JSON_INVALID_UTF8_SUBSTITUTE
        | JSON_PARTIAL_OUTPUT_ON_ERROR), "\n";
}

function fact(string $name, mixed $value): void
{
    emit("FACT $name", $value);
}

/** What the harness needs to know about a caught exception. */
function describe(\Throwable $e): array
{
    $out = ['class' => get_class($e), 'message' => $e->getMessage()];
    if ($e instanceof WorkerException) {
        $codes = array_flip((new \ReflectionClass(WorkerException::class))->getConstants());
        $out += ['code' => $codes[$e->getCode()] ?? $e->getCode(),
            'exit_code' => $e->getExitCode(), 'signal' => $e->getSignal(),
            'elapsed' => $e->getElapsed(), 'driver' => $e->getDriver(),
            'output_bytes' => strlen($e->getOutput()), 'error_output_bytes' => strlen($e->getErrorOutput())];
    }
    return $out;
}

function attempt(callable $provoke): void
{
    try {
        $out = ['class' => null, 'value' => $provoke()];
    } catch (\Throwable $e) {
        $out = describe($e);
    }
    emit('OUTCOME', $out);
}

/** The host carries on: one normal call (by default, a worker), then its
 *  zombie children, of which there must be none. */
function carry_on(?callable $call = null): void
{
    $call ??= fn () => MultiWorker::run('echo', ['carry' => 'on']);
    emit('CARRIED-ON', $call());
    fact('zombies', zombies());
}

function zombies(): array
{
    $me = getmypid();
    $out = [];
    foreach (scandir('/proc') as $name) {
        $stat = ctype_digit($name) ? @file_get_contents("/proc/$name/stat") : false;
        if ($stat === false) continue;
        $f = explode(' ', substr($stat, strrpos($stat, ')') + 2));
        if ($f[0] === 'Z' && (int) $f[1] === $me) $out[] = (int) $name;
    }
    return $out;
}

function open_fds(): int
{
    return count(scandir('/proc/self/fd')) - 3;   // ., .. and scandir's own fd
}

/** Use up every free file descriptor below a soft limit of 64, then give
 *  $free of them back; returns the handles to release afterwards. */
function starve_fds(int $free): array
{
    posix_setrlimit(POSIX_RLIMIT_NOFILE, 64, posix_getrlimit()['hard openfiles']);
    $held = [];
    while (($f = @fopen('/dev/null', 'r')) !== false) $held[] = $f;
    for ($i = 0; $i < $free && $held; $i++) fclose(array_pop($held));
    return $held;
}

function release_fds(array $held): void
{
    foreach ($held as $f) fclose($f);
    posix_setrlimit(POSIX_RLIMIT_NOFILE, 1024, posix_getrlimit()['hard openfiles']);
}

/** The fd sweep: $call with 0, 1, 2 ... free fds until it has worked three
 *  times in a row. Every failure on the way must say what ran out. */
function fd_sweep(callable $call): array
{
    $steps = [];
    $ok = 0;
    for ($free = 0; $free < 64 && $ok < 3; $free++) {
        $held = starve_fds($free);
        try {
            $call();
            $step = ['free' => $free, 'class' => null];
            $ok++;
        } catch (\Throwable $e) {
            $step = ['free' => $free] + describe($e);
            $ok = 0;
        } finally {
            release_fds($held);
        }
        $steps[] = $step;
    }
    return $steps;
}
