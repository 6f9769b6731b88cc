<?php
// An empty worker name is refused.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run(''));
carry_on();
