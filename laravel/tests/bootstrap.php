<?php

/*
 * Autoloading for the tests themselves: PHPUnit and the framework from
 * Debian's packages, this package's src/ and tests/ by PSR-4 (as in
 * composer.json). The application under test runs in separate artisan
 * processes with their own autoloader (tests/fixtures/vendor-autoload.php).
 */

require_once 'Illuminate/autoload.php';

spl_autoload_register(static function (string $class): void {
    $map = [
        'Multiverse\\Laravel\\Tests\\' => __DIR__.'/',
        'Multiverse\\Laravel\\' => dirname(__DIR__).'/src/',
    ];
    foreach ($map as $prefix => $dir) {
        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
            $file = $dir.str_replace('\\', '/', substr($class, strlen($prefix))).'.php';
            if (is_file($file)) {
                require $file;
            }

            return;
        }
    }
});
