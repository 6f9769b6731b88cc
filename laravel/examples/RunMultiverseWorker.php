<?php

namespace App\Jobs;

use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Illuminate\Queue\SerializesModels;
use Illuminate\Support\Facades\Cache;
use Multiverse\Laravel\Facades\MultiWorker;

/**
 * Runs a multiverse worker on the queue and keeps its result in the cache
 * under $resultKey, for the code that dispatched it to pick up.
 *
 *     RunMultiverseWorker::dispatch('sentiment', ['text' => $text], "sentiment:{$review->id}");
 *
 * and on as many machines as needed:
 *
 *     php artisan queue:work
 *
 * Each queue worker process runs one worker call at a time; a timeout or a
 * crash kills the worker's whole process tree, is logged by the facade
 * (config multiverse.logging) and fails this attempt like any exception.
 *
 * Copy it into app/Jobs/ and adapt handle(): store the result in a model,
 * fire an event, chain the next job...
 */
class RunMultiverseWorker implements ShouldQueue
{
    use Dispatchable, InteractsWithQueue, Queueable, SerializesModels;

    /** Attempts before the job is marked as failed. */
    public $tries = 3;

    /**
     * Seconds queue:work lets the job run. Above the worker's own timeout,
     * so that multiverse ends a stuck worker (and everything it started)
     * with a TimeoutException before queue:work kills its own process; and
     * below the connection's retry_after (config/queue.php), or another
     * queue worker would start the same job again meanwhile.
     */
    public $timeout = 330;

    public function __construct(
        public string $worker,
        public array $payload,
        public string $resultKey,
        public float $workerTimeout = 300.0,
    ) {
    }

    public function handle(): void
    {
        $result = MultiWorker::run($this->worker, $this->payload, $this->workerTimeout);

        Cache::put($this->resultKey, $result, now()->addDay());
    }
}
