--TEST--
MultiWorker::run(): a result may be any JSON type; objects decode to arrays
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();

foreach ([42, -1.5, 0.0, "text", true, false, null, [1, "a"], ['k' => ['nested' => [true]]]] as $v) {
    var_dump(MultiWorker::run('value', ['value' => $v]) === $v);
}
// JSON objects become associative arrays; an empty object an empty array.
var_dump(MultiWorker::run('value', ['raw' => '{"a": {"b": [1, {"c": null}]}, "": 1}']));
var_dump(MultiWorker::run('value', ['raw' => '{}']));
// Integers beyond PHP_INT_MAX become floats, as with json_decode().
var_dump(MultiWorker::run('value', ['raw' => '123456789012345678901234567890']));
// Whitespace around the value is fine.
var_dump(MultiWorker::run('value', ['raw' => "\n  \"padded\"  \n\n"]));
// Deeper than 512 levels is refused with a clear message (by the core's
// validator, before PHP decodes anything).
try {
    MultiWorker::run('value', ['raw' => str_repeat('[', 600) . str_repeat(']', 600)]);
} catch (Multiverse\WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
// Bytes that are not UTF-8 inside a string: PHP's decoder says so.
try {
    MultiWorker::run('value', ['raw_b64' => base64_encode("\"\xff\xfe\"")]);
} catch (Multiverse\WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
?>
--EXPECTF--
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
array(2) {
  ["a"]=>
  array(1) {
    ["b"]=>
    array(2) {
      [0]=>
      int(1)
      [1]=>
      array(1) {
        ["c"]=>
        NULL
      }
    }
  }
  [""]=>
  int(1)
}
array(0) {
}
float(1.2345678901234568E+29)
string(6) "padded"
Multiverse\WorkerException: worker 'value' printed invalid JSON on stdout: "[[[[%s..."
Multiverse\WorkerException: worker 'value' returned JSON that PHP cannot decode: Malformed UTF-8 characters, possibly incorrectly encoded
