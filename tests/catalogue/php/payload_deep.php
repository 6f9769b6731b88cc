<?php
// A payload nested 100 000 deep: PHP's JSON encoder recurses once per
// level and would overflow the host's stack; it is refused first, naming
// the argument and the limit.
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

$deep = 1;
for ($i = 0; $i < 100000; $i++) $deep = [$deep];
attempt(fn () => MultiWorker::run('echo', ['deep' => $deep]));
carry_on();
