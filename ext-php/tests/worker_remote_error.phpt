--TEST--
WorkerException: remote type, message and trace parsed from a Python traceback
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
use Multiverse\WorkerException;
mv_setup();

try {
    MultiWorker::run('fail', ['n' => 42]);
} catch (WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump($e->getRemoteType(), $e->getRemoteMessage());
    var_dump($e->getExitCode(), $e->getSignal(), $e->getDriver(), $e->getWorkerName());
    $trace = $e->getRemoteTrace();
    foreach ($trace as $f) {
        echo basename(dirname($f['file'])), '/', basename($f['file']), ':', $f['line'], ' in ', $f['function'], "\n";
    }
    mv_check(array_keys($trace[0]) === ['file', 'line', 'function'], 'frames have file, line, function');
    mv_check(str_contains($e->getErrorOutput(), "Traceback (most recent call last):"), 'stderr is kept');
    mv_check($e->getOutput() === "about to fail\n", 'stdout is kept');
    mv_check($e->getErrors() === [], 'getErrors() is only filled by batches');
}

// A structured error on the result channel (the SDK's fail()), exit code 0.
try {
    MultiWorker::run('structured');
} catch (WorkerException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
    var_dump($e->getRemoteType(), $e->getRemoteMessage(), $e->getExitCode());
    $f = $e->getRemoteTrace()[0];
    echo basename($f['file']), ':', $f['line'], ' in ', $f['function'], "\n";
}

// A worker that succeeds has no remote error to report, and one that fails
// without a traceback has none either.
try {
    MultiWorker::run('exit3');
} catch (WorkerException $e) {
    var_dump($e->getRemoteType(), $e->getRemoteMessage(), $e->getRemoteTrace());
}
?>
--EXPECT--
Multiverse\WorkerException: worker 'fail' exited with code 1: ValueError: bad input: 42
string(10) "ValueError"
string(13) "bad input: 42"
int(1)
NULL
string(6) "python"
string(4) "fail"
fail/main.py:18 in <module>
fail/main.py:14 in handle
fail/main.py:9 in check
ok - frames have file, line, function
ok - stderr is kept
ok - stdout is kept
ok - getErrors() is only filled by batches
Multiverse\WorkerException: worker 'structured' failed: LookupError: no such item
string(11) "LookupError"
string(12) "no such item"
int(0)
structured.py:8 in lookup
NULL
NULL
array(0) {
}
