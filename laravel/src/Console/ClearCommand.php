<?php

namespace Multiverse\Laravel\Console;

use Multiverse\Laravel\WorkerRunner;
use Throwable;

/**
 * Kills running workers through the extension's registry: only processes
 * multiverse started for this user in this application's namespace (every
 * namespace with --all), matched by exact worker name and checked by
 * process start time before any signal; each whole tree gets SIGTERM, then
 * SIGKILL after kill_grace. No pgrep, no command-line matching: other
 * apps' processes are never touched.
 */
class ClearCommand extends Command
{
    protected $signature = 'multiverse:clear
        {worker? : Only workers with exactly this name (default: all)}
        {--all : Workers of every namespace (every application of this user), not only this application\'s}';

    protected $description = 'Kill running multiverse workers of this application, with their whole process trees';

    public function handle(WorkerRunner $runner): int
    {
        $worker = $this->argument('worker');
        if ($worker !== null && $this->workerName($worker) === null) {
            return self::FAILURE;
        }
        try {
            $killed = $runner->clear($worker, (bool) $this->option('all'));
        } catch (Throwable $e) {
            return $this->failWith($e->getMessage());
        }
        $this->info(sprintf(
            'Killed %d %s%s%s.',
            $killed,
            $killed === 1 ? 'worker' : 'workers',
            $worker === null ? '' : " named '$worker'",
            $this->option('all') ? ' in every namespace' : ''
        ));

        return self::SUCCESS;
    }
}
