<?php

namespace Multiverse\Laravel\Console;

use Multiverse\Laravel\WorkerRunner;
use Throwable;

/**
 * Running workers of this application's namespace (every namespace with
 * --all), started by any process of this user (the registry is shared).
 */
class ListCommand extends Command
{
    protected $signature = 'multiverse:list
        {worker? : Only workers with exactly this name}
        {--all : Workers of every namespace (every application of this user), not only this application\'s}';

    protected $description = 'List running multiverse workers of this application';

    public function handle(WorkerRunner $runner): int
    {
        $worker = $this->argument('worker');
        if ($worker !== null && $this->workerName($worker) === null) {
            return self::FAILURE;
        }
        try {
            $all = (bool) $this->option('all');
            $running = $runner->running($worker, $all);
        } catch (Throwable $e) {
            return $this->failWith($e->getMessage());
        }
        if ($running === []) {
            $this->info($worker === null ? 'No running workers.' : "No running workers named '$worker'.");

            return self::SUCCESS;
        }
        usort($running, fn (array $a, array $b) => $a['started_at'] <=> $b['started_at']);
        $this->table(
            array_merge(['PID', 'Worker', 'Task ID', 'Elapsed', 'Host PID'], $all ? ['Namespace'] : []),
            array_map(fn (array $w) => array_merge([
                $w['pid'],
                $w['worker'],
                $w['task_id'],
                self::duration((float) $w['elapsed']),
                $w['host_pid'],
            ], $all ? [$w['namespace'] ?? ''] : []), $running)
        );

        return self::SUCCESS;
    }

    private static function duration(float $seconds): string
    {
        if ($seconds < 60) {
            return sprintf('%.1fs', $seconds);
        }
        $s = (int) $seconds;

        return $s < 3600
            ? sprintf('%dm%02ds', intdiv($s, 60), $s % 60)
            : sprintf('%dh%02dm%02ds', intdiv($s, 3600), intdiv($s % 3600, 60), $s % 60);
    }
}
