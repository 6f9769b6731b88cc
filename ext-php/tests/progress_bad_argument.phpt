--TEST--
progress: a value that is not callable is a TypeError before anything starts
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\Process;
mv_setup();

$marker = mv_tmp('marker');
foreach ([
    fn() => Process::map([1], fn($x) => touch($marker), progress: 'no_such_function'),
    fn() => Process::filter([1], fn($x) => touch($marker), progress: 42),
    fn() => Process::run([fn() => touch($marker)], progress: []),
    fn() => Process::manager()->run(progress: 'nope'),
    fn() => MultiWorker::runMany([['marker', ['path' => $marker]]], progress: 'nope'),
] as $f) {
    try {
        $f();
        echo "no error\n";
    } catch (TypeError $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
}
mv_check(!file_exists($marker), 'nothing ran');
?>
--EXPECT--
TypeError: Multiverse\Process::map(): Argument #4 ($progress) must be a valid callback or null, function "no_such_function" not found or invalid function name
TypeError: Multiverse\Process::filter(): Argument #4 ($progress) must be a valid callback or null, no array or string given
TypeError: Multiverse\Process::run(): Argument #4 ($progress) must be a valid callback or null, array callback must have exactly two members
TypeError: Multiverse\ProcessManager::run(): Argument #3 ($progress) must be a valid callback or null, function "nope" not found or invalid function name
TypeError: Multiverse\MultiWorker::runMany(): Argument #4 ($progress) must be a valid callback or null, function "nope" not found or invalid function name
ok - nothing ran
