<?php
// A namespace with a path separator is refused, naming it, and nothing of
// that configure() is applied (timeout included): the next call runs in
// the namespace set before.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

MultiWorker::configure(['namespace' => 'app-a']);
attempt(fn () => MultiWorker::configure(['timeout' => 9, 'namespace' => 'app-a/../b']));
fact('namespace', MultiWorker::config()['namespace']);
fact('timeout', MultiWorker::config()['timeout']);
carry_on();
