<?php
// A NUL byte in a value of the env option is refused, naming the variable
// (the value could not reach the worker whole).
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::configure(['env' => ['TOKEN' => "abc\0def"]]));
fact('env', MultiWorker::config()['env']);
carry_on();
