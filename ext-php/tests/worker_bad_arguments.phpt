--TEST--
MultiWorker: bad arguments throw ValueError/TypeError naming the argument, before anything starts
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();
$marker = mv_tmp('marker');

function attempt(callable $f): void
{
    try {
        $f();
        echo "no exception\n";
    } catch (Throwable $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
}

// Worker names: no paths, no shell, nothing but [A-Za-z0-9_-].
attempt(fn() => MultiWorker::run('../etc'));
attempt(fn() => MultiWorker::run('/etc/passwd'));
attempt(fn() => MultiWorker::run(''));
attempt(fn() => MultiWorker::run('echo; rm -rf /'));
attempt(fn() => MultiWorker::run("echo\0x"));
attempt(fn() => MultiWorker::run(str_repeat('a', 256)));
// Timeouts.
attempt(fn() => MultiWorker::run('marker', ['path' => $marker], -1.0));
attempt(fn() => MultiWorker::run('marker', ['path' => $marker], NAN));
attempt(fn() => MultiWorker::run('marker', ['path' => $marker], INF));
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, '_timeout' => -2]));
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, '_timeout' => NAN]));
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, '_timeout' => '5']));
// Payloads that JSON cannot carry.
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, 'x' => INF]));
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, 'deep' => ['x' => [NAN]]]));
$fh = fopen('php://memory', 'r');
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, 'fh' => $fh]));
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, 's' => "\xff\xfe"]));
$loop = ['path' => $marker];
$loop['self'] = &$loop;
attempt(fn() => MultiWorker::run('marker', $loop));
// Wrong types.
attempt(fn() => MultiWorker::run('marker', 'not an array'));
attempt(fn() => MultiWorker::run(['marker']));
// runMany: the same checks, per entry, before any call starts.
attempt(fn() => MultiWorker::runMany(['a' => ['marker', ['path' => $marker]], 'b' => ['../x', []]]));
attempt(fn() => MultiWorker::runMany(['a' => ['marker', ['path' => $marker]], 'b' => ['marker', ['v' => INF]]]));
attempt(fn() => MultiWorker::runMany(['a' => ['marker', ['path' => $marker]], 7 => 'marker']));
attempt(fn() => MultiWorker::runMany(['a' => ['marker', 'payload']]));
attempt(fn() => MultiWorker::runMany([['marker', ['path' => $marker]]], -1));
attempt(fn() => MultiWorker::runMany([['marker', ['path' => $marker]]], 0, -0.5));
attempt(fn() => MultiWorker::runMany([['marker', ['path' => $marker, '_timeout' => []]]]));
// clear()/running() filters.
attempt(fn() => MultiWorker::clear('../*'));
attempt(fn() => MultiWorker::running('a/b'));

mv_check(!file_exists($marker), 'nothing was started');
mv_check(MultiWorker::running() === [], 'nothing is running');
// The same call with good arguments does run.
var_dump(MultiWorker::run('marker', ['path' => $marker]));
mv_check(file_exists($marker), 'the good call ran');
unlink($marker);
?>
--EXPECT--
ValueError: Multiverse\MultiWorker::run(): Argument #1 ($worker) must contain only letters, digits, '_' and '-' (no paths), got "../etc"
ValueError: Multiverse\MultiWorker::run(): Argument #1 ($worker) must contain only letters, digits, '_' and '-' (no paths), got "/etc/passwd"
ValueError: Multiverse\MultiWorker::run(): Argument #1 ($worker) must not be empty, got ""
ValueError: Multiverse\MultiWorker::run(): Argument #1 ($worker) must contain only letters, digits, '_' and '-' (no paths), got "echo; rm -rf /"
ValueError: Multiverse\MultiWorker::run(): Argument #1 ($worker) must contain only letters, digits, '_' and '-' (no paths), got "echo\0x"
ValueError: Multiverse\MultiWorker::run(): Argument #1 ($worker) must be at most 255 bytes long, got "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
ValueError: Multiverse\MultiWorker::run(): Argument #3 ($timeout) must be a finite number of seconds >= 0, got a negative number
ValueError: Multiverse\MultiWorker::run(): Argument #3 ($timeout) must be a finite number of seconds >= 0, got NAN
ValueError: Multiverse\MultiWorker::run(): Argument #3 ($timeout) must be a finite number of seconds >= 0, got INF
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) key "_timeout" must be a finite number of seconds >= 0, got a negative number
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) key "_timeout" must be a finite number of seconds >= 0, got NAN
TypeError: Multiverse\MultiWorker::run(): Argument #2 ($payload) key "_timeout" must be of type ?float, string given
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) cannot be JSON-encoded: Inf and NaN cannot be JSON encoded
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) cannot be JSON-encoded: Inf and NaN cannot be JSON encoded
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) cannot be JSON-encoded: Type is not supported
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) cannot be JSON-encoded: Malformed UTF-8 characters, possibly incorrectly encoded
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) cannot be JSON-encoded: Recursion detected
TypeError: Multiverse\MultiWorker::run(): Argument #2 ($payload) must be of type array, string given
TypeError: Multiverse\MultiWorker::run(): Argument #1 ($worker) must be of type string, array given
ValueError: Multiverse\MultiWorker::runMany(): Argument #1 ($calls) entry 'b': worker name must contain only letters, digits, '_' and '-' (no paths), got "../x"
ValueError: Multiverse\MultiWorker::runMany(): Argument #1 ($calls) entry 'b': payload cannot be JSON-encoded: Inf and NaN cannot be JSON encoded
TypeError: Multiverse\MultiWorker::runMany(): Argument #1 ($calls) entry 7 must be [string $worker, array $payload], the entry is string
TypeError: Multiverse\MultiWorker::runMany(): Argument #1 ($calls) entry 'a' must be [string $worker, array $payload], the payload is string
ValueError: Multiverse\MultiWorker::runMany(): Argument #2 ($concurrency) must be >= 0 (0 = number of CPU cores), got -1
ValueError: Multiverse\MultiWorker::runMany(): Argument #3 ($timeout) must be a finite number of seconds >= 0, got a negative number
TypeError: Multiverse\MultiWorker::runMany(): Argument #1 ($calls) entry 0: key "_timeout" must be of type ?float, array given
ValueError: Multiverse\MultiWorker::clear(): Argument #1 ($worker) must contain only letters, digits, '_' and '-' (no paths), got "../*"
ValueError: Multiverse\MultiWorker::running(): Argument #1 ($worker) must contain only letters, digits, '_' and '-' (no paths), got "a/b"
ok - nothing was started
ok - nothing is running
array(1) {
  ["ok"]=>
  bool(true)
}
ok - the good call ran
