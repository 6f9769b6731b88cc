<?php

namespace Multiverse\Laravel\Tests;

use PHPUnit\Framework\TestCase;

/**
 * composer.json is what Composer and Laravel's package discovery read in a
 * real application (composer validate is not available here).
 */
class ComposerJsonTest extends TestCase
{
    private array $manifest;

    protected function setUp(): void
    {
        $this->manifest = json_decode(file_get_contents(dirname(__DIR__).'/composer.json'), true, 512, JSON_THROW_ON_ERROR);
    }

    public function testNameAndAutoload(): void
    {
        $this->assertSame('multiverse/laravel', $this->manifest['name']);
        $this->assertMatchesRegularExpression('#^[a-z0-9]([_.-]?[a-z0-9]+)*/[a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*$#', $this->manifest['name']);
        $this->assertSame(['Multiverse\\Laravel\\' => 'src/'], $this->manifest['autoload']['psr-4']);
        $this->assertDirectoryExists(dirname(__DIR__).'/src');
    }

    public function testRequiresTheExtensionAndLaravel8Through12(): void
    {
        $require = $this->manifest['require'];
        $this->assertArrayHasKey('ext-multiverse', $require);
        foreach (['illuminate/support', 'illuminate/console'] as $package) {
            $constraint = $require[$package];
            foreach (['8', '9', '10', '11', '12'] as $major) {
                $this->assertStringContainsString("^$major.0", $constraint, "$package covers Laravel $major");
            }
        }
    }

    public function testDiscoveryNamesExistingClasses(): void
    {
        $laravel = $this->manifest['extra']['laravel'];
        $this->assertSame(['Multiverse\\Laravel\\MultiverseServiceProvider'], $laravel['providers']);
        $this->assertSame(['MultiWorker' => 'Multiverse\\Laravel\\Facades\\MultiWorker'], $laravel['aliases']);
        foreach (array_merge($laravel['providers'], array_values($laravel['aliases'])) as $class) {
            $this->assertTrue(class_exists($class), "$class exists");
        }
    }
}
