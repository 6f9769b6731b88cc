<?php
// A worker name longer than a file name can be is refused.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run(str_repeat('w', 300)));
carry_on();
