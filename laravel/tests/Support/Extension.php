<?php

namespace Multiverse\Laravel\Tests\Support;

/**
 * The PHP command line that loads the multiverse extension: the .so named
 * by MULTIVERSE_EXTENSION (laravel/run-tests.sh builds one and sets it), or
 * the extension the php CLI already loads (installed with pecl).
 */
final class Extension
{
    private static ?array $command = null;

    /** @return string[] */
    public static function phpCommand(): array
    {
        return self::$command ??= self::find();
    }

    private static function find(): array
    {
        $so = getenv('MULTIVERSE_EXTENSION');
        if ($so !== false && $so !== '') {
            if (! is_file($so)) {
                throw new \RuntimeException("MULTIVERSE_EXTENSION=$so: no such file");
            }

            return [PHP_BINARY, '-d', 'extension='.$so];
        }
        exec(escapeshellarg(PHP_BINARY).' -r '.escapeshellarg('exit(extension_loaded("multiverse") ? 0 : 1);'), $out, $status);
        if ($status === 0) {
            return [PHP_BINARY];
        }
        throw new \RuntimeException(
            'The multiverse extension is needed: run laravel/run-tests.sh (it builds one), '
            .'or set MULTIVERSE_EXTENSION=/path/to/multiverse.so'
        );
    }
}
