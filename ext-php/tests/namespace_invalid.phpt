--TEST--
Namespaces: an invalid namespace is a ValueError from configure() (or a refused INI value) before any process starts
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
$dir = mv_setup(['namespace' => 'good']);

$marker = mv_tmp('never');
foreach (['', 'a/b', '../etc', 'app name', "nul\0byte", 'é', str_repeat('n', 65)] as $bad) {
    try {
        MultiWorker::configure(['namespace' => $bad]);
        MultiWorker::run('marker', ['path' => $marker]);
        echo "no exception\n";
    } catch (\ValueError $e) {
        echo str_replace("\0", '\0', $e->getMessage()), "\n";
    }
}
try {
    MultiWorker::configure(['namespace' => 42]);
} catch (\TypeError $e) {
    echo $e->getMessage(), "\n";
}
// configure() applies everything or nothing: the namespace is still the
// good one, and neither did the other option of a refused call apply.
try {
    MultiWorker::configure(['timeout' => 9, 'namespace' => 'a:b']);
} catch (\ValueError $e) {
    echo get_class($e), "\n";
}
var_dump(MultiWorker::config()['namespace'], MultiWorker::config()['timeout']);

// The INI setting refuses bad values too, and keeps the old one.
var_dump(ini_set('multiverse.namespace', 'x/y'));
var_dump(ini_get('multiverse.namespace'));

// Nothing ran, nothing was registered, no child was started.
usleep(200000);
mv_check(!file_exists($marker), 'the worker never ran');
mv_check(MultiWorker::running(null, true) === [], 'nothing in the registry');
mv_check(mv_children() === [], 'no child process');
// The longest valid name works.
MultiWorker::configure(['namespace' => str_repeat('n', 64)]);
var_dump(MultiWorker::run('marker', ['path' => $marker]));
@unlink($marker);
?>
--EXPECTF--
Multiverse\MultiWorker::configure(): Argument #1 ($options) option "namespace" must be a non-empty string without NUL bytes
Multiverse\MultiWorker::configure(): Argument #1 ($options) option "namespace" is invalid: invalid namespace 'a/b' (1 to 64 letters, digits, '_', '.' or '-')
Multiverse\MultiWorker::configure(): Argument #1 ($options) option "namespace" is invalid: invalid namespace '../etc' (1 to 64 letters, digits, '_', '.' or '-')
Multiverse\MultiWorker::configure(): Argument #1 ($options) option "namespace" is invalid: invalid namespace 'app name' (1 to 64 letters, digits, '_', '.' or '-')
Multiverse\MultiWorker::configure(): Argument #1 ($options) option "namespace" must be a non-empty string without NUL bytes
Multiverse\MultiWorker::configure(): Argument #1 ($options) option "namespace" is invalid: invalid namespace 'é' (1 to 64 letters, digits, '_', '.' or '-')
Multiverse\MultiWorker::configure(): Argument #1 ($options) option "namespace" is invalid: invalid namespace 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn' (1 to 64 letters, digits, '_', '.' or '-')
Multiverse\MultiWorker::configure(): Argument #1 ($options) option "namespace" must be of type ?string, int given
ValueError
string(4) "good"
float(0)

Warning: ini_set(): Invalid "multiverse.namespace" setting: invalid namespace 'x/y' (1 to 64 letters, digits, '_', '.' or '-') in %s on line %d
bool(false)
string(7) "default"
ok - the worker never ran
ok - nothing in the registry
ok - no child process
array(1) {
  ["ok"]=>
  bool(true)
}
