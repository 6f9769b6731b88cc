<?php
// The configured python does not exist: said as such, not as "exit 127".
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

MultiWorker::configure(['python' => '/nonexistent/python3']);
attempt(fn () => MultiWorker::run('echo'));
MultiWorker::configure(['python' => $CASE['python']]);
carry_on();
