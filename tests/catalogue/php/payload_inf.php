<?php
// INF has no JSON form: the payload is refused, naming the argument.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('echo', ['ratio' => INF]));
carry_on();
