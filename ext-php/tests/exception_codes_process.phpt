--TEST--
WorkerException codes: every way a forked closure fails has its code; a closure that throws is a TaskException with code REMOTE and its own code in getOriginalCode()
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\ForkProcess;
use Multiverse\MultiWorker;
use Multiverse\Process;
use Multiverse\WorkerException;
mv_setup();

function show(string $label, callable $f): ?Throwable
{
    $e = mv_outcome($label, $f);
    if ($e instanceof WorkerException) echo "  driver='", $e->getDriver(), "'\n";
    return $e;
}

$e = show('throws', fn() => Process::map([1], function () { throw new DomainException('no', 42); }));
var_dump($e->getOriginalCode());
class SqlError extends RuntimeException { protected $code = 'HY000'; }
$e = show('throws, string code', fn() => Process::run(['k' => function () { throw new SqlError('sql'); }]));
var_dump($e->getOriginalCode());
show('reduce folds in the parent', fn() => Process::reduce([1, 2, 3], function ($c, $x) {
    if ($c === 'initial') throw new LogicException('parent fold');
    return $x;
}, 'initial', 3));
show('exit(3)', fn() => Process::map([1], function () { exit(3); }));
show('killed by SIGKILL', fn() => Process::map([1], function () { posix_kill(getmypid(), SIGKILL); }));
show('fatal error', fn() => Process::map([1], function () { trigger_error('fatal', E_USER_ERROR); }));
show('unserializable result', fn() => Process::map([1], fn() => fn() => 1));
show('run() timeout', fn() => Process::run([fn() => sleep(5)], 1, 0.3));
show('wait() timeout', fn() => Process::fork(fn() => sleep(5))->wait(0.3));
$p = Process::fork(fn() => sleep(5));
usleep(100000);
$p->kill();
show('killed by kill()', fn() => $p->getOutput());
MultiWorker::configure(['timeout' => 0.3]);
show('configured timeout', fn() => Process::fork(fn() => sleep(5))->getOutput());
?>
--EXPECTF--
throws: Multiverse\TaskException [REMOTE] Closure threw DomainException: no (at %s:%d)
  driver='fork'
int(42)
throws, string code: Multiverse\TaskException [REMOTE] Closure threw SqlError: sql (at %s:%d)
  driver='fork'
string(5) "HY000"
reduce folds in the parent: Multiverse\TaskException [REMOTE] Closure threw LogicException: parent fold (at %s:%d)
  driver='fork'
exit(3): Multiverse\WorkerException [EXIT] task 'closure' exited with code 3
  driver='fork'
killed by SIGKILL: Multiverse\WorkerException [SIGNAL] task 'closure' was killed by signal 9 (SIGKILL)
  driver='fork'

Fatal error: fatal in %s on line %d
fatal error: Multiverse\WorkerException [REMOTE] task 'closure' exited with code 255: PHP Fatal error: fatal (at %s:%d)
  driver='fork'
unserializable result: Multiverse\TaskException [BAD_RESULT] Closure returned a value that cannot be serialized: Serialization of 'Closure' is not allowed
  driver='fork'
run() timeout: Multiverse\TimeoutException [TIMEOUT] task 'closure' timed out after 0.3 s (process tree killed)
  driver='fork'
wait() timeout: Multiverse\TimeoutException [TIMEOUT] task 'closure' did not finish within the 0.3 s wait() timeout (process tree killed)
  driver='fork'
killed by kill(): Multiverse\WorkerException [CANCELLED] task 'closure' was canceled (process tree killed)
  driver='fork'
configured timeout: Multiverse\TimeoutException [TIMEOUT] task 'closure' timed out after 0.3 s (process tree killed)
  driver='fork'
