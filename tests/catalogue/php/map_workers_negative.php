<?php
// Process::map() with a negative worker count is refused.
require __DIR__ . '/_host.php';
use Multiverse\Process;

attempt(fn () => Process::map([1, 2, 3], fn ($x) => $x * 10, -2));
carry_on(fn () => Process::map([1, 2, 3], fn ($x) => $x * 10, 2));
