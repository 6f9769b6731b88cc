--TEST--
Warm workers across requests: the built-in web server (one process, many requests) keeps the pool; other settings get another; idle processes end between requests
--SKIPIF--
<?php
if (!is_file(__DIR__ . '/../../ext-python/multiverse/worker.py')) die('skip needs the Python SDK (ext-python/)');
?>
--FILE--
<?php
require __DIR__ . '/setup.inc';
use Multiverse\MultiWorker;
$dir = mv_setup();
mv_use_sdk();

$port = mv_free_port();
$cmd = mv_php_command([
    'multiverse.workers_path' => __DIR__ . '/workers',
    'multiverse.python' => '/usr/bin/python3',
    'multiverse.runtime_dir' => $dir,
    'multiverse.kill_grace' => '0.5',
]);
array_push($cmd, '-S', "127.0.0.1:$port", __DIR__ . '/warm_server_router.inc');
$null = ['file', '/dev/null', 'w'];
$server = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => $null, 2 => $null], $pipes,
                    sys_get_temp_dir());
$host = proc_get_status($server)['pid'];
$get = function (string $query = '') use ($port) {
    $body = mv_http_get("http://127.0.0.1:$port/?$query");
    $r = json_decode((string)$body, true);
    if (!is_array($r) || !isset($r['pid'])) echo "bad response: ", var_export($body, true), "\n";
    return $r;
};

// Two requests, one warm process.
$a = $get();
$b = $get();
mv_check($a['host'] === $host && $b['host'] === $host, 'one server process served both requests');
mv_check($a['pid'] === $b['pid'] && $b['served'] === 2, 'the second request reused the warm process');
$list = MultiWorker::running('warm_sdk');
mv_check(count($list) === 1 && $list[0]['pid'] === $a['pid'] && $list[0]['host_pid'] === $host
         && $list[0]['kind'] === 'warm', "running() lists it between requests, owned by the server");

// Another configuration in a request: another pool; the old one retires.
$c = $get('grace=0.7');
mv_check($c['pid'] !== $a['pid'] && $c['served'] === 1, 'other settings, other process');
mv_check(mv_gone($a['pid']), 'the pool made with the old settings was retired');
$d = $get();
mv_check($d['pid'] !== $c['pid'] && $d['served'] === 1 && mv_gone($c['pid']),
         "configure() lasted one request: back to the INI settings");

// A fatal error in the middle of a call: the request ends, the warm
// process busy with it is killed; the next request gets a new one.
$body = mv_http_get("http://127.0.0.1:$port/?fatal=30");
mv_check(str_contains($body, 'fatal error during a warm call'), 'the request ended in a fatal error');
mv_check(mv_gone($d['pid']), 'the warm process busy with it is gone');
$e = $get();
mv_check($e['pid'] !== $d['pid'] && $e['served'] === 1, 'the next request got a new process');

// idle_timeout between requests: nobody runs the loop, the supervisor
// still ends the process; the next request starts a new one.
$f = $get('idle=0.4');
mv_check(mv_gone($f['pid']), 'the idle process ended between requests');
$g = $get('idle=0.4');
mv_check($g['pid'] !== $f['pid'] && $g['served'] === 1, 'the next request got a new process');

// The server dies (SIGKILL: no shutdown at all): its warm process goes too.
$h = $get();
proc_terminate($server, 9);
proc_close($server);
mv_check(mv_gone($h['pid']), 'the warm process died with its host');
var_dump(mv_wait_none());
?>
--EXPECT--
ok - one server process served both requests
ok - the second request reused the warm process
ok - running() lists it between requests, owned by the server
ok - other settings, other process
ok - the pool made with the old settings was retired
ok - configure() lasted one request: back to the INI settings
ok - the request ended in a fatal error
ok - the warm process busy with it is gone
ok - the next request got a new process
ok - the idle process ended between requests
ok - the next request got a new process
ok - the warm process died with its host
array(0) {
}
