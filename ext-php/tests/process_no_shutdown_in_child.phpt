--TEST--
Process: children never run PHP's shutdown (destructors, shutdown functions, output buffers); a PDO connection stays usable
--EXTENSIONS--
pdo
pdo_sqlite
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\Process;
use Multiverse\WorkerException;
mv_setup();

$parent = getmypid();
$where = fn() => getmypid() === $parent ? 'parent' : 'CHILD ' . getmypid();

class Noisy
{
    public function __construct(public string $name, public Closure $where) {}
    public function __destruct() { echo "destructor of {$this->name} in ", ($this->where)(), "\n"; }
}
$kept = new Noisy('kept', $where);
register_shutdown_function(function () use ($where) { echo "shutdown function in ", $where(), "\n"; });
// A child that flushed its copy of this buffer would print it twice, marked.
ob_start(function ($buffer) use ($where) {
    return $where() === 'parent' ? $buffer : "OUTPUT FLUSHED BY A CHILD: $buffer";
});
echo "buffered in the parent before the forks\n";

$dbfile = mv_tmp('db') . '.sqlite';
$db = new PDO("sqlite:$dbfile");
$db->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
$db->exec('CREATE TABLE t (v INTEGER)');
$db->exec('INSERT INTO t VALUES (1), (2)');
$mem = new PDO('sqlite::memory:');
$mem->exec('CREATE TABLE m (v TEXT)');
$mem->exec("INSERT INTO m VALUES ('in memory')");

// The children see the objects and connections and end without touching them.
var_dump(Process::map([1, 2, 3, 4], fn($x) => [$x * 2, $kept->name, $db instanceof PDO], 4)[3]);
var_dump(Process::reduce([1, 2, 3], fn($c, $x) => $c + $x + count($mem->query('SELECT 1')->fetchAll()), 0, 1));
try {
    Process::map([1, 2], function () { exit(3); });
} catch (WorkerException $e) {
    echo $e->getMessage(), "\n";
}
try {
    Process::map([1], function () { trigger_error('fatal in the child', E_USER_ERROR); });
} catch (WorkerException $e) {
    echo $e->getMessage(), "\n";
}
var_dump(Process::fork(fn() => 'forked')->getOutput());
unset($e);

// The connections still work in the parent.
var_dump($db->query('SELECT SUM(v) FROM t')->fetchColumn());
$db->exec('INSERT INTO t VALUES (3)');
var_dump($db->query('SELECT COUNT(*) FROM t')->fetchColumn());
var_dump($mem->query('SELECT v FROM m')->fetchColumn());
unlink($dbfile);
echo "end of script\n";
?>
--EXPECTF--
buffered in the parent before the forks
array(3) {
  [0]=>
  int(8)
  [1]=>
  string(4) "kept"
  [2]=>
  bool(true)
}
int(9)
task 'closure' exited with code 3
task 'closure' exited with code 255: PHP Fatal error: fatal in the child (at %s/process_no_shutdown_in_child.php:%d)
string(6) "forked"
int(3)
int(3)
string(9) "in memory"
end of script
shutdown function in parent
destructor of kept in parent
