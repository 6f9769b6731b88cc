<?php

namespace Multiverse\Laravel;

use Illuminate\Contracts\Config\Repository as Config;
use Multiverse\MultiWorker;
use Multiverse\WorkerException;
use Throwable;

/**
 * What the MultiWorker facade and the artisan commands call: the
 * extension's MultiWorker, configured from config/multiverse.php, with each
 * failure logged and then rethrown unchanged (same object, same trace), so
 * callers catch the extension's own exception types.
 *
 * Not final, so that MultiWorker::shouldReceive() can mock it in app tests.
 */
class WorkerRunner
{
    /** Set when config/multiverse.php holds a value the extension refused. */
    private ?InvalidConfigurationException $configError = null;

    public function __construct(private Config $config, private FailureLogger $logger)
    {
    }

    public static function extensionLoaded(): bool
    {
        return extension_loaded('multiverse');
    }

    /**
     * Hand config/multiverse.php to the extension. A bad value does not
     * stop the application from booting (so `php artisan config:clear`
     * still works); it is thrown by the first multiverse call instead.
     */
    public function applyConfig(): void
    {
        if (! self::extensionLoaded()) {
            return;
        }
        $this->configError = null;
        try {
            MultiWorker::configure(ExtensionOptions::fromConfig((array) $this->config->get('multiverse', [])));
        } catch (InvalidConfigurationException|\ValueError|\TypeError $e) {
            $this->configError = new InvalidConfigurationException(
                'Invalid multiverse configuration (config/multiverse.php): '.$e->getMessage(), 0, $e
            );
        }
    }

    /** Run one worker and return its decoded JSON result. */
    public function run(string $worker, array $payload = [], ?float $timeout = null): mixed
    {
        $this->ready();
        try {
            return MultiWorker::run($worker, $payload, $timeout);
        } catch (Throwable $e) {
            $this->logger->failed($worker, $payload, $e);
            throw $e;
        }
    }

    /**
     * Run many workers concurrently ($calls: key => [worker, payload]);
     * every failed call is logged, then the extension's exception (the
     * first failure, with getErrors()) is rethrown. $progress(int $done,
     * int $total) is called as calls end (a progress bar); an exception it
     * throws stops the batch and is rethrown as it is, not logged: it is
     * the caller's, not a worker's failure.
     */
    public function runMany(array $calls, int $concurrency = 0, ?float $timeout = null, ?callable $progress = null): array
    {
        $this->ready();
        $stopped = null;
        $told = $progress === null ? null : static function (int $done, int $total) use ($progress, &$stopped): void {
            try {
                $progress($done, $total);
            } catch (Throwable $e) {
                $stopped = $e;
                throw $e;
            }
        };
        try {
            return MultiWorker::runMany($calls, $concurrency, $timeout, $told);
        } catch (Throwable $e) {
            if ($e === $stopped) {
                throw $e;
            }
            $errors = $e instanceof WorkerException ? $e->getErrors() : [];
            if ($errors === []) {
                $this->logger->failed(null, null, $e);
            }
            foreach ($errors as $key => $error) {
                $call = is_array($calls[$key] ?? null) ? $calls[$key] : [];
                $this->logger->failed($call[0] ?? null, $call[1] ?? [], $error);
            }
            throw $e;
        }
    }

    /** Kill running workers of this user (all, or those named exactly $worker). */
    public function clear(?string $worker = null): int
    {
        $this->ready();

        return MultiWorker::clear($worker);
    }

    /** Running workers of this user (all, or those named exactly $worker). */
    public function running(?string $worker = null): array
    {
        $this->ready();

        return MultiWorker::running($worker);
    }

    /** The extension's effective configuration. */
    public function config(): array
    {
        $this->ready();

        return MultiWorker::config();
    }

    private function ready(): void
    {
        if (! self::extensionLoaded()) {
            throw new ExtensionNotLoadedException();
        }
        if ($this->configError !== null) {
            throw $this->configError;
        }
    }
}
