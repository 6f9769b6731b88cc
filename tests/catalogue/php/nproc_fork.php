<?php
// As nproc_run, for Process::fork().
require __DIR__ . '/_host.php';
use Multiverse\Process;

attempt(fn () => Process::fork(fn () => 1)->getOutput());
posix_setrlimit(POSIX_RLIMIT_NPROC, 200, 200);
carry_on(fn () => Process::fork(fn () => 'forked')->getOutput());
