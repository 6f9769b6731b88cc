<?php
// runtime_dir holds garbage *.entry files next to one real worker's entry:
// running() lists the real one only, clear() kills it.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::running());
fact('cleared', MultiWorker::clear());
carry_on();
