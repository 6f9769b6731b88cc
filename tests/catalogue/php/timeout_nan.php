<?php
// A NAN timeout is refused (it would compare false with everything).
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('echo', ['x' => 1], NAN));
carry_on();
