<?php
// Process::map() with 0 workers is refused, naming $workerCount.
require __DIR__ . '/_host.php';
use Multiverse\Process;

attempt(fn () => Process::map([1, 2, 3], fn ($x) => $x * 10, 0));
carry_on(fn () => Process::map([1, 2, 3], fn ($x) => $x * 10, 2));
