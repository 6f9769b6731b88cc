<?php
// ForkProcess::wait(-1) is refused; the same child is then waited for
// normally and its result read.
require __DIR__ . '/_host.php';
use Multiverse\Process;

$p = Process::fork(fn () => 42);
attempt(fn () => $p->wait(-1));
carry_on(fn () => [$p->wait(30), $p->getOutput()]);
