<?php

namespace Multiverse\Laravel;

/**
 * Worker names as the extension accepts them (API.md §1): letters, digits,
 * '_' and '-' only, so a name can never be a path or a shell word.
 */
final class WorkerName
{
    public const PATTERN = '/^[A-Za-z0-9_-]+$/D';

    /** The reason $name is not a worker name, or null when it is one. */
    public static function problem(string $name): ?string
    {
        if (preg_match(self::PATTERN, $name)) {
            return null;
        }

        return sprintf(
            "Invalid worker name '%s': use only letters, digits, '_' and '-' (no paths, no spaces).",
            $name
        );
    }
}
