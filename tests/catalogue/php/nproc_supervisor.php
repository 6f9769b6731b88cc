<?php
// RLIMIT_NPROC at 2: the supervisor starts, the worker under it cannot.
// The error must still say that a process limit was hit.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('echo'));
posix_setrlimit(POSIX_RLIMIT_NPROC, 200, 200);
carry_on();
