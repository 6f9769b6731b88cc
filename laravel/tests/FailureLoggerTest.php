<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\FailureLogger;
use PHPUnit\Framework\TestCase;

/** The log context of failures other than a worker's own (see LoggingTest). */
class FailureLoggerTest extends TestCase
{
    public function testArgumentErrorsAreLoggedWithoutProcessFields(): void
    {
        $context = FailureLogger::context('bad/name', ['a' => 1], new \ValueError('invalid worker name'));

        $this->assertSame([
            'worker' => 'bad/name',
            'payload' => ['a' => 1],
            'message' => 'invalid worker name',
            'exception' => 'ValueError',
            'code' => null,
            'exit_code' => null,
            'signal' => null,
            'remote_type' => null,
            'remote_message' => null,
            'elapsed' => null,
            'stderr_tail' => '',
        ], $context);
    }

    public function testLargePayloadsAreCut(): void
    {
        $payload = ['image' => str_repeat('A', 100000)];

        $logged = FailureLogger::context('resize', $payload, new \RuntimeException('x'))['payload'];

        $this->assertIsString($logged);
        $this->assertLessThan(9000, strlen($logged));
        $this->assertStringStartsWith('{"image":"AAAA', $logged);
        $this->assertStringEndsWith('... (100012 bytes in all)', $logged);
    }
}
