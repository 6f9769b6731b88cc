<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\Tests\Support\AppTestCase;

class RunCommandTest extends AppTestCase
{
    public function testPrintsTheResultAsJson(): void
    {
        $result = $this->artisanOk(['multiverse:run', 'add', '--payload={"a": 2, "b": 3}']);

        // The worker's print() went to its stdout, not into the result.
        $this->assertSame(['sum' => 5], $this->json($result));
        $this->assertSame('', $result->stderr);
    }

    public function testInvalidJsonPayloadIsAClearError(): void
    {
        $result = $this->artisanFails(['multiverse:run', 'add', '--payload={"a": 2,']);

        $this->assertStringContainsString('The --payload option is not valid JSON (Syntax error)', $result->stderr);
        $this->assertSame('', $result->stdout);
        $this->assertFileDoesNotExist($this->app->file('storage/logs/laravel.log'));
    }

    public function testAPayloadMustBeAnObjectOrArray(): void
    {
        $result = $this->artisanFails(['multiverse:run', 'add', '--payload=42']);

        $this->assertStringContainsString('The --payload option must be a JSON object or array, got integer.', $result->stderr);
    }

    public function testAFailureIsReportedOnStderr(): void
    {
        $result = $this->artisanFails(['multiverse:run', 'boom', '--payload={"x": 1}']);

        $this->assertSame('', $result->stdout);
        $this->assertStringContainsString("worker 'boom' exited with code 1: ValueError: bad value 1", $result->stderr);
        $this->assertStringContainsString('exit code: 1, signal: -', $result->stderr);
        $this->assertStringContainsString('remote: ValueError: bad value 1', $result->stderr);
        $this->assertStringContainsString('raise ValueError', $result->stderr);
    }

    public function testUnknownWorkersAndBadNames(): void
    {
        $missing = $this->artisanFails(['multiverse:run', 'nope']);
        $this->assertStringContainsString("worker 'nope' not found", $missing->stderr);

        $bad = $this->artisanFails(['multiverse:run', 'a/b']);
        $this->assertStringContainsString("Invalid worker name 'a/b'", $bad->stderr);

        $timeout = $this->artisanFails(['multiverse:run', 'add', '--timeout=-1']);
        $this->assertStringContainsString("The --timeout option must be a number of seconds >= 0, got '-1'.", $timeout->stderr);
    }
}
