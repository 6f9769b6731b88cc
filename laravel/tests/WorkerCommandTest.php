<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\Tests\Support\AppTestCase;

/** multiverse:worker scaffolds workers that multiverse:run then runs. */
class WorkerCommandTest extends AppTestCase
{
    public function testScaffoldRunsWithoutTheSdk(): void
    {
        $created = $this->artisanOk(['multiverse:worker', 'greeter']);
        $main = $this->app->workersPath.'/greeter/main.py';
        $this->assertStringContainsString("Created $main", $created->stdout);
        $this->assertStringContainsString('from multiverse import worker', file_get_contents($main));

        // /usr/bin/python3 has no multiverse package: the plain fallback runs.
        $result = $this->artisanOk(['multiverse:run', 'greeter', '--payload={"name": "Ada"}']);
        $this->assertSame(['worker' => 'greeter', 'received' => ['name' => 'Ada']], $this->json($result));
    }

    public function testScaffoldUsesTheSdkWhenItIsInstalled(): void
    {
        $sdk = $this->installSdk();
        $this->artisanOk(['multiverse:worker', 'greeter']);

        $result = $this->artisanOk(['multiverse:run', 'greeter', '--payload={"name": "Ada"}'], [
            'PYTHONPATH' => $sdk,
            'SDK_IMPORTED_MARKER' => $marker = $this->app->root.'/sdk-imported',
        ]);
        $this->assertSame(['worker' => 'greeter', 'received' => ['name' => 'Ada']], $this->json($result));
        $this->assertFileExists($marker, 'the worker imported the SDK');
    }

    public function testPlainScaffold(): void
    {
        $this->artisanOk(['multiverse:worker', 'plain_one', '--plain']);
        $main = $this->app->workersPath.'/plain_one/main.py';
        $this->assertStringNotContainsString('import multiverse', file_get_contents($main));
        $this->assertStringNotContainsString('from multiverse', file_get_contents($main));

        $result = $this->artisanOk(['multiverse:run', 'plain_one', '--payload=[1, 2]']);
        $this->assertSame(['worker' => 'plain_one', 'received' => [1, 2]], $this->json($result));
    }

    public function testExistingWorkersAreNeverOverwritten(): void
    {
        $this->artisanOk(['multiverse:worker', 'greeter']);
        $main = $this->app->workersPath.'/greeter/main.py';
        file_put_contents($main, '# edited');

        $again = $this->artisanFails(['multiverse:worker', 'greeter', '--plain']);
        $this->assertStringContainsString("Worker 'greeter' already exists", $again->stderr);
        $this->assertSame('# edited', file_get_contents($main));

        // A single-file worker of that name counts too.
        file_put_contents($this->app->workersPath.'/single.py', 'print("{}")');
        $this->artisanFails(['multiverse:worker', 'single']);
        $this->assertDirectoryDoesNotExist($this->app->workersPath.'/single');
    }

    public function testInvalidNamesAreRefused(): void
    {
        $result = $this->artisanFails(['multiverse:worker', '../escape']);

        $this->assertStringContainsString("Invalid worker name '../escape'", $result->stderr);
        $this->assertFileDoesNotExist($this->app->path.'/escape/main.py');
    }

    /**
     * The Python SDK module (ext-python/multiverse/worker.py, standard
     * library only) as the package `multiverse`, with an __init__ that
     * leaves a marker file when it is imported.
     */
    private function installSdk(): string
    {
        $sdk = $this->app->root.'/sdk';
        mkdir($sdk.'/multiverse', 0755, true);
        copy(dirname(__DIR__, 2).'/ext-python/multiverse/worker.py', $sdk.'/multiverse/worker.py');
        file_put_contents($sdk.'/multiverse/__init__.py', "import os\nopen(os.environ['SDK_IMPORTED_MARKER'], 'w').close()\n");

        return $sdk;
    }
}
