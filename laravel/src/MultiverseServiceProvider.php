<?php

namespace Multiverse\Laravel;

use Illuminate\Support\ServiceProvider;

/**
 * Registered by package auto-discovery (composer.json extra.laravel).
 * Merges and publishes config/multiverse.php, applies it to the extension,
 * and registers the multiverse:* artisan commands.
 */
class MultiverseServiceProvider extends ServiceProvider
{
    private const CONFIG = __DIR__.'/../config/multiverse.php';

    public function register(): void
    {
        $this->mergeConfigFrom(self::CONFIG, 'multiverse');
        $this->app->singleton(FailureLogger::class, fn ($app) => new FailureLogger($app['log'], $app['config']));
        $this->app->singleton(WorkerRunner::class, fn ($app) => new WorkerRunner($app['config'], $app->make(FailureLogger::class), $app->basePath()));
        $this->app->alias(WorkerRunner::class, 'multiverse');
    }

    public function boot(): void
    {
        $this->publishes([self::CONFIG => $this->app->configPath('multiverse.php')], 'multiverse-config');

        if ($this->app->runningInConsole()) {
            $this->commands([
                Console\ClearCommand::class,
                Console\ListCommand::class,
                Console\RunCommand::class,
                Console\WorkerCommand::class,
                Console\InstallCommand::class,
            ]);
        }

        // Extension settings are per PHP request (FPM resets them), and every
        // request boots the providers: configuring here covers the facade,
        // the commands and direct Multiverse\MultiWorker calls alike.
        $this->app->make(WorkerRunner::class)->applyConfig();
    }
}
