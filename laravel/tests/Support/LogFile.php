<?php

namespace Multiverse\Laravel\Tests\Support;

/**
 * Entries of a Laravel log file written by Monolog's line formatter:
 * "[date] env.LEVEL: message {context-json} [extra-json]", where Laravel's
 * formatter turns the "\n" escapes of the context into real line breaks.
 */
final class LogFile
{
    /** @return array<int, array{level: string, message: string, context: array}> */
    public static function entries(string $path): array
    {
        if (! is_file($path)) {
            return [];
        }
        $parts = preg_split('/^(?=\[\d{4}-\d\d-\d\d [^\]]*\] )/m', file_get_contents($path), -1, PREG_SPLIT_NO_EMPTY);
        $entries = [];
        foreach ($parts as $part) {
            if (! preg_match('/^\[[^\]]*\] \w+\.(\w+): (.*)$/s', rtrim($part), $m)) {
                continue;
            }
            [$message, $context] = self::split($m[2]);
            $entries[] = ['level' => $m[1], 'message' => $message, 'context' => $context];
        }

        return $entries;
    }

    /** @return array{0: string, 1: array} */
    private static function split(string $rest): array
    {
        $rest = preg_replace('/ \[\]$/', '', $rest);
        $start = strpos($rest, ' {"');
        if ($start === false) {
            return [$rest, []];
        }
        // The context was one line of JSON before its escapes were undone.
        $json = str_replace(["\r", "\n", "\t"], ['\r', '\n', '\t'], substr($rest, $start + 1));

        return [substr($rest, 0, $start), json_decode($json, true, 512, JSON_THROW_ON_ERROR)];
    }
}
