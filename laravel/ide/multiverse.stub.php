<?php

/**
 * Signatures of the multiverse extension (API.md §2). The C sources
 * register the classes from the arginfo generated out of this file:
 *   ext-php/gen_arginfo.sh   (wraps php-src's build/gen_stub.php)
 *
 * @generate-class-entries
 */

namespace Multiverse {

    /** @strict-properties */
    final class MultiWorker
    {
        /**
         * Run one worker and return its decoded JSON result (any JSON type;
         * objects decode to associative arrays). A `_timeout` key in $payload
         * overrides the timeout (seconds) for this call and is not sent.
         */
        public static function run(string $worker, array $payload = [], ?float $timeout = null): mixed {}

        /**
         * Run many workers concurrently ($calls: key => [worker, payload]).
         * Returns key => result in the same key order. The first failure (by
         * key order) is thrown after all calls ended; getErrors() on it
         * holds every failed call's exception.
         */
        public static function runMany(array $calls, int $concurrency = 0, ?float $timeout = null): array {}

        /** Kill running workers of this user (all, or those named $worker). */
        public static function clear(?string $worker = null): int {}

        /** Running workers of this user (all, or those named $worker). */
        public static function running(?string $worker = null): array {}

        public static function configure(array $options): void {}

        public static function config(): array {}
    }

    class WorkerException extends \RuntimeException
    {
        protected string $workerName = "";
        protected string $driver = "";
        protected ?int $exitCode = null;
        protected ?int $signal = null;
        protected string $output = "";
        protected string $errorOutput = "";
        protected ?string $remoteType = null;
        protected ?string $remoteMessage = null;
        protected array $remoteTrace = [];
        protected float $elapsed = 0.0;
        protected array $errors = [];

        public function getWorkerName(): string {}

        /** "python", "node", "php", "exec" or "fork" */
        public function getDriver(): string {}

        /** null when the process was killed by a signal */
        public function getExitCode(): ?int {}

        public function getSignal(): ?int {}

        public function getErrorOutput(): string {}

        public function getOutput(): string {}

        public function getRemoteType(): ?string {}

        public function getRemoteMessage(): ?string {}

        public function getRemoteTrace(): array {}

        public function getElapsed(): float {}

        /** Every failed call of a batch (runMany, Process::run, ProcessManager::run), by key. */
        public function getErrors(): array {}
    }

    class TimeoutException extends WorkerException
    {
        protected float $timeout = 0.0;

        public function getTimeout(): float {}
    }

    class TaskException extends WorkerException
    {
        protected string $originalClass = "";
        protected string $originalFile = "";
        protected int $originalLine = 0;
        protected string $originalTrace = "";

        public function getOriginalClass(): string {}

        public function getOriginalFile(): string {}

        public function getOriginalLine(): int {}

        public function getOriginalTrace(): string {}
    }

    /** @strict-properties */
    final class Process
    {
        public static function run(array $tasks, int $maxConcurrent = 0, ?float $timeout = null): array {}

        public static function map(array $items, callable $fn, ?int $workerCount = null): array {}

        public static function filter(array $items, callable $fn, ?int $workerCount = null): array {}

        public static function reduce(array $items, callable $fn, mixed $initial = null, ?int $workerCount = null): mixed {}

        public static function fork(callable $fn, array $args = []): ForkProcess {}

        public static function manager(): ProcessManager {}

        public static function pool(?int $workerCount = null): ProcessPool {}

        public static function isSupported(): bool {}

        public static function getCpuCores(): int {}
    }

    /**
     * @strict-properties
     * @not-serializable
     */
    final class ForkProcess
    {
        public function __construct(callable $fn, array $args = []) {}

        public function start(): bool {}

        public function isRunning(): bool {}

        public function wait(?float $timeout = null): int {}

        public function getPid(): ?int {}

        public function getExitCode(): ?int {}

        public function kill(int $signal = 15): bool {}

        public function getOutput(): mixed {}
    }

    /**
     * @strict-properties
     * @not-serializable
     */
    final class ProcessManager
    {
        public function add(callable $fn, array $args = []): ForkProcess {}

        public function run(int $maxConcurrent = 4, ?float $timeout = null): array {}

        public function wait(): array {}

        public function getRunningCount(): int {}

        public function hasRunning(): bool {}

        public function killAll(int $signal = 15): void {}
    }

    /**
     * @strict-properties
     * @not-serializable
     */
    final class ProcessPool
    {
        public function __construct(?int $workerCount = null) {}

        public function map(array $items, callable $fn): array {}

        public function filter(array $items, callable $fn): array {}

        public function reduce(array $items, callable $fn, mixed $initial = null): mixed {}
    }
}
