<?php

namespace Multiverse\Laravel\Tests\Support;

/**
 * A throw-away copy of tests/fixtures/app, installed the way Composer would
 * install the package into a real application, and run through real
 * `php artisan` processes with the multiverse extension loaded.
 *
 * Layout of the temporary directory:
 *   app/          the application (vendor/, storage/, multiverse/ workers)
 *   run/          a private registry of running workers (runtime_dir), so
 *                 that clearing all workers never touches another
 *                 program's workers (an app made with create($other) uses
 *                 $other's instead: two apps of one user, one registry)
 *   out/          output files of background processes
 */
final class FixtureApp
{
    public readonly string $root;
    public readonly string $path;
    public readonly string $runtimeDir;
    public readonly string $workersPath;

    /** @var BackgroundProcess[] */
    private array $background = [];

    /** @var int[] pids to kill on destroy(), whatever happened */
    private array $pids = [];

    private function __construct(?self $sharesRegistryOf)
    {
        $this->root = self::tempDir();
        $this->path = $this->root.'/app';
        $this->runtimeDir = $sharesRegistryOf?->runtimeDir ?? $this->root.'/run';
        $this->workersPath = $this->path.'/multiverse';
    }

    /** A new app; with $sharesRegistryOf, one that uses that app's registry. */
    public static function create(?self $sharesRegistryOf = null): self
    {
        $app = new self($sharesRegistryOf);
        $fixtures = dirname(__DIR__).'/fixtures';
        Files::copyTree($fixtures.'/app', $app->path);
        $app->installPackage(dirname(__DIR__, 2), $fixtures.'/vendor-autoload.php');
        foreach (['storage/app', 'storage/framework/cache/data', 'storage/logs', 'bootstrap/cache', 'app/Jobs'] as $dir) {
            mkdir($app->path.'/'.$dir, 0755, true);
        }
        touch($app->path.'/database/database.sqlite');
        foreach (glob(dirname(__DIR__, 2).'/examples/*.php') as $example) {
            copy($example, $app->path.'/app/Jobs/'.basename($example));
        }
        Files::copyTree($fixtures.'/workers', $app->workersPath);
        if ($sharesRegistryOf === null) {
            mkdir($app->runtimeDir, 0700);
        }
        mkdir($app->root.'/out');

        return $app;
    }

    /**
     * What `composer require multiverse/laravel` leaves in vendor/: the
     * package's composer.json in installed.json (read by Laravel's package
     * discovery) and its PSR-4 map (read by the autoloader).
     */
    private function installPackage(string $package, string $autoloader): void
    {
        $manifest = json_decode(file_get_contents($package.'/composer.json'), true, 512, JSON_THROW_ON_ERROR);
        mkdir($this->path.'/vendor/composer', 0755, true);
        copy($autoloader, $this->path.'/vendor/autoload.php');

        $installed = $manifest + ['version' => 'dev-main', 'install-path' => $package];
        file_put_contents(
            $this->path.'/vendor/composer/installed.json',
            json_encode(['packages' => [$installed], 'dev' => true], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES)
        );

        $psr4 = ['App\\' => [$this->path.'/app']];
        foreach ($manifest['autoload']['psr-4'] as $prefix => $dir) {
            $psr4[$prefix] = [rtrim($package.'/'.$dir, '/')];
        }
        file_put_contents(
            $this->path.'/vendor/composer/autoload_psr4.php',
            '<?php return '.var_export($psr4, true).";\n"
        );
    }

    /** The environment of every artisan process (plus the test's own). */
    public function env(array $extra = []): array
    {
        return array_merge(getenv(), [
            'APP_ENV' => 'testing',
            'MULTIVERSE_PYTHON' => '/usr/bin/python3',
            'MULTIVERSE_RUNTIME_DIR' => $this->runtimeDir,
        ], $extra);
    }

    /** php [-d extension=...] artisan $args, started in the background. */
    public function start(array $args, array $env = []): BackgroundProcess
    {
        $id = count($this->background) + 1;
        $process = new BackgroundProcess(
            array_merge(Extension::phpCommand(), ['artisan'], $args),
            $this->path,
            $this->env($env),
            "$this->root/out/$id.out",
            "$this->root/out/$id.err"
        );

        return $this->background[] = $process;
    }

    /** php [-d extension=...] artisan $args, to its end. */
    public function artisan(array $args, array $env = [], float $timeout = 60): ProcessResult
    {
        return $this->start($args, $env)->wait($timeout);
    }

    /** Any other command, in the background, killed by destroy(). */
    public function spawn(array $argv): BackgroundProcess
    {
        $id = count($this->background) + 1;
        $process = new BackgroundProcess($argv, $this->path, $this->env(), "$this->root/out/$id.out", "$this->root/out/$id.err");
        $this->killOnDestroy($process->pid());

        return $this->background[] = $process;
    }

    public function killOnDestroy(int ...$pids): void
    {
        array_push($this->pids, ...$pids);
    }

    /**
     * Leave nothing behind, whatever the test did: clear the private
     * registry, kill every process the test started, remove the copy.
     */
    public function destroy(): void
    {
        // Registered workers still running (entries are removed as they end).
        if (glob($this->runtimeDir.'/*') !== []) {
            try {
                $this->artisan(['multiverse:clear', '--all'], [], 30);
            } catch (\Throwable) {
                // Killing the hosts below still takes their workers down.
            }
        }
        foreach ($this->background as $process) {
            $process->kill();
        }
        foreach ($this->pids as $pid) {
            Processes::kill($pid);
        }
        Files::removeTree($this->root);
    }

    public function file(string $relative): string
    {
        return $this->path.'/'.$relative;
    }

    private static function tempDir(): string
    {
        $base = sys_get_temp_dir().'/mv-laravel-'.getmypid().'-'.bin2hex(random_bytes(4));
        mkdir($base, 0700);

        return $base;
    }
}
