<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\Tests\Support\BackgroundProcess;
use Multiverse\Laravel\Tests\Support\Extension;
use Multiverse\Laravel\Tests\Support\LogFile;
use Multiverse\Laravel\Tests\Support\Processes;
use Multiverse\Laravel\Tests\Support\RedisQueueTestCase;

/**
 * The recipe of laravel/README.md "Past one machine", end to end: the
 * example job (examples/RunMultiverseWorker.php) on the Redis queue
 * (phpredis, a real redis-server), worked by several `php artisan
 * queue:work redis` processes at once; and what happens to a job's process
 * tree when its queue worker dies mid-job, by SIGKILL or by Laravel's own
 * --timeout, and when the worker fails.
 */
class RedisQueueTest extends RedisQueueTestCase
{
    public function testSeveralQueueWorkersRunTheJobsAtOnce(): void
    {
        $first = $this->startQueueWorker();
        $second = $this->startQueueWorker();

        $keys = ['nap:1', 'nap:2', 'nap:3', 'nap:4'];
        $this->artisanOk(array_merge(['fixture:dispatch', 'nap'], $keys, ['--payload={"seconds": 1.5}']));
        $this->waitForEvents([$first, $second], 'Processed', 4, 30);

        $this->assertGreaterThanOrEqual(1, self::events($first, 'Processed'), 'the first queue worker ran jobs');
        $this->assertGreaterThanOrEqual(1, self::events($second, 'Processed'), 'the second queue worker ran jobs');

        $runs = array_map(fn (string $key) => $this->cached($key), $keys);
        foreach ($runs as $i => $run) {
            $this->assertIsArray($run, "{$keys[$i]} has its result");
            $this->assertEqualsWithDelta(1.5, $run['end'] - $run['start'], 0.5);
        }
        usort($runs, fn ($a, $b) => $a['start'] <=> $b['start']);
        $overlapping = 0;
        for ($i = 1; $i < count($runs); $i++) {
            $overlapping += $runs[$i]['start'] < $runs[$i - 1]['end'] ? 1 : 0;
        }
        $this->assertGreaterThanOrEqual(1, $overlapping, 'workers of different jobs ran at the same time: '.json_encode($runs));

        $this->assertSame([], $this->failedJobs());
        $this->assertStringContainsString('No running workers.', $this->artisanOk(['multiverse:list'])->stdout);
    }

    public function testAQueueWorkerKilledMidJobLeavesNoProcessAndTheJobIsRetried(): void
    {
        $workers = [$this->startQueueWorker(), $this->startQueueWorker()];
        $pidfile = "{$this->app->root}/tree.pids";
        $this->artisanOk(['fixture:dispatch', 'hang_once', 'tree', '--payload='.json_encode(['pidfile' => $pidfile])]);

        $pids = $this->waitForTree($pidfile, $workers);
        [$host, $other] = $this->splitByHost($workers, $pids[0]);

        posix_kill($host->pid(), SIGKILL);
        $this->assertTrue(Processes::waitUntil(fn () => ! $host->isRunning(), 5), 'the queue worker died');
        $this->assertSame([], self::survivors($pids, 2.0), 'no process of the job\'s tree outlives its queue worker by 2 s');

        // Reserved by the dead queue worker; handed out again after retry_after.
        $this->waitForEvents([$other], 'Processed', 1, static::RETRY_AFTER + 15);
        $this->assertSame(['retried' => true, 'first_pids' => $pids], $this->cached('tree'));
        $this->assertSame(0, self::events($host, 'Processed'));
        $this->assertSame([], $this->failedJobs());
        $this->assertStringContainsString('No running workers.', $this->artisanOk(['multiverse:list'])->stdout);
    }

