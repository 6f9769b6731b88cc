<?php
// A worker name that walks out of workers_path is refused before any process starts.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('../etc'));
carry_on();
