<?php

namespace Multiverse\Laravel\Tests\Support;

/**
 * A fixture application on the Redis queue driver (phpredis), with a
 * redis-server of its own and `php artisan queue:work redis` processes
 * started in the background, as Supervisor would run them.
 */
abstract class RedisQueueTestCase extends AppTestCase
{
    /** Seconds before a reserved job whose queue worker died is handed out again. */
    protected const RETRY_AFTER = 4;

    protected RedisServer $redis;

    /** @var BackgroundProcess[] */
    private array $queueWorkers = [];

    protected function setUp(): void
    {
        parent::setUp();
        $this->redis = RedisServer::start();
        $this->app->useEnv([
            'QUEUE_CONNECTION' => 'redis',
            'REDIS_HOST' => '127.0.0.1',
            'REDIS_PORT' => (string) $this->redis->port,
            'REDIS_QUEUE_RETRY_AFTER' => (string) static::RETRY_AFTER,
        ]);
        $this->artisanOk(['migrate', '--force']);
    }

    protected function tearDown(): void
    {
        try {
            parent::tearDown();
        } finally {
            $this->redis->stop();
        }
    }

    /**
     * `php artisan queue:work redis ...$options` in the background, once it
     * waits for jobs (each queue worker holds one Redis connection).
     */
    protected function startQueueWorker(array $options = [], array $env = []): BackgroundProcess
    {
        $worker = $this->app->start(array_merge(['queue:work', 'redis', '--sleep=0'], $options), $env);
        $this->queueWorkers[] = $worker;
        $wanted = count(array_filter($this->queueWorkers, fn (BackgroundProcess $w) => $w->isRunning()));
        $ready = Processes::waitUntil(fn () => ! $worker->isRunning() || $this->redis->clientCount() >= $wanted, 20);
        $this->assertTrue($ready && $worker->isRunning(), "queue worker started\n".$worker->stdout().$worker->stderr());

        return $worker;
    }

    /** Lines of a queue worker's output that start with $event ("Processed", "Failed", ...). */
    protected static function events(BackgroundProcess $worker, string $event): int
    {
        return preg_match_all('/\] '.preg_quote($event, '/').':/', $worker->stdout());
    }

    /** Wait until the queue workers together report $count $event lines. */
    protected function waitForEvents(array $workers, string $event, int $count, float $timeout): void
    {
        $seen = fn () => array_sum(array_map(fn ($w) => self::events($w, $event), $workers));
        $this->assertTrue(
            Processes::waitUntil(fn () => $seen() >= $count, $timeout),
            "$count '$event' within {$timeout}s, saw {$seen()}\n".implode("\n---\n", array_map(
                fn ($w) => $w->stdout().$w->stderr(),
                $workers
            ))
        );
    }

    /** @return array<int, array<string, mixed>> rows of failed_jobs */
    protected function failedJobs(): array
    {
        $db = new \PDO('sqlite:'.$this->app->file('database/database.sqlite'));
        $db->setAttribute(\PDO::ATTR_ERRMODE, \PDO::ERRMODE_EXCEPTION);

        return $db->query('SELECT * FROM failed_jobs ORDER BY id')->fetchAll(\PDO::FETCH_ASSOC);
    }

    /** Cached values by key, read through the app (fixture:cache-get). */
    protected function cached(string $key): mixed
    {
        return $this->json($this->artisanOk(['fixture:cache-get', $key]));
    }

    /**
     * Pids of a tree a hang_once worker wrote to $pidfile, once all run
     * (registered for killing whatever happens).
     *
     * @return int[]
     */
    protected function waitForTree(string $pidfile, array $hosts): array
    {
        $started = Processes::waitUntil(fn () => is_file($pidfile), 30);
        $this->assertTrue($started, "the worker wrote $pidfile\n".implode("\n---\n", array_map(
            fn ($w) => $w->stdout().$w->stderr(),
            $hosts
        )));
        $pids = array_map('intval', explode(' ', trim(file_get_contents($pidfile))));
        $this->assertCount(4, $pids, 'worker, child, setsid grandchild, double-forked daemon');
        $this->app->killOnDestroy(...$pids);
        foreach ($pids as $pid) {
            $this->assertTrue(Processes::alive($pid), "tree process $pid runs");
        }

        return $pids;
    }

    /** The pids of $pids still alive once $seconds have passed (or none are). */
    protected static function survivors(array $pids, float $seconds): array
    {
        $alive = fn () => array_values(array_filter($pids, [Processes::class, 'alive']));
        Processes::waitUntil(fn () => $alive() === [], $seconds);

        return $alive();
    }

    /** The host pid of a running worker, by the registry (multiverse:list). */
    protected function hostOf(int $workerPid): int
    {
        $list = $this->artisanOk(['multiverse:list']);
        $this->assertMatchesRegularExpression("/\\|\\s*$workerPid\\s*\\|[^\\n]*\\|\\s*(\\d+)\\s*\\|\\s*$/m", $list->stdout);
        preg_match("/\\|\\s*$workerPid\\s*\\|[^\\n]*\\|\\s*(\\d+)\\s*\\|\\s*$/m", $list->stdout, $m);

        return (int) $m[1];
    }
}
