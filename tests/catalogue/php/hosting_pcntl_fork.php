<?php
// pcntl_fork in disable_functions: Process::map refuses before any child
// starts; workers (proc_open) still run.
require __DIR__ . '/_host.php';
use Multiverse\Process;

$marker = $CASE['marker'];
attempt(fn () => Process::map([1, 2], fn ($x) => touch($marker)));
usleep(200000);
fact('ran', file_exists($marker));
carry_on();
