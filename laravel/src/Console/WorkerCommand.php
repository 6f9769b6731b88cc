<?php

namespace Multiverse\Laravel\Console;

use Illuminate\Filesystem\Filesystem;

/**
 * Scaffolds {workers_path}/{name}/main.py: by default a worker written
 * against the Python SDK (from multiverse import worker) that falls back to
 * the plain protocol when the SDK is not installed; with --plain, the
 * plain protocol only.
 */
class WorkerCommand extends Command
{
    protected $signature = 'multiverse:worker
        {name : Worker name: letters, digits, "_" and "-"}
        {--plain : Use the plain protocol (stdin JSON in, fd 3 JSON out) instead of the Python SDK}';

    protected $description = 'Create a Python multiverse worker';

    /** Files that would already make {name} a worker (API.md §1 lookup). */
    private const EXISTING = [
        '%s', '%s.py', '%s.js', '%s.php', 'python/%s/main.py',
    ];

    public function handle(Filesystem $files): int
    {
        $name = $this->workerName($this->argument('name'));
        if ($name === null) {
            return self::FAILURE;
        }
        $root = $this->workersPath();
        if ($root === null) {
            return $this->failWith('multiverse.workers_path is not set (config/multiverse.php).');
        }
        foreach (self::EXISTING as $pattern) {
            $path = $root.'/'.sprintf($pattern, $name);
            if ($files->exists($path)) {
                return $this->failWith("Worker '$name' already exists: $path (nothing was changed).");
            }
        }

        $stub = __DIR__.'/../../stubs/'.($this->option('plain') ? 'worker-plain.py.stub' : 'worker.py.stub');
        $target = "$root/$name/main.py";
        $files->ensureDirectoryExists(dirname($target));
        $files->put($target, str_replace('{{ name }}', $name, $files->get($stub)));

        $this->info("Created $target");
        $this->line("Run it: php artisan multiverse:run $name --payload='{\"hello\": \"world\"}'");

        return self::SUCCESS;
    }
}
