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
         * holds every failed call's exception. $progress(int $done, int $total)
         * is called in this process as calls end; an exception it throws
         * kills the calls still running and is thrown instead.
         */
        public static function runMany(array $calls, int $concurrency = 0, ?float $timeout = null, ?callable $progress = null): array {}

        /**
         * Kill running workers of this user in the configured namespace (all,
         * or those named $worker); with $all, in every namespace. Returns how
         * many worker trees were killed.
         */
        public static function clear(?string $worker = null, bool $all = false): int {}

        /**
         * Running workers of this user in the configured namespace (all, or
         * those named $worker); with $all, in every namespace. Each entry has
         * pid, worker, task_id, started_at, elapsed, host_pid, supervisor_pid,
         * kind, state and namespace.
         */
        public static function running(?string $worker = null, bool $all = false): array {}

        public static function configure(array $options): void {}

        public static function config(): array {}
    }

    /**
     * getCode() is one of the constants below, for every way a call fails
     * (API.md §2); the table in ext-php/README.md says when each is used.
     */
    class WorkerException extends \RuntimeException
    {
        /**
         * No worker of that name under workers_path.
         * @var int
         */
        public const NOT_FOUND = 1;
        /**
         * The worker's interpreter (python, node, php) does not exist or cannot be executed.
         * @var int
         */
        public const INTERPRETER_MISSING = 2;
        /**
         * The process could not be started (exec or fork failed, limits, the supervisor or registry failed).
         * @var int
         */
        public const SPAWN_FAILED = 3;
        /**
         * Exited with a non-zero status, with no error of its own to report.
         * @var int
         */
        public const EXIT = 4;
        /**
         * Killed by a signal it did not get from multiverse (a crash, the OOM killer).
         * @var int
         */
        public const SIGNAL = 5;
        /**
         * Its result is missing, not JSON, or cannot be decoded or unserialized.
         * @var int
         */
        public const BAD_RESULT = 6;
        /**
         * Its output went past max_output.
         * @var int
         */
        public const TOO_BIG = 7;
        /**
         * Killed for exceeding a resource limit (memory, cpu).
         * @var int
         */
        public const LIMIT = 8;
        /**
         * The worker or closure reported an error of its own (exception, traceback, fatal error).
         * @var int
         */
        public const REMOTE = 9;
        /**
         * Killed by a cancel, clear() or the end of its host.
         * @var int
         */
        public const CANCELLED = 10;
        /**
         * Killed at its timeout (TimeoutException).
         * @var int
         */
        public const TIMEOUT = 11;
        /**
         * Forbidden by the server's configuration (multiverse.enabled, disable_functions, open_basedir, ...).
         * @var int
         */
        public const DISABLED = 12;

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

    /** A closure that threw, in a child: getCode() is REMOTE (BAD_RESULT for a result that cannot be serialized). */
    class TaskException extends WorkerException
    {
        protected string $originalClass = "";
        protected string $originalFile = "";
        protected int $originalLine = 0;
        protected string $originalTrace = "";
        protected int|string $originalCode = 0;

        public function getOriginalClass(): string {}

        public function getOriginalFile(): string {}

        public function getOriginalLine(): int {}

        public function getOriginalTrace(): string {}

        /** The code of the exception the closure threw (getCode() is REMOTE). */
        public function getOriginalCode(): int|string {}
    }

    /** @strict-properties */
    final class Process
    {
        /**
         * Fan-outs take $progress(int $done, int $total), called in this
         * process as tasks end (map/filter: items, a chunk's all at once).
         */
        public static function run(array $tasks, int $maxConcurrent = 0, ?float $timeout = null, ?callable $progress = null): array {}

        public static function map(array $items, callable $fn, ?int $workerCount = null, ?callable $progress = null): array {}

        public static function filter(array $items, callable $fn, ?int $workerCount = null, ?callable $progress = null): array {}

        public static function reduce(array $items, callable $fn, mixed $initial = null, ?int $workerCount = null): mixed {}

        public static function fork(callable $fn, array $args = []): ForkProcess {}

        public static function manager(): ProcessManager {}

        public static function pool(?int $workerCount = null): ProcessPool {}

        /**
         * Whether forks work here: false where the server forbids them
         * (multiverse.enabled=0, multiverse.allow_fork=0, pcntl_fork in
         * disable_functions), where the other methods throw WorkerException
         * DISABLED.
         */
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

        public function run(int $maxConcurrent = 4, ?float $timeout = null, ?callable $progress = null): array {}

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
