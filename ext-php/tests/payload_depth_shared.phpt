--TEST--
MultiWorker: the payload depth check costs what the distinct arrays cost, not what a structure that shares its parts would expand to
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

function nested(int $levels): array
{
    $v = [1];
    for ($i = 1; $i < $levels; $i++) $v = [$v];
    return $v;
}

// 41 distinct arrays, 2^40 paths through them: walked path by path, the
// check would never end. Each case also holds an array too deep, found
// only after the shared part.
$shared = [1];
for ($i = 0; $i < 40; $i++) $shared = [$shared, $shared];
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, 'a' => $shared, 'z' => nested(600)]));

// The same sharing through references (each array is held once, by a
// reference that two elements share).
$byref = [1];
for ($i = 0; $i < 40; $i++) {
    $prev = $byref;
    $byref = [&$prev, &$prev];
    unset($prev);
}
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, 'a' => $byref, 'z' => nested(600)]));

// Objects shared the same way.
$obj = new stdClass();
for ($i = 0; $i < 40; $i++) {
    $o = new stdClass();
    $o->l = $obj;
    $o->r = $obj;
    $obj = $o;
}
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, 'a' => $obj, 'z' => nested(600)]));

mv_check(!file_exists($marker), 'nothing was started');
// Sharing is fine within the limit.
$small = [1];
for ($i = 0; $i < 4; $i++) $small = [$small, $small];
echo json_encode(MultiWorker::run('value', ['value' => $small])), "\n";
?>
--EXPECT--
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) must not be nested deeper than 512 levels (arrays and objects)
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) must not be nested deeper than 512 levels (arrays and objects)
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) must not be nested deeper than 512 levels (arrays and objects)
ok - nothing was started
[[[[[1],[1]],[[1],[1]]],[[[1],[1]],[[1],[1]]]],[[[[1],[1]],[[1],[1]]],[[[1],[1]],[[1],[1]]]]]
