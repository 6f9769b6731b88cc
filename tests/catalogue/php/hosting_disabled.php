<?php
// multiverse.enabled=0: the classes exist and every call says the
// extension is off; asking whether forks work answers false.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;
use Multiverse\Process;

attempt(fn () => MultiWorker::run('marker', ['path' => $CASE['marker']]));
usleep(200000);
fact('ran', file_exists($CASE['marker']));
carry_on(fn () => Process::isSupported());
