<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\Tests\Support\AppTestCase;

/** Installing the package is enough: provider, alias, commands, config. */
class PackageDiscoveryTest extends AppTestCase
{
    public function testProviderAndAliasAreDiscovered(): void
    {
        $list = $this->artisanOk(['list', 'multiverse']);
        foreach (['clear', 'list', 'run', 'worker', 'install'] as $command) {
            $this->assertStringContainsString("multiverse:$command", $list->stdout);
        }
        $this->assertStringContainsString(
            'Multiverse\\\\Laravel\\\\MultiverseServiceProvider',
            file_get_contents($this->app->file('bootstrap/cache/packages.php'))
        );

        // routes/console.php calls \MultiWorker::run(), the discovered alias.
        $result = $this->artisanOk(['fixture:alias-run', 'add', '--payload={"a": 2, "b": 40}']);
        $this->assertSame(['sum' => 42], $this->json($result));
    }

    public function testPublishedConfigIsWrittenAndUsed(): void
    {
        $result = $this->artisanOk(['vendor:publish', '--tag=multiverse-config']);
        $published = $this->app->file('config/multiverse.php');
        $this->assertFileExists($published, $result->describe());
        $this->assertFileEquals(dirname(__DIR__).'/config/multiverse.php', $published);

        // The application's copy now wins over the package's defaults.
        file_put_contents($published, str_replace(
            "base_path('multiverse')",
            "base_path('workers')",
            file_get_contents($published)
        ));
        $this->artisanOk(['multiverse:worker', 'hello']);
        $this->assertFileExists($this->app->file('workers/hello/main.py'));
        $this->assertFileDoesNotExist($this->app->file('multiverse/hello/main.py'));
    }

    public function testAnInvalidConfigValueIsReportedByMultiverseCommandsOnly(): void
    {
        $env = ['MULTIVERSE_TIMEOUT' => '-5'];
        // The application still boots: other commands are unaffected.
        $this->artisanOk(['list'], $env);

        $result = $this->artisanFails(['multiverse:run', 'add', '--payload={"a": 1, "b": 1}'], $env);
        $this->assertStringContainsString('Invalid multiverse configuration (config/multiverse.php)', $result->stderr);
        $this->assertStringContainsString('timeout', $result->stderr);
    }
}
