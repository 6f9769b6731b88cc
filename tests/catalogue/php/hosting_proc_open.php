<?php
// proc_open in disable_functions: run() refuses before the worker starts;
// forking this process (not proc_open) still works.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;
use Multiverse\Process;

attempt(fn () => MultiWorker::run('marker', ['path' => $CASE['marker']]));
usleep(200000);
fact('ran', file_exists($CASE['marker']));
carry_on(fn () => Process::fork(fn () => 'forked')->getOutput());
