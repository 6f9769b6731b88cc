<?php
// workers/noexec/main exists but is not executable (mode 0644).
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('noexec'));
carry_on();
