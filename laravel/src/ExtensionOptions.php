<?php

namespace Multiverse\Laravel;

/**
 * Turns config/multiverse.php into the options of
 * Multiverse\MultiWorker::configure().
 *
 * Values read through env() arrive as strings ("30", ""), so numbers are
 * parsed here; range checks are left to the extension, whose messages name
 * the option. null leaves an option to the extension's INI value, except
 * timeout: in this config null means "unlimited", which the extension
 * spells 0. `warm` is passed through as it is. `env` entries whose value
 * is null (an env() of an unset variable) are left out, numbers become
 * strings; names and values are checked by the extension.
 */
final class ExtensionOptions
{
    private const STRINGS = ['workers_path', 'python', 'node', 'php', 'runtime_dir', 'namespace'];
    private const FLOATS = ['timeout', 'kill_grace'];
    private const INTS = ['max_output'];

    /** @return array<string, string|float|int|array|null> */
    public static function fromConfig(array $config): array
    {
        $options = [];
        foreach (self::STRINGS as $key) {
            $options[$key] = self::string($key, $config[$key] ?? null);
        }
        foreach (self::FLOATS as $key) {
            $options[$key] = self::number($key, $config[$key] ?? null, false);
        }
        foreach (self::INTS as $key) {
            $options[$key] = self::number($key, $config[$key] ?? null, true);
        }
        $options['timeout'] ??= 0.0;
        $options['inherit_env'] = self::boolean('inherit_env', $config['inherit_env'] ?? null);
        // Only when used, so that the other settings apply on an extension
        // build without warm workers.
        $warm = $config['warm'] ?? [];
        if (! is_array($warm)) {
            throw self::invalid('warm', "an array of worker name => ['processes' => N, ...]", $warm);
        }
        if ($warm !== []) {
            $options['warm'] = $warm;
        }
        $env = self::env($config['env'] ?? []);
        if ($env !== []) {
            $options['env'] = $env;
        }

        return $options;
    }

    private static function string(string $key, mixed $value): ?string
    {
        if ($value === null || $value === '') {
            return null;
        }
        if (! is_string($value)) {
            throw self::invalid($key, 'a string or null', $value);
        }

        return $value;
    }

    /** true/false, or what env() leaves as a string ("0", "off", ...). */
    private static function boolean(string $key, mixed $value): ?bool
    {
        if ($value === null || $value === '') {
            return null;
        }
        if (is_bool($value)) {
            return $value;
        }
        $bool = is_string($value) || is_int($value)
            ? filter_var($value, FILTER_VALIDATE_BOOLEAN, FILTER_NULL_ON_FAILURE)
            : null;
        if ($bool === null) {
            throw self::invalid($key, 'true, false or null', $value);
        }

        return $bool;
    }

    /** @return array<string, string> */
    private static function env(mixed $env): array
    {
        if (! is_array($env)) {
            throw self::invalid('env', 'an array of variable name => string', $env);
        }
        $out = [];
        foreach ($env as $name => $value) {
            if ($value === null) {
                continue;
            }
            if (is_int($value) || is_float($value)) {
                $value = (string) $value;
            }
            if (! is_string($value)) {
                throw self::invalid("env.$name", 'a string or null', $value);
            }
            $out[$name] = $value;
        }

        return $out;
    }

    private static function number(string $key, mixed $value, bool $integer): int|float|null
    {
        if ($value === null || $value === '') {
            return null;
        }
        if (is_string($value) && is_numeric(trim($value))) {
            $value = trim($value) + 0;
        }
        if ($integer && is_int($value)) {
            return $value;
        }
        if (! $integer && (is_int($value) || is_float($value))) {
            return (float) $value;
        }

        throw self::invalid($key, $integer ? 'an integer or null' : 'a number of seconds or null', $value);
    }

    private static function invalid(string $key, string $expected, mixed $value): InvalidConfigurationException
    {
        return new InvalidConfigurationException(sprintf(
            'multiverse.%s must be %s, got %s',
            $key,
            $expected,
            is_scalar($value) ? var_export($value, true) : get_debug_type($value)
        ));
    }
}
