<?php
// 200 MB on stdout with max_output = 1 MiB: an error saying so, and the
// host's memory stays small (maxrss in KiB).
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

MultiWorker::configure(['max_output' => 1 << 20]);
attempt(fn () => MultiWorker::run('flood'));
fact('maxrss_kib', getrusage()['ru_maxrss']);
MultiWorker::configure(['max_output' => null]);
carry_on();
