<?php

namespace Multiverse\Laravel\Tests\Support;

/** How a finished artisan process ended. */
final class ProcessResult
{
    public function __construct(
        public readonly int $exitCode,
        public readonly string $stdout,
        public readonly string $stderr,
    ) {
    }

    /** Both streams, for assertion messages. */
    public function describe(): string
    {
        return "exit code {$this->exitCode}\n--- stdout\n{$this->stdout}\n--- stderr\n{$this->stderr}";
    }
}