    public function testAJobPastTheQueueWorkersTimeoutIsKilledWithItsTreeAndRetried(): void
    {
        $this->assertTrue(
            extension_loaded('pcntl') && extension_loaded('posix'),
            'queue:work enforces --timeout with pcntl_alarm() and kills itself with posix_kill()'
        );
        $workers = [$this->startQueueWorker(['--timeout=2']), $this->startQueueWorker(['--timeout=2'])];
        $pidfile = "{$this->app->root}/tree.pids";
        // No $timeout on the job: queue:work's --timeout applies.
        $this->artisanOk(['fixture:dispatch', 'hang_once', 'tree', '--queue-timeout', '--payload='.json_encode(['pidfile' => $pidfile])]);

        $pids = $this->waitForTree($pidfile, $workers);
        [$host, $other] = $this->splitByHost($workers, $pids[0]);

        // Laravel's SIGALRM handler SIGKILLs its own process, from inside
        // MultiWorker::run (the extension runs PHP signal handlers while it waits).
        $this->assertTrue(Processes::waitUntil(fn () => ! $host->isRunning(), 10), 'queue:work killed itself at --timeout');
        $this->assertSame(128 + SIGKILL, $host->wait(1)->exitCode, $host->stdout().$host->stderr());
        $this->assertSame([], self::survivors($pids, 2.0), 'no process of the job\'s tree outlives its queue worker by 2 s');

        $this->waitForEvents([$other], 'Processed', 1, static::RETRY_AFTER + 15);
        $this->assertSame(['retried' => true, 'first_pids' => $pids], $this->cached('tree'));
        $this->assertSame([], $this->failedJobs());
    }

    public function testAFailedWorkerLandsInFailedJobsWithTheRemoteException(): void
    {
        $worker = $this->startQueueWorker();
        $this->artisanOk(['fixture:dispatch', 'boom', 'boom', '--tries=1', '--payload={"x": 3}']);
        $this->waitForEvents([$worker], 'Failed', 1, 30);
        // queue:work prints "Failed:" just before it writes failed_jobs.
        Processes::waitUntil(fn () => $this->failedJobs() !== [], 5);

        $failed = $this->failedJobs();
        $this->assertCount(1, $failed);
        $this->assertSame('redis', $failed[0]['connection']);
        $this->assertSame('default', $failed[0]['queue']);
        $this->assertSame('App\Jobs\RunMultiverseWorker', json_decode($failed[0]['payload'], true)['displayName']);
        $this->assertStringStartsWith('Multiverse\WorkerException: ', $failed[0]['exception']);
        $this->assertStringContainsString("worker 'boom' exited with code 1: ValueError: bad value 3", $failed[0]['exception']);

        // The facade logged the failure before Laravel failed the job.
        $logged = array_values(array_filter(
            LogFile::entries($this->app->file('storage/logs/laravel.log')),
            fn (array $e) => ($e['context']['worker'] ?? null) === 'boom'
        ));
        $this->assertCount(1, $logged, (string) @file_get_contents($this->app->file('storage/logs/laravel.log')));
        $this->assertSame('ValueError', $logged[0]['context']['remote_type']);
        $this->assertSame('bad value 3', $logged[0]['context']['remote_message']);
        $this->assertNull($this->cached('boom'));
    }

    public function testSigtermToTheQueueWorkersProcessGroupLetsTheCallFinish(): void
    {
        // As Supervisor runs it (stopasgroup): the leader of a process group.
        $worker = $this->app->spawn(array_merge(
            ['setsid'],
            Extension::phpCommand(),
            ['artisan', 'queue:work', 'redis', '--sleep=0']
        ));
        $this->assertTrue(Processes::waitUntil(fn () => $this->redis->clientCount() >= 1, 20), 'queue worker started');
        $this->assertSame($worker->pid(), posix_getpgid($worker->pid()), 'queue:work leads its process group');

        $this->artisanOk(['fixture:dispatch', 'nap', 'nap', '--payload={"seconds": 2}']);
        $this->assertTrue(Processes::waitUntil(fn () => self::events($worker, 'Processing') === 1, 20));
        usleep(300000);
        posix_kill(-$worker->pid(), SIGTERM);

        // Laravel finishes the job, then exits; the worker never saw the signal.
        $result = $worker->wait(15);
        $this->assertSame(0, $result->exitCode, $result->describe());
        $this->assertSame(1, self::events($worker, 'Processed'));
        $nap = $this->cached('nap');
        $this->assertIsArray($nap);
        $this->assertEqualsWithDelta(2.0, $nap['end'] - $nap['start'], 0.5);
    }

    /**
     * The queue worker running a worker (by the registry's host pid), and
     * the other one.
     *
     * @param  BackgroundProcess[]  $workers
     * @return array{0: BackgroundProcess, 1: BackgroundProcess}
     */
    private function splitByHost(array $workers, int $workerPid): array
    {
        $host = $this->hostOf($workerPid);
        $running = array_values(array_filter($workers, fn ($w) => $w->pid() === $host));
        $idle = array_values(array_filter($workers, fn ($w) => $w->pid() !== $host));
        $this->assertCount(1, $running, "worker $workerPid runs in one of the queue workers (host pid $host)");

        return [$running[0], $idle[0]];
    }
}
