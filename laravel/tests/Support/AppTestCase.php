<?php

namespace Multiverse\Laravel\Tests\Support;

use PHPUnit\Framework\TestCase;

/** A test against a fresh fixture application, torn down whatever happens. */
abstract class AppTestCase extends TestCase
{
    protected FixtureApp $app;

    protected function setUp(): void
    {
        parent::setUp();
        $this->app = FixtureApp::create();
    }

    protected function tearDown(): void
    {
        $this->app->destroy();
        parent::tearDown();
    }

    protected function artisanOk(array $args, array $env = []): ProcessResult
    {
        $result = $this->app->artisan($args, $env);
        $this->assertSame(0, $result->exitCode, 'php artisan '.implode(' ', $args)."\n".$result->describe());

        return $result;
    }

    protected function artisanFails(array $args, array $env = []): ProcessResult
    {
        $result = $this->app->artisan($args, $env);
        $this->assertSame(1, $result->exitCode, 'php artisan '.implode(' ', $args)."\n".$result->describe());

        return $result;
    }

    /** The JSON a command printed on stdout. */
    protected function json(ProcessResult $result): mixed
    {
        return json_decode($result->stdout, true, 512, JSON_THROW_ON_ERROR);
    }
}
