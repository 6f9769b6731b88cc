<?php
/* MultiWorker::run(q.worker, q.payload); with q.pidfile, the FPM child's
 * pid is written there first (a test kills it mid-call). */
require __DIR__ . '/common.inc';
use Multiverse\MultiWorker;

$p = mv_params();
if (isset($p['pidfile'])) {
    file_put_contents($p['pidfile'] . '.tmp', getmypid());
    rename($p['pidfile'] . '.tmp', $p['pidfile']);
}
try {
    mv_answer(['result' => MultiWorker::run($p['worker'], $p['payload'] ?? [])]);
} catch (Throwable $e) {
    mv_answer(mv_error($e));
}
