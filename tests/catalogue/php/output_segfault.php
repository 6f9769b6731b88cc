<?php
// A worker killed by SIGSEGV: the error carries the signal.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('segfault'));
carry_on();
