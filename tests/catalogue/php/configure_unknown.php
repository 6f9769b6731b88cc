<?php
// A misspelt option is refused, and the valid option given with it is not
// applied either: configure() changes all or nothing.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::configure(['timeout' => 5.0, 'timeuot' => 5.0]));
fact('timeout', MultiWorker::config()['timeout']);
carry_on();
