<?php
/* The pool's multiverse settings as this FPM child sees them, and the
 * running workers of the registry. */
require __DIR__ . '/common.inc';
use Multiverse\MultiWorker;

$ini = [];
foreach (['timeout', 'kill_grace', 'max_output', 'python', 'workers_path', 'runtime_dir'] as $k) {
    $ini[$k] = ini_get("multiverse.$k");
}
mv_answer([
    'loaded' => extension_loaded('multiverse'),
    'ini' => $ini,
    'running' => extension_loaded('multiverse') ? MultiWorker::running() : [],
]);
