<?php
// A NUL byte in a worker name is refused, and the message shows the
// whole name with the NUL escaped (a C string would end at it).
require __DIR__ . '/_host.php';
use Multiverse\MultiWorker;

attempt(fn () => MultiWorker::run("echo\0../../bin/sh"));
carry_on();
