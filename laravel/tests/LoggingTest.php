<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\Tests\Support\AppTestCase;
use Multiverse\Laravel\Tests\Support\LogFile;

/** Failed calls through the facade leave one log entry each, then rethrow. */
class LoggingTest extends AppTestCase
{
    public function testAFailingWorkerIsLoggedWithWhatIsNeededToDebugIt(): void
    {
        $this->artisanFails(['multiverse:run', 'boom', '--payload={"x": 5}']);

        $entries = LogFile::entries($this->app->file('storage/logs/laravel.log'));
        $this->assertCount(1, $entries);
        [$entry] = $entries;
        $this->assertSame('ERROR', $entry['level']);
        $this->assertStringContainsString("worker 'boom' failed", $entry['message']);
        $context = $entry['context'];
        $this->assertSame('boom', $context['worker']);
        $this->assertSame(['x' => 5], $context['payload']);
        $this->assertStringContainsString('ValueError: bad value 5', $context['message']);
        $this->assertSame('Multiverse\\WorkerException', $context['exception']);
        $this->assertSame('REMOTE', $context['code']);
        $this->assertSame(1, $context['exit_code']);
        $this->assertNull($context['signal']);
        $this->assertSame('ValueError', $context['remote_type']);
        $this->assertStringContainsString("about to fail on {'x': 5}", $context['stderr_tail']);
        $this->assertStringContainsString('Traceback (most recent call last)', $context['stderr_tail']);
    }

    public function testOnlyTheEndOfALongStderrIsLogged(): void
    {
        $this->artisanFails(['multiverse:run', 'noisy']);

        [$entry] = LogFile::entries($this->app->file('storage/logs/laravel.log'));
        $tail = $entry['context']['stderr_tail'];
        $this->assertLessThanOrEqual(4096 + 3, strlen($tail));
        // Cut at a line start, ending with the traceback.
        $this->assertMatchesRegularExpression('/^\.\.\.\nnoise line \d+\n/', $tail);
        $this->assertStringEndsWith("RuntimeError: after the noise\n", $tail);
        $this->assertSame('RuntimeError', $entry['context']['remote_type']);
    }

    public function testDeathBySignalIsLoggedWithTheSignal(): void
    {
        $this->artisanFails(['multiverse:run', 'selfkill']);

        [$entry] = LogFile::entries($this->app->file('storage/logs/laravel.log'));
        $this->assertSame('selfkill', $entry['context']['worker']);
        $this->assertNull($entry['context']['exit_code']);
        $this->assertSame(9, $entry['context']['signal']);
        $this->assertNull($entry['context']['remote_type']);
    }

    public function testATimeoutIsLoggedAsTimeoutException(): void
    {
        $pidfile = $this->app->root.'/timeout.pids';
        $result = $this->artisanFails(['multiverse:run', 'longjob', '--timeout=1', '--payload='.json_encode(['pidfile' => $pidfile])]);
        $this->assertStringContainsString('Multiverse\\TimeoutException', $result->stderr);

        [$entry] = LogFile::entries($this->app->file('storage/logs/laravel.log'));
        $this->assertSame('Multiverse\\TimeoutException', $entry['context']['exception']);
        $this->assertSame(['pidfile' => $pidfile], $entry['context']['payload']);
    }

    public function testTheConfiguredChannelIsUsed(): void
    {
        $this->artisanFails(['multiverse:run', 'boom'], ['MULTIVERSE_LOG_CHANNEL' => 'workers']);

        $this->assertSame([], LogFile::entries($this->app->file('storage/logs/laravel.log')));
        [$entry] = LogFile::entries($this->app->file('storage/logs/workers.log'));
        $this->assertSame('boom', $entry['context']['worker']);
    }

    public function testLoggingCanBeTurnedOff(): void
    {
        $this->artisanFails(['multiverse:run', 'boom'], ['MULTIVERSE_LOGGING' => 'false']);

        $this->assertFileDoesNotExist($this->app->file('storage/logs/laravel.log'));
    }

    public function testTheExceptionIsRethrownUnchanged(): void
    {
        $result = $this->app->artisan(['fixture:alias-run', 'boom', '--payload={"x": 7}']);
        $this->assertSame(1, $result->exitCode, $result->describe());

        $this->assertSame([
            'class' => 'Multiverse\\WorkerException',
            'message' => "worker 'boom' exited with code 1: ValueError: bad value 7",
            // Thrown by the extension itself, not wrapped or rebuilt.
            'thrown_by' => 'Multiverse\\MultiWorker::run',
            'previous' => null,
        ], $this->json($result));
        $this->assertCount(1, LogFile::entries($this->app->file('storage/logs/laravel.log')));
    }

    public function testEveryFailedCallOfABatchIsLogged(): void
    {
        $result = $this->app->artisan(['fixture:run-many']);
        $this->assertSame(1, $result->exitCode, $result->describe());
        $this->assertSame(['class' => 'Multiverse\\WorkerException', 'errors' => ['first', 'second']], $this->json($result));

        $entries = LogFile::entries($this->app->file('storage/logs/laravel.log'));
        $payloads = array_map(fn (array $e) => [$e['context']['worker'], $e['context']['payload']], $entries);
        sort($payloads);
        $this->assertSame([['boom', ['x' => 1]], ['boom', ['x' => 2]]], $payloads);
    }
}
