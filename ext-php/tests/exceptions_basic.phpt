--TEST--
WorkerException family: hierarchy, defaults when constructed by users, getters
--FILE--
<?php
use Multiverse\WorkerException;
use Multiverse\TimeoutException;
use Multiverse\TaskException;

var_dump(is_subclass_of(WorkerException::class, RuntimeException::class));
var_dump(is_subclass_of(TimeoutException::class, WorkerException::class));
var_dump(is_subclass_of(TaskException::class, WorkerException::class));

$e = new WorkerException('plain', 3, new LogicException('prev'));
var_dump($e->getMessage(), $e->getCode(), get_class($e->getPrevious()));
var_dump($e->getWorkerName(), $e->getDriver(), $e->getExitCode(), $e->getSignal(), $e->getOutput(),
    $e->getErrorOutput(), $e->getRemoteType(), $e->getRemoteMessage(), $e->getRemoteTrace(),
    $e->getElapsed(), $e->getErrors());
$t = new TimeoutException('t');
var_dump($t->getTimeout(), $t->getExitCode());
$k = new TaskException('k');
var_dump($k->getOriginalClass(), $k->getOriginalFile(), $k->getOriginalLine(), $k->getOriginalTrace());

// Subclasses see the fields.
class MyWorkerException extends WorkerException
{
    public function fill(): static { $this->workerName = 'mine'; $this->exitCode = 4; return $this; }
}
$m = (new MyWorkerException('m'))->fill();
var_dump($m->getWorkerName(), $m->getExitCode());
try {
    throw $m;
} catch (RuntimeException $caught) {
    echo "caught as RuntimeException: ", $caught->getMessage(), "\n";
}
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
string(5) "plain"
int(3)
string(14) "LogicException"
string(0) ""
string(0) ""
NULL
NULL
string(0) ""
string(0) ""
NULL
NULL
array(0) {
}
float(0)
array(0) {
}
float(0)
NULL
string(0) ""
string(0) ""
int(0)
string(0) ""
string(4) "mine"
int(4)
caught as RuntimeException: m
