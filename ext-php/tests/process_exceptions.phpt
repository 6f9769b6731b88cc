--TEST--
Process: exceptions in children arrive as TaskException; exit(), signals, fatal errors and unserializable results are reported as such
--EXTENSIONS--
posix
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
use Multiverse\TaskException;
use Multiverse\WorkerException;
mv_setup();

class StringCodeException extends RuntimeException
{
    public function __construct() { parent::__construct('sql failed'); $this->code = 'HY000'; }
}
function thrower(int $x)
{
    if ($x === 3) throw new InvalidArgumentException("bad item $x", 42);
    return $x;
}

function show(callable $f): void
{
    try {
        var_dump($f());
    } catch (TaskException $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
        echo "  original: ", $e->getOriginalClass(), " code=", var_export($e->getOriginalCode(), true),
            " line=", $e->getOriginalLine(), " file=", basename($e->getOriginalFile()), "\n";
        echo "  driver=", $e->getDriver(), " worker=", $e->getWorkerName(), " exit=",
            var_export($e->getExitCode(), true), "\n";
        echo "  remote: ", var_export($e->getRemoteType(), true), " / ", var_export($e->getRemoteMessage(), true), "\n";
        $trace = $e->getOriginalTrace();
        echo "  trace has thrower(): ", var_export(str_contains($trace, 'thrower(3)'), true), "\n";
    } catch (WorkerException $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
        echo "  exit=", var_export($e->getExitCode(), true), " signal=", var_export($e->getSignal(), true),
            " driver=", $e->getDriver(), "\n";
        if ($e->getRemoteType() !== null) {
            echo "  remote: ", $e->getRemoteType(), " / ", $e->getRemoteMessage(), " at line ",
                $e->getRemoteTrace()[0]['line'], "\n";
        }
    }
}

show(fn() => Process::map([1, 2, 3, 4], 'thrower', 2));
show(fn() => Process::map([1], fn() => throw new StringCodeException()));
show(fn() => Process::map([1], fn() => throw new TypeError('typed')));
show(fn() => Process::filter([1], fn() => intdiv(1, 0)));
show(fn() => Process::reduce([1, 2], fn($c, $x) => throw new LogicException('in reduce'), null, 1));
show(fn() => Process::fork('thrower', [3])->getOutput());

// exit() in a child: its status, not an empty result.
show(fn() => Process::map([1], function () { exit(5); }));
show(fn() => Process::fork(function () { exit(0); })->getOutput());
// A signal.
show(fn() => Process::map([1], fn() => posix_kill(getmypid(), SIGSEGV) && sleep(5)));
show(fn() => Process::map([1], fn() => posix_kill(getmypid(), SIGKILL) && sleep(5)));
// A fatal error: PHP prints it, the child exits with 255.
show(fn() => Process::map([1], function () { ini_set('memory_limit', '4M'); return str_repeat('x', 8 << 20); }));

// Results that cannot cross: a closure, a resource (even nested).
show(fn() => Process::map([1], fn() => fn() => 1));
show(fn() => Process::map([1], fn() => ['deep' => [fopen('php://memory', 'r')]]));
show(fn() => Process::fork(fn() => new SplFileObject(__FILE__))->getOutput());

// The parent goes on, and can still fork.
var_dump(Process::map([1, 2], fn($x) => -$x));
?>
--EXPECTF--
Multiverse\TaskException: Closure threw InvalidArgumentException: bad item 3 (at %s/process_exceptions.php:14)
  original: InvalidArgumentException code=42 line=14 file=process_exceptions.php
  driver=fork worker=closure exit=255
  remote: 'InvalidArgumentException' / 'bad item 3'
  trace has thrower(): true
Multiverse\TaskException: Closure threw StringCodeException: sql failed (at %s/process_exceptions.php:%d)
  original: StringCodeException code='HY000' line=%d file=process_exceptions.php
  driver=fork worker=closure exit=255
  remote: 'StringCodeException' / 'sql failed'
  trace has thrower(): false
Multiverse\TaskException: Closure threw TypeError: typed (at %s/process_exceptions.php:%d)
  original: TypeError code=0 line=%d file=process_exceptions.php
  driver=fork worker=closure exit=255
  remote: 'TypeError' / 'typed'
  trace has thrower(): false
Multiverse\TaskException: Closure threw DivisionByZeroError: Division by zero (at %s/process_exceptions.php:%d)
  original: DivisionByZeroError code=0 line=%d file=process_exceptions.php
  driver=fork worker=closure exit=255
  remote: 'DivisionByZeroError' / 'Division by zero'
  trace has thrower(): false
Multiverse\TaskException: Closure threw LogicException: in reduce (at %s/process_exceptions.php:%d)
  original: LogicException code=0 line=%d file=process_exceptions.php
  driver=fork worker=closure exit=255
  remote: 'LogicException' / 'in reduce'
  trace has thrower(): false
Multiverse\TaskException: Closure threw InvalidArgumentException: bad item 3 (at %s/process_exceptions.php:14)
  original: InvalidArgumentException code=42 line=14 file=process_exceptions.php
  driver=fork worker=closure exit=255
  remote: 'InvalidArgumentException' / 'bad item 3'
  trace has thrower(): true
Multiverse\WorkerException: task 'closure' exited with code 5
  exit=5 signal=NULL driver=fork
Multiverse\WorkerException: task 'closure' exited with code 0 without sending a result
  exit=0 signal=NULL driver=fork
Multiverse\WorkerException: task 'closure' was killed by signal 11 (SIGSEGV)
  exit=NULL signal=11 driver=fork
Multiverse\WorkerException: task 'closure' was killed by signal 9 (SIGKILL)
  exit=NULL signal=9 driver=fork

Fatal error: Allowed memory size of 4194304 bytes exhausted %s
Multiverse\WorkerException: task 'closure' exited with code 255: PHP Fatal error: Allowed memory size of 4194304 bytes exhausted (tried to allocate %d bytes) (at %s/process_exceptions.php:%d)
  exit=255 signal=NULL driver=fork
  remote: Fatal error / Allowed memory size of 4194304 bytes exhausted (tried to allocate %d bytes) at line %d
Multiverse\TaskException: Closure returned a value that cannot be serialized: Serialization of 'Closure' is not allowed
  original: Exception code=0 line=0 file=
  driver=fork worker=closure exit=255
  remote: 'Exception' / 'Serialization of \'Closure\' is not allowed'
  trace has thrower(): false
Multiverse\TaskException: Closure returned a value that cannot be serialized: a resource (stream) cannot be serialized
  original:  code=0 line=0 file=
  driver=fork worker=closure exit=255
  remote: '' / 'a resource (stream) cannot be serialized'
  trace has thrower(): false
Multiverse\TaskException: Closure returned a value that cannot be serialized: Serialization of 'SplFileObject' is not allowed
  original: Exception code=0 line=0 file=
  driver=fork worker=closure exit=255
  remote: 'Exception' / 'Serialization of \'SplFileObject\' is not allowed'
  trace has thrower(): false
array(2) {
  [0]=>
  int(-1)
  [1]=>
  int(-2)
}
