<?php
// A worker name with a slash is refused (no sub-paths).
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('sub/dir'));
carry_on();
