<?php
/*
 * PHP host: the registry seen from PHP.
 *
 * usage: registry.php CONFIG_JSON running|clear|running-all|clear-all [WORKER]
 * Prints `REGISTRY {json}`: MultiWorker::running(WORKER) or ::clear(WORKER);
 * the -all forms with $all = true.
 */
use Multiverse\MultiWorker;

MultiWorker::configure(json_decode($argv[1], true, 512, JSON_THROW_ON_ERROR));
$worker = $argv[3] ?? null;
[$op, $every] = explode('-', $argv[2]) + [1 => ''];
$value = $op === 'running' ? MultiWorker::running($worker, $every === 'all')
                           : MultiWorker::clear($worker, $every === 'all');
echo 'REGISTRY ', json_encode($value), "\n";
