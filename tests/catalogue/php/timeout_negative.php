<?php
// A negative timeout is refused before the worker starts.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('echo', ['x' => 1], -1.0));
carry_on();
