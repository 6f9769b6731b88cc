<?php
// A resource has no JSON form: the payload is refused, naming the argument.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('echo', ['input' => STDIN]));
carry_on();
