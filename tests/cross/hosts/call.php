<?php
/*
 * PHP host: run one worker, print the outcome as `OUTCOME {json}`.
 *
 * usage: call.php CONFIG_JSON WORKER PAYLOAD_JSON
 * The outcome is {"result": ...} or {"error": {...every WorkerException getter}}.
 */
use Multiverse\MultiWorker;
use Multiverse\WorkerException;

MultiWorker::configure(json_decode($argv[1], true, 512, JSON_THROW_ON_ERROR));
try {
    $outcome = ['result' => MultiWorker::run($argv[2], json_decode($argv[3], true, 512, JSON_THROW_ON_ERROR))];
} catch (WorkerException $e) {
    $outcome = ['error' => [
        'class' => get_class($e), 'message' => $e->getMessage(), 'driver' => $e->getDriver(),
        'exit_code' => $e->getExitCode(), 'signal' => $e->getSignal(),
        'remote_type' => $e->getRemoteType(), 'remote_message' => $e->getRemoteMessage(),
        'remote_trace' => $e->getRemoteTrace(), 'stdout' => substr($e->getOutput(), -2000),
        'stderr' => substr($e->getErrorOutput(), -2000), 'elapsed' => $e->getElapsed(),
    ]];
}
echo 'OUTCOME ', json_encode($outcome, JSON_PRESERVE_ZERO_FRACTION | JSON_INVALID_UTF8_SUBSTITUTE), "\n";
