<?php

namespace Multiverse\Laravel;

/**
 * Reads pip's verbose output after a failed install to tell "the package
 * index could not be reached" apart from other failures: pip reports both
 * as "No matching distribution found", and names the connection error only
 * in its debug lines (-vv: "Could not fetch URL ...: connection error") or
 * in its retry warnings.
 */
final class PipFailure
{
    private const CONNECTION_ERRORS = [
        'connection error', 'Max retries exceeded', 'NewConnectionError', 'Failed to establish a new connection',
        'ConnectTimeoutError', 'Connection to', 'Read timed out', 'ProxyError', 'SSLError',
        'Temporary failure in name resolution', 'Name or service not known', 'Network is unreachable',
        'Connection refused', 'No route to host',
    ];

    /**
     * The URL and cause when the index could not be reached (for example
     * "https://pypi.org/simple/requests/: [Errno -2] Name or service not
     * known"), else null.
     */
    public static function indexUnreachable(string $pipOutput): ?string
    {
        $lines = array_values(array_filter(preg_split('/\R/', $pipOutput), fn (string $l) => self::isConnectionError($l)));
        if ($lines === []) {
            return null;
        }
        // "Could not fetch URL" lines carry the whole URL; retry warnings only its path.
        usort($lines, fn (string $a, string $b) => str_contains($b, 'Could not fetch URL') <=> str_contains($a, 'Could not fetch URL'));
        $line = $lines[0];
        $cause = self::cause($line);

        return preg_match('~Could not fetch URL (\S+?):? ~', $line, $m) ? "$m[1]: $cause" : $cause;
    }

    private static function isConnectionError(string $line): bool
    {
        if (! str_contains($line, 'Could not fetch URL') && ! str_contains($line, 'Retrying')
            && ! str_contains($line, 'connection broken')) {
            return false;
        }
        foreach (self::CONNECTION_ERRORS as $needle) {
            if (str_contains($line, $needle)) {
                return true;
            }
        }

        return false;
    }

    /** The innermost cause, e.g. "[Errno -2] Name or service not known". */
    private static function cause(string $line): string
    {
        if (preg_match('/(\[Errno [^\]]+\][^\'")]*)/', $line, $m)) {
            return trim($m[1]);
        }
        foreach (['Read timed out', 'timed out', 'ProxyError', 'SSLError', 'Connection refused'] as $needle) {
            if (str_contains($line, $needle)) {
                return $needle;
            }
        }

        return 'connection error';
    }
}
