<?php

namespace Multiverse\Laravel\Facades;

use Illuminate\Support\Facades\Facade;
use Multiverse\Laravel\WorkerRunner;

/**
 * MultiWorker::run('resize', ['path' => $path]) from anywhere in the app.
 * Failures are logged (config multiverse.logging) and rethrown as the
 * extension's Multiverse\WorkerException / TimeoutException.
 *
 * @method static mixed run(string $worker, array $payload = [], ?float $timeout = null)
 * @method static array runMany(array $calls, int $concurrency = 0, ?float $timeout = null, ?callable $progress = null)
 * @method static int clear(?string $worker = null, bool $all = false)
 * @method static array running(?string $worker = null, bool $all = false)
 * @method static array config()
 *
 * @see \Multiverse\Laravel\WorkerRunner
 */
class MultiWorker extends Facade
{
    protected static function getFacadeAccessor(): string
    {
        return WorkerRunner::class;
    }
}
