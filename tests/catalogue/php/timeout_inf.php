<?php
// An infinite timeout is refused (0 means "none").
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('echo', ['x' => 1], INF));
carry_on();
