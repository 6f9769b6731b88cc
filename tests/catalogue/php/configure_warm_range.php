<?php
// A warm setting out of range is refused by the core's check, naming the
// worker and the setting, and nothing of that configure() is applied (the
// other options included).
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::configure(['timeout' => 7,
    'warm' => ['echo' => true, 'ocr' => ['processes' => 0]]]));
fact('timeout', MultiWorker::config()['timeout']);
fact('warm', MultiWorker::config()['warm']);
carry_on();
