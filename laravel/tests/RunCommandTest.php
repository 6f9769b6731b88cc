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

    /** --help showed the options up to "(default: {" and stopped (a brace in a description). */
    public function testHelpShowsEveryOptionInFull(): void
    {
        $help = $this->artisanOk(['multiverse:run', '--help'])->stdout;

        $this->assertMatchesRegularExpression('/worker +Name of the worker \(a directory or file in workers_path\)/', $help);
        $this->assertMatchesRegularExpression('/--payload\[=PAYLOAD\] +JSON object or array sent to the worker on stdin \(default: an empty object\)/', $help);
        $this->assertMatchesRegularExpression('/--timeout\[=TIMEOUT\] +Seconds before the worker tree is killed \(default: the configured timeout\)/', $help);

        // Every multiverse command: descriptions are whole (parentheses
        // closed, no brace left over from the signature).
        $list = $this->json($this->artisanOk(['list', 'multiverse', '--format=json']));
        $seen = 0;
        foreach ($list['commands'] as $command) {
            if (! str_starts_with($command['name'], 'multiverse:')) {
                continue;
            }
            $seen++;
            $definition = $command['definition'];
            foreach (array_merge($definition['arguments'], $definition['options']) as $name => $item) {
                $text = $item['description'];
                $this->assertStringNotContainsString('{', $text, "{$command['name']} $name");
                $this->assertSame(substr_count($text, '('), substr_count($text, ')'), "{$command['name']} $name: $text");
            }
        }
        $this->assertGreaterThanOrEqual(5, $seen);
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
