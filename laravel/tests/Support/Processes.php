<?php

namespace Multiverse\Laravel\Tests\Support;

/** Liveness checks on pids, by /proc (a zombie counts as dead). */
final class Processes
{
    public static function alive(int $pid): bool
    {
        $stat = @file_get_contents("/proc/$pid/stat");
        if ($stat === false) {
            return false;
        }
        // The state follows the parenthesised command name, which may hold spaces.
        $state = substr($stat, strrpos($stat, ')') + 2, 1);

        return $state !== 'Z' && $state !== 'X';
    }

    public static function waitUntil(callable $condition, float $timeout): bool
    {
        $deadline = microtime(true) + $timeout;
        do {
            if ($condition()) {
                return true;
            }
            usleep(20000);
        } while (microtime(true) < $deadline);

        return (bool) $condition();
    }

    /** SIGKILL, for cleanup after a test whatever its outcome. */
    public static function kill(int $pid): void
    {
        if ($pid > 1 && self::alive($pid)) {
            posix_kill($pid, 9);
        }
    }
}
