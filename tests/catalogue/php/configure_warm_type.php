<?php
// A warm setting of the wrong type is refused, naming the worker and the
// setting, and nothing of that configure() is applied.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::configure(['warm' => ['echo' => true,
    'ocr' => ['idle_timeout' => '30']]]));
fact('warm', MultiWorker::config()['warm']);
carry_on();
