<?php
// A worker name with spaces is refused (names are never shell words).
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('two words'));
carry_on();
