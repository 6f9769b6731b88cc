<?php
// runtime_dir is a regular file: the worker is refused with a typed error.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

MultiWorker::configure(['runtime_dir' => $CASE['bad_runtime_dir']]);
attempt(fn () => MultiWorker::run('echo'));
MultiWorker::configure(['runtime_dir' => $CASE['runtime_dir']]);
carry_on();
