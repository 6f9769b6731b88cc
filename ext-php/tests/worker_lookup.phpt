--TEST--
MultiWorker::run(): worker lookup order of API.md section 1, drivers and layouts
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
mv_setup();

$root = mv_tmp('lookup');
mkdir($root);
function put(string $path, string $text, int $mode = 0644): void
{
    @mkdir(dirname($path), 0777, true);
    file_put_contents($path, $text);
    chmod($path, $mode);
}
$py = fn($v) => "import json, sys\njson.load(sys.stdin)\nprint(json.dumps(" . var_export($v, true) . "))\n";
$php = fn($v) => "<?php echo json_encode(" . var_export($v, true) . ");\n";
$sh = fn($v) => "#!/bin/sh\ncat >/dev/null\necho '\"$v\"'\n";

// All candidates for "w": the first of the list wins, then the next once
// it is removed.
put("$root/w/main.py", $py('dir main.py'));
put("$root/w/main.php", $php('dir main.php'));
put("$root/w/main", $sh('dir main'), 0755);
put("$root/w.py", $py('file w.py'));
put("$root/w.php", $php('file w.php'));
put("$root/python/w/main.py", $py('python/w/main.py'));
MultiWorker::configure(['workers_path' => $root, 'php' => PHP_BINARY]);

$order = ["w/main.py", "w/main.php", "w/main", "w.py", "w.php", "python/w/main.py"];
foreach ($order as $file) {
    var_dump(MultiWorker::run('w'));
    unlink("$root/$file");
}
try {
    MultiWorker::run('w');
} catch (Multiverse\WorkerException $e) {
    echo $e->getMessage(), "\n";
}

// Drivers as reported in exceptions.
put("$root/bad_py.py", "import sys\nsys.exit(2)\n");
put("$root/bad_php.php", "<?php exit(2);\n");
put("$root/bad_exec/main", "#!/bin/sh\nexit 2\n", 0755);
put("$root/noexec/main", "#!/bin/sh\necho 1\n", 0644);
foreach (['bad_py', 'bad_php', 'bad_exec', 'noexec'] as $w) {
    try {
        MultiWorker::run($w);
    } catch (Multiverse\WorkerException $e) {
        echo $e->getDriver(), ": ", $e->getMessage(), "\n";
    }
}
// A relative workers_path is taken from the current directory.
chdir($root);
MultiWorker::configure(['workers_path' => '.']);
put("$root/rel.py", $py('relative'));
var_dump(MultiWorker::run('rel'));
exec('rm -rf ' . escapeshellarg($root));
?>
--EXPECTF--
string(11) "dir main.py"
string(12) "dir main.php"
string(8) "dir main"
string(9) "file w.py"
string(10) "file w.php"
string(16) "python/w/main.py"
worker 'w' not found in %s (tried w/main.py, w/main.js, w/main.php, w/main, w.py, w.js, w.php, python/w/main.py)
python: worker 'bad_py' exited with code 2
php: worker 'bad_php' exited with code 2
exec: worker 'bad_exec' exited with code 2
exec: cannot start worker 'noexec': exec of %s/noexec/main failed: Permission denied (not executable)
string(8) "relative"
