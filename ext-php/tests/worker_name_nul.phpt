--TEST--
MultiWorker: a worker name holding a NUL byte is refused with the whole name shown, the NUL escaped
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();

function attempt(callable $f): void
{
    try {
        $f();
        echo "no exception\n";
    } catch (Throwable $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
}

attempt(fn() => MultiWorker::run("a\0b"));
attempt(fn() => MultiWorker::run("echo\0../../etc/passwd"));
attempt(fn() => MultiWorker::runMany(['x' => ["a\0b", []]]));
attempt(fn() => MultiWorker::runMany(["k\0ey" => ["a/b", []]]));
attempt(fn() => MultiWorker::clear("a\0b"));
attempt(fn() => MultiWorker::running("a\0b"));
attempt(fn() => MultiWorker::configure(['warm' => ["a\0b" => true]]));
// Other bytes a terminal would not show, and the quote and backslash
// that delimit the escaping.
attempt(fn() => MultiWorker::run("tab\there\nnew\x1b[31m\x7f\"q\"\\"));
?>
--EXPECT--
ValueError: Multiverse\MultiWorker::run(): Argument #1 ($worker) must contain only letters, digits, '_' and '-' (no paths), got "a\0b"
ValueError: Multiverse\MultiWorker::run(): Argument #1 ($worker) must contain only letters, digits, '_' and '-' (no paths), got "echo\0../../etc/passwd"
ValueError: Multiverse\MultiWorker::runMany(): Argument #1 ($calls) entry 'x': worker name must contain only letters, digits, '_' and '-' (no paths), got "a\0b"
ValueError: Multiverse\MultiWorker::runMany(): Argument #1 ($calls) entry 'k\0ey': worker name must contain only letters, digits, '_' and '-' (no paths), got "a/b"
ValueError: Multiverse\MultiWorker::clear(): Argument #1 ($worker) must contain only letters, digits, '_' and '-' (no paths), got "a\0b"
ValueError: Multiverse\MultiWorker::running(): Argument #1 ($worker) must contain only letters, digits, '_' and '-' (no paths), got "a\0b"
ValueError: Multiverse\MultiWorker::configure(): Argument #1 ($options) option "warm" must map worker names to settings, got key "a\0b"
ValueError: Multiverse\MultiWorker::run(): Argument #1 ($worker) must contain only letters, digits, '_' and '-' (no paths), got "tab\there\nnew\x1b[31m\x7f\"q\"\\"
