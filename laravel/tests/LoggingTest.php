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

    /** logging.redact as a list of keys: masked at any depth, whatever their case. */
    public function testKeysListedInRedactAreMaskedAtAnyDepth(): void
    {
        $payload = [
            'user' => 'ada',
            'password' => 'hunter2-SECRET-1',
            'nested' => ['Api_Key' => 'SECRET-2', 'items' => [['token' => ['deep' => 'SECRET-3'], 'keep' => 1]]],
        ];
        $this->artisanFails(['multiverse:run', 'selfkill', '--payload='.json_encode($payload)]);

        $log = $this->app->file('storage/logs/laravel.log');
        $this->assertStringNotContainsString('SECRET', file_get_contents($log));
        [$entry] = LogFile::entries($log);
        $this->assertSame([
            'user' => 'ada',
            'password' => '[redacted]',
            'nested' => ['Api_Key' => '[redacted]', 'items' => [['token' => '[redacted]', 'keep' => 1]]],
        ], $entry['context']['payload']);

        // The list is the application's (here from MULTIVERSE_LOG_REDACT).
        unlink($log);
        $this->artisanFails(
            ['multiverse:run', 'selfkill', '--payload={"card": "4111-SECRET", "password": "shown"}'],
            ['MULTIVERSE_LOG_REDACT' => 'cvv, card']
        );
        $this->assertStringNotContainsString('SECRET', file_get_contents($log));
        [$entry] = LogFile::entries($log);
        $this->assertSame(['card' => '[redacted]', 'password' => 'shown'], $entry['context']['payload']);
    }

    /**
     * logging.redact as a callable: what it returns is logged. A static
     * method, an invokable class and a closure; one that throws gets the
     * payload left out.
     */
    public function testARedactCallableDecidesWhatIsLogged(): void
    {
        mkdir($this->app->path.'/app/Support', 0755, true);
        file_put_contents($this->app->path.'/app/Support/LogRedactor.php', <<<'PHP'
            <?php
            namespace App\Support;

            class LogRedactor
            {
                public static function payload(array $payload): array
                {
                    return ['amount' => $payload['amount'], 'card' => 'ending '.substr($payload['card'], -4)];
                }

                public function __invoke(array $payload): string
                {
                    return 'invoked with '.count($payload).' keys';
                }

                public static function broken(array $payload): never
                {
                    throw new \RuntimeException('redactor bug');
                }
            }
            PHP);
        file_put_contents($this->app->path.'/config/multiverse.php', <<<'PHP'
            <?php
            return ['logging' => [
                'enabled' => true,
                'channel' => 'stack',
                'redact' => match (env('REDACT_WITH')) {
                    'method' => [App\Support\LogRedactor::class, 'payload'],
                    'invokable' => App\Support\LogRedactor::class,
                    'closure' => fn (array $payload) => array_keys($payload),
                    'broken' => [App\Support\LogRedactor::class, 'broken'],
                },
            ]];
            PHP);
        $log = $this->app->file('storage/logs/laravel.log');
        $payload = '--payload={"amount": 12, "card": "SECRET-4242"}';
        foreach ([
            'method' => ['amount' => 12, 'card' => 'ending 4242'],
            'invokable' => 'invoked with 2 keys',
            'closure' => ['amount', 'card'],
            'broken' => '[redaction failed]',
        ] as $with => $logged) {
            @unlink($log);
            $result = $this->artisanFails(['multiverse:run', 'selfkill', $payload], ['REDACT_WITH' => $with]);
            // The call's own failure is reported, whatever the redactor did.
            $this->assertStringContainsString('signal', $result->stderr, $with);
            $this->assertStringNotContainsString('SECRET', file_get_contents($log), $with);
            [$entry] = LogFile::entries($log);
            $this->assertSame($logged, $entry['context']['payload'], $with);
        }
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
