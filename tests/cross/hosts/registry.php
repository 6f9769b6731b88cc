<?php
/*
 * PHP host: the registry seen from PHP.
 *
 * usage: registry.php CONFIG_JSON running|clear [WORKER]
 * Prints `REGISTRY {json}`: MultiWorker::running(WORKER) or ::clear(WORKER).
 */
use Multiverse\MultiWorker;

MultiWorker::configure(json_decode($argv[1], true, 512, JSON_THROW_ON_ERROR));
$worker = $argv[3] ?? null;
$value = $argv[2] === 'running' ? MultiWorker::running($worker) : MultiWorker::clear($worker);
echo 'REGISTRY ', json_encode($value), "\n";
