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
    /**
     * Set when config/multiverse.php holds a value the extension refused,
     * or the server forbids configuring it (a WorkerException with code
     * DISABLED: multiverse.enabled=0, multiverse.lock_config=1).
     */
    private ?Throwable $configError = null;

    /**
     * $basePath is the application's base path, from which the registry
     * namespace is derived when the config sets none (AppNamespace); null
     * leaves it to the extension's multiverse.namespace.
     */
    public function __construct(private Config $config, private FailureLogger $logger, private ?string $basePath = null)
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
            MultiWorker::configure(ExtensionOptions::fromConfig($this->options()));
        } catch (InvalidConfigurationException|\ValueError|\TypeError $e) {
            $this->configError = new InvalidConfigurationException(
                'Invalid multiverse configuration (config/multiverse.php): '.$e->getMessage(), 0, $e
            );
        } catch (WorkerException $e) {
            // The server's rule, thrown as the extension threw it.
            $this->configError = $e;
        }
    }

    /** config/multiverse.php, the namespace derived from the app when it sets none. */
    private function options(): array
    {
        $options = (array) $this->config->get('multiverse', []);
        if ((($options['namespace'] ?? null) === null || $options['namespace'] === '') && $this->basePath !== null) {
            $options['namespace'] = AppNamespace::derive((string) $this->config->get('app.name', ''), $this->basePath);
        }

        return $options;
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

    /**
     * Kill running workers of this user in this app's namespace (all, or
     * those named exactly $worker); with $all, in every namespace.
     */
    public function clear(?string $worker = null, bool $all = false): int
    {
        $this->ready();

        return MultiWorker::clear($worker, $all);
    }

    /**
     * Running workers of this user in this app's namespace (all, or those
     * named exactly $worker); with $all, in every namespace.
     */
    public function running(?string $worker = null, bool $all = false): array
    {
        $this->ready();

        return MultiWorker::running($worker, $all);
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
