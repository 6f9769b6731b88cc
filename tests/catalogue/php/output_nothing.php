<?php
// A worker that exits 0 without a result has failed (no fake success).
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('silent'));
carry_on();
