<?php
// An invalid variable name in the env option is refused, naming it, and
// nothing of that configure() is applied (inherit_env included).
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::configure(['inherit_env' => false,
    'env' => ['GOOD' => '1', 'BAD NAME' => 'x']]));
fact('inherit_env', MultiWorker::config()['inherit_env']);
fact('env', MultiWorker::config()['env']);
carry_on();
