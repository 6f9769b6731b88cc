<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\Tests\Support\AppTestCase;
use Multiverse\Laravel\Tests\Support\LogFile;

/**
 * The example job (laravel/examples/RunMultiverseWorker.php, copied into the
 * app's app/Jobs) on the database queue over sqlite, worked by a separate
 * `php artisan queue:work` process: how an app spreads workers over
 * machines.
 */
class QueueTest extends AppTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        $this->artisanOk(['migrate', '--force']);
    }

    public function testAQueuedJobRunsTheWorker(): void
    {
        $this->artisanOk(['fixture:dispatch', 'add', 'sum:1', '--payload={"a": 20, "b": 22}']);
        $this->assertSame(null, $this->json($this->artisanOk(['fixture:cache-get', 'sum:1'])), 'nothing ran yet');

        $work = $this->artisanOk(['queue:work', '--once', '--sleep=0']);
        $this->assertStringContainsString('RunMultiverseWorker', $work->stdout);

        $this->assertSame(['sum' => 42], $this->json($this->artisanOk(['fixture:cache-get', 'sum:1'])));
    }

    public function testAFailingQueuedWorkerIsLogged(): void
    {
        $this->artisanOk(['fixture:dispatch', 'boom', 'boom:1', '--payload={"x": 3}']);

        // The attempt fails (the job is released for its next try).
        $this->artisanOk(['queue:work', '--once', '--sleep=0']);
        $this->assertNull($this->json($this->artisanOk(['fixture:cache-get', 'boom:1'])));

        $workerEntries = array_values(array_filter(
            LogFile::entries($this->app->file('storage/logs/laravel.log')),
            fn (array $e) => ($e['context']['worker'] ?? null) === 'boom'
        ));
        $this->assertCount(1, $workerEntries);
        $this->assertSame(['x' => 3], $workerEntries[0]['context']['payload']);
        $this->assertSame('ValueError', $workerEntries[0]['context']['remote_type']);
    }
}
