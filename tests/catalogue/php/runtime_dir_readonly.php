<?php
// runtime_dir is ours but read-only (this host runs unprivileged): refused.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

MultiWorker::configure(['runtime_dir' => $CASE['bad_runtime_dir']]);
attempt(fn () => MultiWorker::run('echo'));
MultiWorker::configure(['runtime_dir' => $CASE['runtime_dir']]);
carry_on();
