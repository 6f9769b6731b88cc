<?php
// A worker that exits 0 but prints something other than JSON has failed.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run('not_json'));
carry_on();
