<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\Tests\Support\Extension;
use Multiverse\Laravel\Tests\Support\Files;
use PHPUnit\Framework\TestCase;

/**
 * The documented `composer require multiverse/laravel`, run by Composer
 * (Debian's `composer`, scripts/setup.sh) in a stable application with the
 * bridge as a path repository, offline: Packagist is off and the root
 * package provides the Laravel packages the bridge requires.
 */
class ComposerRequireTest extends TestCase
{
    private string $dir;

    protected function setUp(): void
    {
        exec('command -v composer', $out, $status);
        if ($status !== 0) {
            $this->markTestSkipped('composer is not installed (scripts/setup.sh installs the Debian package composer)');
        }
        $this->dir = sys_get_temp_dir().'/mv-composer-'.getmypid().'-'.bin2hex(random_bytes(4));
        mkdir($this->dir.'/home', 0700, true);
    }

    protected function tearDown(): void
    {
        if (isset($this->dir)) {
            Files::removeTree($this->dir);
        }
    }

    /** @return array<string, string> package => a version its constraint accepts */
    private static function providedByTheFramework(string $bridge): array
    {
        $require = json_decode((string) file_get_contents($bridge.'/composer.json'), true, 512,
            JSON_THROW_ON_ERROR)['require'];
        $provide = [];
        foreach (array_keys($require) as $package) {
            if (str_starts_with($package, 'illuminate/')) {
                $provide[$package] = '10.0.0';
            } elseif (str_starts_with($package, 'symfony/')) {
                $provide[$package] = '6.4.0';
            }
        }
        return $provide;
    }

    public function testRequireFromAPathRepositoryInAStableApp(): void
    {
        $bridge = dirname(__DIR__);
        file_put_contents($this->dir.'/composer.json', json_encode([
            'name' => 'acme/app',
            'minimum-stability' => 'stable',
            'repositories' => [
                ['type' => 'path', 'url' => $bridge, 'options' => ['symlink' => false]],
                ['packagist.org' => false],
            ],
            // Every Laravel and Symfony package the bridge requires, as
            // the framework provides them in a real app.
            'provide' => self::providedByTheFramework($bridge),
        ], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES));

        $command = array_merge(Extension::phpCommand(), [trim((string) shell_exec('command -v composer')),
            'require', 'multiverse/laravel', '--no-interaction', '--no-progress', '--no-scripts']);
        $env = ['COMPOSER_HOME' => $this->dir.'/home', 'COMPOSER_DISABLE_NETWORK' => '1', 'COMPOSER_NO_INTERACTION' => '1'];
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $this->dir, array_merge(getenv(), $env));
        $stdout = stream_get_contents($pipes[1]);
        $stderr = stream_get_contents($pipes[2]);
        $status = proc_close($process);

        $this->assertSame(0, $status, "composer require failed\n$stdout\n$stderr");
        $this->assertFileExists($this->dir.'/vendor/multiverse/laravel/composer.json');
        $this->assertFileExists($this->dir.'/vendor/multiverse/laravel/ide/multiverse.stub.php');
        $lock = json_decode(file_get_contents($this->dir.'/composer.lock'), true, 512, JSON_THROW_ON_ERROR);
        $this->assertSame('0.1.0', $lock['packages'][0]['version']);
        $this->assertStringStartsWith('^0.1', json_decode(file_get_contents($this->dir.'/composer.json'), true)['require']['multiverse/laravel']);
    }
}
