<?php
// As fd_exhaustion_run, for Process::fork().
require __DIR__ . '/_host.php';
use Multiverse\Process;

Process::fork(fn () => 1)->wait(30);
$before = open_fds();
$held = starve_fds(0);
attempt(fn () => Process::fork(fn () => 1)->getOutput());
release_fds($held);
fact('sweep', fd_sweep(fn () => Process::fork(fn () => 1)->getOutput()));
fact('fds', [$before, open_fds()]);
carry_on(fn () => Process::fork(fn () => 'forked')->getOutput());
