--TEST--
MultiWorker: a payload nested deeper than 512 levels is a ValueError naming the argument and the limit, before anything starts (never a crash of the host)
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

/* $levels arrays (or objects) inside one another, the innermost holding 1. */
function nested(int $levels, bool $objects = false): array|stdClass
{
    $v = 1;
    for ($i = 0; $i < $levels; $i++) {
        if ($objects) {
            $o = new stdClass();
            $o->v = $v;
            $v = $o;
        } else {
            $v = [$v];
        }
    }
    return $v;
}

/* The same, alternating arrays and objects. */
function mixed_nesting(int $levels): array|stdClass
{
    $v = 1;
    for ($i = 0; $i < $levels; $i++) {
        if ($i % 2) {
            $o = new stdClass();
            $o->v = $v;
            $v = $o;
        } else {
            $v = [$v];
        }
    }
    return $v;
}

// json_encode()'s own limit: 512 levels encode, 513 do not. The payload
// array is the first level.
var_dump(json_encode(nested(512), 0, 512) !== false, json_encode(nested(513), 0, 512) !== false);

// Deep enough to overflow the C stack of a recursive encoder.
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, 'deep' => nested(100000)]));
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, 'deep' => nested(600, true)]));
// Just past the limit: arrays and objects count alike.
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, 'deep' => nested(512)]));
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, 'deep' => mixed_nesting(512)]));
// Behind references.
$deep = nested(600);
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, 'ref' => &$deep]));
// runMany names the entry.
attempt(fn() => MultiWorker::runMany([
    'ok' => ['marker', ['path' => $marker]],
    'deep' => ['marker', ['path' => $marker, 'deep' => nested(100000)]],
]));
// A self-reference is recursion, not depth, and the check ends.
$loop = ['path' => $marker];
$loop['self'] = &$loop;
attempt(fn() => MultiWorker::run('marker', $loop));
$o = new stdClass();
$o->self = $o;
attempt(fn() => MultiWorker::run('marker', ['path' => $marker, 'o' => $o]));

mv_check(!file_exists($marker), 'nothing was started');

// At the limit the payload goes through, and comes back whole.
$d = MultiWorker::run('value', ['value' => nested(511)]);
$levels = 0;
while (is_array($d)) {
    $d = $d[0];
    $levels++;
}
var_dump($levels, $d);
// Private and protected properties are not encoded, so they do not count.
class Hidden { public $v = 1; private $deep; function __construct() { $this->deep = nested(1000); } }
var_dump(MultiWorker::run('value', ['value' => new Hidden()]));
?>
--EXPECT--
bool(true)
bool(false)
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) must not be nested deeper than 512 levels (arrays and objects)
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) must not be nested deeper than 512 levels (arrays and objects)
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) must not be nested deeper than 512 levels (arrays and objects)
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) must not be nested deeper than 512 levels (arrays and objects)
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) must not be nested deeper than 512 levels (arrays and objects)
ValueError: Multiverse\MultiWorker::runMany(): Argument #1 ($calls) entry 'deep': payload must not be nested deeper than 512 levels (arrays and objects)
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) cannot be JSON-encoded: Recursion detected
ValueError: Multiverse\MultiWorker::run(): Argument #2 ($payload) cannot be JSON-encoded: Recursion detected
ok - nothing was started
int(511)
int(1)
array(1) {
  ["v"]=>
  int(1)
}
