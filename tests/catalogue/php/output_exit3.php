<?php
// A worker that exits 3: the error carries the exit code and its stderr.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('exit3'));
carry_on();
