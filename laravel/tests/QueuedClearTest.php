<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\Tests\Support\BackgroundProcess;
use Multiverse\Laravel\Tests\Support\LogFile;
use Multiverse\Laravel\Tests\Support\Processes;
use Multiverse\Laravel\Tests\Support\RedisQueueTestCase;

/**
 * Multiverse\Laravel\Jobs\ClearWorkers: multiverse:clear run by whichever
 * queue worker picks the job up, on that machine. Two machines are played
 * on one by two registries (runtime_dir): a registry is what a machine's
 * clear can see.
 */
class QueuedClearTest extends RedisQueueTestCase
{
    public function testAQueuedClearKillsTheNamedWorkersOfAnotherProcess(): void
    {
        mkdir($this->app->workersPath.'/longjob_v2');
        copy($this->app->workersPath.'/longjob/main.py', $this->app->workersPath.'/longjob_v2/main.py');
        [$host, $pids] = $this->startLongJob('longjob');
        [$otherHost, $otherPids] = $this->startLongJob('longjob_v2');

        $this->artisanOk(['fixture:clear-workers', 'longjob']);
        $work = $this->artisanOk(['queue:work', 'redis', '--once']);
        $this->assertMatchesRegularExpression('/Processed:\s+Multiverse\\\\Laravel\\\\Jobs\\\\ClearWorkers/', $work->stdout);

        // The job ended once the tree was dead: the worker and its setsid grandchild.
        foreach ($pids as $pid) {
            $this->assertFalse(Processes::alive($pid), "longjob process $pid is dead");
        }
        $failed = $host->wait(30);
        $this->assertSame(1, $failed->exitCode, $failed->describe());
        $this->assertStringContainsString("worker 'longjob' was killed by clear()", $failed->stderr);
        foreach ($otherPids as $pid) {
            $this->assertTrue(Processes::alive($pid), "longjob_v2 process $pid survives");
        }
        $this->assertTrue($otherHost->isRunning());

        $cleared = $this->clearedEntries($this->app->file('storage/logs/laravel.log'));
        $this->assertCount(1, $cleared);
        $this->assertSame(
            "multiverse: cleared 1 worker named 'longjob' on ".gethostname(),
            $cleared[0]['message']
        );
        $this->assertSame(['host' => gethostname(), 'worker' => 'longjob', 'killed' => 1], $cleared[0]['context']);
    }

    public function testAnInvalidWorkerNameIsRefusedWhenDispatching(): void
    {
        $result = $this->app->artisan(['fixture:clear-workers', '../longjob', '-v']);
        $this->assertSame(1, $result->exitCode, $result->describe());
        $this->assertStringContainsString('ValueError', $result->stdout.$result->stderr);
        $this->assertStringContainsString("Invalid worker name '../longjob'", $result->stdout.$result->stderr);
        $this->assertSame(0, $this->redis->client()->lLen('multiverse_fixture_queues:default'), 'nothing was queued');
    }

    public function testAFleetIsClearedByOneJobPerMachineQueue(): void
    {
        // Machines a and b: a registry each, a worker running on each, a
        // queue worker each that works its machine's queue and the shared
        // default queue.
        $machines = [];
        foreach (['a', 'b'] as $name) {
            $registry = "{$this->app->root}/run-$name";
            mkdir($registry, 0700);
            $env = ['MULTIVERSE_RUNTIME_DIR' => $registry];
            $machines[$name] = [
                'job' => $this->startLongJob('longjob', $env, $name),
                'queue' => $this->startQueueWorker(["--queue=multiverse-$name,default"], $env),
            ];
        }
        $alive = fn (string $name) => array_filter($machines[$name]['job'][1], [Processes::class, 'alive']) !== [];
        $queueWorkers = array_column($machines, 'queue');

        // A job on a shared queue reaches one queue worker: one machine only.
        $this->artisanOk(['fixture:clear-workers']);
        $this->waitForEvents($queueWorkers, 'Processed', 1, 20);
        usleep(500000);
        $this->assertSame(1, array_sum(array_map(fn ($w) => self::events($w, 'Processed'), $queueWorkers)));
        $survivors = array_values(array_filter(['a', 'b'], $alive));
        $this->assertCount(1, $survivors, 'one machine cleared, the other not');

        // One job per machine queue: every machine clears.
        $this->artisanOk(['fixture:clear-workers', '--queue=multiverse-a', '--queue=multiverse-b']);
        $this->waitForEvents($queueWorkers, 'Processed', 3, 20);
        foreach (['a', 'b'] as $name) {
            $this->assertFalse($alive($name), "machine $name has no worker left");
            $this->assertMatchesRegularExpression(
                "/Processed:\\s+Multiverse\\\\Laravel\\\\Jobs\\\\ClearWorkers/",
                $machines[$name]['queue']->stdout()
            );
        }
        $killed = array_map(fn ($e) => $e['context']['killed'], $this->clearedEntries($this->app->file('storage/logs/laravel.log')));
        sort($killed);
        $this->assertSame([0, 1, 1], $killed, 'the shared-queue job cleared one machine; of the per-machine jobs, the one for the survivor killed its worker');
    }

    /** @return array<int, array{level: string, message: string, context: array}> */
    private function clearedEntries(string $log): array
    {
        return array_values(array_filter(
            LogFile::entries($log),
            fn (array $e) => str_starts_with($e['message'], 'multiverse: cleared ')
        ));
    }

    /**
     * `php artisan multiverse:run $worker` in the background, once its
     * worker and the worker's setsid grandchild run.
     *
     * @return array{0: BackgroundProcess, 1: int[]}
     */
    private function startLongJob(string $worker, array $env = [], string $tag = ''): array
    {
        $pidfile = "{$this->app->root}/$worker$tag.pids";
        $host = $this->app->start(['multiverse:run', $worker, '--payload='.json_encode(['pidfile' => $pidfile])], $env);
        $started = Processes::waitUntil(fn () => is_file($pidfile) || ! $host->isRunning(), 30);
        $this->assertTrue($started && is_file($pidfile), "$worker started\n".$host->stdout().$host->stderr());
        $pids = array_map('intval', explode(' ', trim(file_get_contents($pidfile))));
        $this->app->killOnDestroy(...$pids);

        return [$host, $pids];
    }
}
