<?php

namespace Multiverse\Laravel\Tests;

use PHPUnit\Framework\TestCase;

/**
 * composer.json is what Composer and Laravel's package discovery read in a
 * real application (ComposerRequireTest runs Composer itself).
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

    /**
     * `composer require multiverse/laravel` from a path repository: without
     * a version Composer takes the checkout's branch (dev-main), which a
     * stable application refuses. The version is the extension's release.
     */
    public function testHasAStableVersionAndABranchAlias(): void
    {
        $this->assertMatchesRegularExpression('/^\d+\.\d+\.\d+$/', $this->manifest['version']);
        $package = simplexml_load_file(dirname(__DIR__, 2).'/package.xml');
        $this->assertSame((string) $package->version->release, $this->manifest['version'], 'the same release as the extension (package.xml)');
        [$major, $minor] = explode('.', $this->manifest['version']);
        $this->assertSame(['dev-main' => "$major.$minor.x-dev"], $this->manifest['extra']['branch-alias']);
    }

    /**
     * The extension's stub ships with the bridge for IDEs (they index
     * vendor/) and PHPStan (extension.neon, included by
     * phpstan/extension-installer); it is never autoloaded (the extension
     * defines those classes).
     */
    public function testShipsTheExtensionStubForPhpstanAndIdes(): void
    {
        $root = dirname(__DIR__);
        $this->assertSame(['extension.neon'], $this->manifest['extra']['phpstan']['includes']);
        $neon = file_get_contents("$root/extension.neon");
        $this->assertMatchesRegularExpression('/stubFiles:\s*\n\s*- ide\/multiverse\.stub\.php\n/', $neon);
        $this->assertFileExists("$root/ide/multiverse.stub.php");
        $this->assertStringNotContainsString('ide', json_encode($this->manifest['autoload']));
        $this->assertArrayHasKey('phpstan/extension-installer', $this->manifest['suggest']);
        // Valid PHP declaring the extension's classes.
        exec(escapeshellarg(PHP_BINARY).' -n -l '.escapeshellarg("$root/ide/multiverse.stub.php"), $out, $status);
        $this->assertSame(0, $status, implode("\n", $out));
        $this->assertStringContainsString('final class MultiWorker', file_get_contents("$root/ide/multiverse.stub.php"));
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
