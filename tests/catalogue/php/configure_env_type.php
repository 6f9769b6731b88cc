<?php
// A value of the env option that is not a string is refused, naming the
// variable.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::configure(['env' => ['WORKERS' => 4]]));
fact('env', MultiWorker::config()['env']);
carry_on();
