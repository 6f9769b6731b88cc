<?php
// multiverse.allow_fork=0: as hosting_pcntl_fork, by the extension's own setting.
require __DIR__ . '/_host.php';
use Multiverse\Process;

$marker = $CASE['marker'];
attempt(fn () => Process::map([1, 2], fn ($x) => touch($marker)));
usleep(200000);
fact('ran', file_exists($marker));
carry_on();
