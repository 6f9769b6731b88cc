<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\Tests\Support\AppTestCase;

/**
 * config('multiverse.inherit_env') and config('multiverse.env') decide
 * what a worker finds in its environment: the application's secrets, from
 * its .env file or its process environment, stay out of workers when
 * inherit_env is false.
 */
class EnvironmentTest extends AppTestCase
{
    private const NAMES = ['DB_PASSWORD', 'FIXTURE_API_KEY', 'PATH', 'FIXTURE_GIVEN', 'MULTIVERSE_WORKER'];

    protected function setUp(): void
    {
        parent::setUp();
        // Laravel puts .env into the process environment (putenv), where a
        // worker would inherit it.
        file_put_contents($this->app->file('.env'), "DB_PASSWORD=s3cret-from-dotenv\n");
    }

    private function workerEnv(array $env = []): array
    {
        $payload = json_encode(['names' => self::NAMES]);

        return $this->json($this->artisanOk(['multiverse:run', 'envcheck', "--payload=$payload"], $env));
    }

    public function testByDefaultWorkersInheritTheAppsEnvironment(): void
    {
        $result = $this->workerEnv(['FIXTURE_API_KEY' => 'key-from-the-process']);

        $this->assertSame('s3cret-from-dotenv', $result['env']['DB_PASSWORD']);
        $this->assertSame('key-from-the-process', $result['env']['FIXTURE_API_KEY']);
    }

    public function testWithInheritEnvFalseSecretsStayInTheApp(): void
    {
        $result = $this->workerEnv(['FIXTURE_API_KEY' => 'key-from-the-process', 'MULTIVERSE_INHERIT_ENV' => 'false']);

        $this->assertNull($result['env']['DB_PASSWORD']);
        $this->assertNull($result['env']['FIXTURE_API_KEY']);
        $this->assertSame(getenv('PATH'), $result['env']['PATH']);
        $this->assertSame('envcheck', $result['env']['MULTIVERSE_WORKER']);
        $others = array_filter($result['all'], fn ($name) => ! in_array($name, ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR'], true)
            && ! str_starts_with($name, 'LC_') && ! str_starts_with($name, 'MULTIVERSE_'));
        $this->assertSame([], array_values($others));
    }

    public function testEnvFromTheConfigReachesWorkers(): void
    {
        $this->artisanOk(['vendor:publish', '--tag=multiverse-config']);
        $published = $this->app->file('config/multiverse.php');
        file_put_contents($published, str_replace(
            "'env' => [],",
            "'env' => ['FIXTURE_GIVEN' => 'from-config', 'DB_PASSWORD' => 'worker-only', 'FIXTURE_UNSET' => env('FIXTURE_UNSET')],",
            file_get_contents($published)
        ));

        $result = $this->workerEnv(['MULTIVERSE_INHERIT_ENV' => 'false']);

        $this->assertSame('from-config', $result['env']['FIXTURE_GIVEN']);
        // env overrides what the app has under the same name.
        $this->assertSame('worker-only', $result['env']['DB_PASSWORD']);
        $this->assertNotContains('FIXTURE_UNSET', $result['all']);
    }

    public function testAnInvalidVariableNameIsReportedByMultiverseCommands(): void
    {
        $this->artisanOk(['vendor:publish', '--tag=multiverse-config']);
        $published = $this->app->file('config/multiverse.php');
        file_put_contents($published, str_replace("'env' => [],", "'env' => ['NOT VALID' => 'x'],", file_get_contents($published)));

        $this->artisanOk(['list']);
        $result = $this->artisanFails(['multiverse:run', 'envcheck']);
        $this->assertStringContainsString('Invalid multiverse configuration (config/multiverse.php)', $result->stderr);
        $this->assertStringContainsString('invalid variable name "NOT VALID"', $result->stderr);
    }
}
