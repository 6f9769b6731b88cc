<?php
// A PHP-driver worker: result on stdout.
$payload = json_decode(file_get_contents('php://stdin'), true);
echo json_encode(['driver' => 'php', 'sum' => array_sum($payload['numbers'] ?? [])]);
