<?php
// No free file descriptor: MultiWorker::run() fails naming "too many open
// files"; then the sweep gives back one fd at a time until it works again,
// and every failure on the way must say the same. No fd may leak.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

MultiWorker::run('echo');   // the loop and the supervisor image exist before counting
$before = open_fds();
$held = starve_fds(0);
attempt(fn () => MultiWorker::run('echo'));
release_fds($held);
fact('sweep', fd_sweep(fn () => MultiWorker::run('echo')));
fact('fds', [$before, open_fds()]);
carry_on();
