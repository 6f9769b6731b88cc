<?php
// An option of the wrong type is refused, naming the option.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::configure(['max_output' => 'lots']));
fact('max_output', MultiWorker::config()['max_output']);
carry_on();
