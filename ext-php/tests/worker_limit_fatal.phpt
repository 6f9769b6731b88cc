--TEST--
A fatal error while runMany() waits: calls still waiting for their turn never start, and the batch's limit does not hold back a shutdown function's call
--EXTENSIONS--
pcntl
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();
pcntl_async_signals(true);

$dir = mv_tmpdir('fatal');
register_shutdown_function(function () use ($dir) {
    // The call the fatal error cut short still runs and holds the batch's
    // only slot; this one starts all the same.
    var_dump(MultiWorker::run('quick'));
    mv_check(count(MultiWorker::running('value')) === 1, 'the cut-short call was still running');
    mv_check(glob("$dir/*") === [], 'the calls that waited for their turn never started');
    mv_rmdir($dir);
});
pcntl_signal(SIGALRM, fn() => trigger_error('fatal error in a signal handler', E_USER_ERROR));
pcntl_alarm(1);
MultiWorker::runMany([
    ['value', ['sleep' => 10]],
    ['marker', ['path' => "$dir/1"]],
    ['marker', ['path' => "$dir/2"]],
], 1);
echo "not reached\n";
?>
--EXPECTF--
Fatal error: fatal error in a signal handler in %s on line %d
array(1) {
  ["ok"]=>
  bool(true)
}
ok - the cut-short call was still running
ok - the calls that waited for their turn never started
