<?php
// A PHP worker: logs on stdout, answers on the result channel (fd 3).
$payload = json_decode(file_get_contents('php://stdin'), true, 512, JSON_THROW_ON_ERROR);
echo "a log line: stdout is free\n";
file_put_contents('php://fd/3', json_encode([
    'lang' => 'php', 'echo' => $payload, 'worker' => getenv('MULTIVERSE_WORKER'),
    'argv' => array_slice($argv, 1),
], JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR));
