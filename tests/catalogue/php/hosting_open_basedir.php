<?php
// open_basedir allows only the scripts, the sandbox's "inside" and /proc:
// workers_path (the sandbox's workers) is outside, so run() refuses before
// the worker starts; forks are not concerned.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;
use Multiverse\Process;

attempt(fn () => MultiWorker::run('marker', ['path' => $CASE['marker']]));
usleep(200000);
fact('ran', file_exists($CASE['marker']));
carry_on(fn () => Process::fork(fn () => 'forked')->getOutput());
