<?php

namespace Multiverse\Laravel\Tests;

use PHPUnit\Framework\TestCase;

/**
 * The bridge ships copies of two files of the repository, so that it works
 * installed on its own: the Python worker SDK (python/multiverse/worker.py,
 * what multiverse:install puts into the venv) and the extension's stub
 * (ide/multiverse.stub.php, for IDEs and PHPStan). The originals are the
 * one source of truth: after changing one, copy it again
 * (cp ext-python/multiverse/worker.py laravel/python/multiverse/;
 * cp ext-php/multiverse.stub.php laravel/ide/).
 */
class ShippedCopiesTest extends TestCase
{
    /** @return array<string, array{string, string}> */
    public static function copies(): array
    {
        $repo = dirname(__DIR__, 2);

        return [
            'worker SDK' => ["$repo/ext-python/multiverse/worker.py", "$repo/laravel/python/multiverse/worker.py"],
            'extension stub' => ["$repo/ext-php/multiverse.stub.php", "$repo/laravel/ide/multiverse.stub.php"],
        ];
    }

    /** @dataProvider copies */
    public function testTheCopyEqualsTheOriginal(string $original, string $copy): void
    {
        $this->assertFileExists($original);
        $this->assertFileExists($copy);
        $this->assertSame(file_get_contents($original), file_get_contents($copy), "$copy is a copy of $original");
    }
}
