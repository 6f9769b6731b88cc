<?php

namespace Multiverse\Laravel;

/**
 * The bridge is installed but the multiverse PHP extension is not loaded by
 * this PHP binary (the CLI and FPM read different php.ini files).
 */
class ExtensionNotLoadedException extends \RuntimeException
{
    public function __construct()
    {
        parent::__construct(
            'The multiverse PHP extension is not loaded by '.PHP_BINARY.' (php '.PHP_VERSION.'): '
            .'install it with `pecl install multiverse` and add `extension=multiverse.so` to the '
            .'php.ini of this SAPI (`php --ini` lists them).'
        );
    }
}
