<?php
// Run unprivileged with RLIMIT_NPROC at 1: the host cannot fork at all, so
// run() fails; after raising the soft limit, run() works.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('echo'));
posix_setrlimit(POSIX_RLIMIT_NPROC, 200, 200);
carry_on();
