<?php
// An entry owned by another user names a live process ("victim"): it is
// neither listed nor killed; the real worker next to it is.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::running());
fact('cleared_victim', MultiWorker::clear('victim'));
fact('cleared', MultiWorker::clear());
carry_on();
