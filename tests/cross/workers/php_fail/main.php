<?php
// A PHP worker whose exception goes uncaught: the caller gets the remote
// type, message and frames parsed from PHP's fatal error on stderr.
function checkAmount(array $p): void
{
    throw new DomainException('amount out of range: ' . $p['amount']); // THROW-LINE
}

checkAmount(json_decode(file_get_contents('php://stdin'), true));
