--TEST--
Process::reduce: a callback that throws is a TaskException whatever $workerCount, also when it throws while the parent folds the chunk results
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
use Multiverse\ProcessPool;
use Multiverse\TaskException;
mv_setup();

/* Throws when it folds into 'init': only the parent does, since each
 * child starts its chunk's fold from the chunk's first item. */
function add_to_number($carry, $x)
{
    if (!is_int($carry)) throw new DomainException('carry is not a number', 7);
    return $carry + $x;
}

/* Throws on every call, wherever it runs. */
function always_throws($carry, $x)
{
    throw new DomainException('carry is not a number', 7);
}

function show(string $label, callable $f): void
{
    try {
        var_dump($f());
    } catch (TaskException $e) {
        printf("%s: %s: %s\n", $label, get_class($e), preg_replace('~\(at .*/~', '(at ', $e->getMessage()));
        preg_match('/^#0 [^:]*: (\w+)\(/', $e->getOriginalTrace(), $top);
        printf("  original %s code=%s line=%d file=%s, trace from %s()\n", $e->getOriginalClass(),
               var_export($e->getOriginalCode(), true), $e->getOriginalLine(), basename($e->getOriginalFile()),
               $top[1] ?? '?');
        printf("  driver=%s worker=%s remote: %s / %s\n", $e->getDriver(), $e->getWorkerName(),
               $e->getRemoteType(), $e->getRemoteMessage());
    } catch (Throwable $e) {
        printf("%s: %s: %s\n", $label, get_class($e), $e->getMessage());
    }
}

$items = [1, 2, 3, 4];
// In the parent, with every chunking: one chunk, several, one item each
// (no call in any child), more workers than items, one per core.
foreach ([1, 2, 3, 4, 10, null] as $w) {
    show('workers ' . var_export($w, true), fn() => Process::reduce($items, 'add_to_number', 'init', $w));
}
// In the children: the same exception.
foreach ([1, 2] as $w) {
    show("children, workers $w", fn() => Process::reduce($items, 'always_throws', 0, $w));
}
// ProcessPool::reduce is the same operation.
show('pool of 2', fn() => (new ProcessPool(2))->reduce($items, 'add_to_number', 'init'));
show('pool of 4', fn() => (new ProcessPool(4))->reduce($items, 'add_to_number', 'init'));

// Where it ran shows only in the exit code: no process ended for the
// parent's fold.
foreach ([[1, 'add_to_number', 'init'], [2, 'always_throws', 0]] as [$w, $fn, $init]) {
    try {
        Process::reduce($items, $fn, $init, $w);
    } catch (TaskException $e) {
        var_dump($e->getExitCode());
    }
}

// exit() in the parent's fold is not an exception: it ends the script.
register_shutdown_function(fn() => print("shut down\n"));
var_dump(Process::reduce($items, 'add_to_number', 0, 2));
Process::reduce($items, function ($c, $x) { if (!is_int($c)) exit(3); return $c + $x; }, 'init', 2);
echo "not reached\n";
?>
--EXPECT--
workers 1: Multiverse\TaskException: Closure threw DomainException: carry is not a number (at process_reduce_exception.php:12)
  original DomainException code=7 line=12 file=process_reduce_exception.php, trace from add_to_number()
  driver=fork worker=closure remote: DomainException / carry is not a number
workers 2: Multiverse\TaskException: Closure threw DomainException: carry is not a number (at process_reduce_exception.php:12)
  original DomainException code=7 line=12 file=process_reduce_exception.php, trace from add_to_number()
  driver=fork worker=closure remote: DomainException / carry is not a number
workers 3: Multiverse\TaskException: Closure threw DomainException: carry is not a number (at process_reduce_exception.php:12)
  original DomainException code=7 line=12 file=process_reduce_exception.php, trace from add_to_number()
  driver=fork worker=closure remote: DomainException / carry is not a number
workers 4: Multiverse\TaskException: Closure threw DomainException: carry is not a number (at process_reduce_exception.php:12)
  original DomainException code=7 line=12 file=process_reduce_exception.php, trace from add_to_number()
  driver=fork worker=closure remote: DomainException / carry is not a number
workers 10: Multiverse\TaskException: Closure threw DomainException: carry is not a number (at process_reduce_exception.php:12)
  original DomainException code=7 line=12 file=process_reduce_exception.php, trace from add_to_number()
  driver=fork worker=closure remote: DomainException / carry is not a number
workers NULL: Multiverse\TaskException: Closure threw DomainException: carry is not a number (at process_reduce_exception.php:12)
  original DomainException code=7 line=12 file=process_reduce_exception.php, trace from add_to_number()
  driver=fork worker=closure remote: DomainException / carry is not a number
children, workers 1: Multiverse\TaskException: Closure threw DomainException: carry is not a number (at process_reduce_exception.php:19)
  original DomainException code=7 line=19 file=process_reduce_exception.php, trace from always_throws()
  driver=fork worker=closure remote: DomainException / carry is not a number
children, workers 2: Multiverse\TaskException: Closure threw DomainException: carry is not a number (at process_reduce_exception.php:19)
  original DomainException code=7 line=19 file=process_reduce_exception.php, trace from always_throws()
  driver=fork worker=closure remote: DomainException / carry is not a number
pool of 2: Multiverse\TaskException: Closure threw DomainException: carry is not a number (at process_reduce_exception.php:12)
  original DomainException code=7 line=12 file=process_reduce_exception.php, trace from add_to_number()
  driver=fork worker=closure remote: DomainException / carry is not a number
pool of 4: Multiverse\TaskException: Closure threw DomainException: carry is not a number (at process_reduce_exception.php:12)
  original DomainException code=7 line=12 file=process_reduce_exception.php, trace from add_to_number()
  driver=fork worker=closure remote: DomainException / carry is not a number
NULL
int(255)
int(10)
shut down
