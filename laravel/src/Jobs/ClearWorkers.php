<?php

namespace Multiverse\Laravel\Jobs;

use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Config\Repository as Config;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Log\LogManager;
use Illuminate\Queue\InteractsWithQueue;
use Multiverse\Laravel\Facades\MultiWorker;
use Multiverse\Laravel\WorkerName;

/**
 * `php artisan multiverse:clear {worker?}` as a queued job: it kills the
 * running workers (all, or those named exactly $worker) on the machine
 * whose queue worker picks it up, and logs how many on which host.
 *
 * The registry of running workers is per machine, and a queue hands each
 * job to one queue worker; to clear a fleet, dispatch one job per machine,
 * each on a queue only that machine works:
 *
 *     foreach (['web-1', 'web-2', 'gpu-1'] as $host) {
 *         ClearWorkers::dispatch('ocr')->onQueue("multiverse-$host");
 *     }
 *
 * with, on every machine, `php artisan queue:work --queue=multiverse-$(hostname),default`.
 */
class ClearWorkers implements ShouldQueue
{
    use Dispatchable, InteractsWithQueue, Queueable;

    /**
     * One attempt: a retry could be taken by another machine's queue
     * worker (when the queue is shared) and clear there instead; a failure
     * belongs in failed_jobs.
     */
    public $tries = 1;

    /** @throws \ValueError for a name that is not a worker name, at dispatch time */
    public function __construct(public ?string $worker = null)
    {
        if ($worker !== null && ($problem = WorkerName::problem($worker)) !== null) {
            throw new \ValueError($problem);
        }
    }

    public function handle(Config $config, LogManager $log): void
    {
        // The facade's clear(): the same scope as multiverse:clear on that
        // machine, whatever it becomes.
        $killed = MultiWorker::clear($this->worker);

        if (! filter_var($config->get('multiverse.logging.enabled', true), FILTER_VALIDATE_BOOL)) {
            return;
        }
        $host = (string) gethostname();
        $log->channel($config->get('multiverse.logging.channel'))->info(sprintf(
            'multiverse: cleared %d %s%s on %s',
            $killed,
            $killed === 1 ? 'worker' : 'workers',
            $this->worker === null ? '' : " named '{$this->worker}'",
            $host
        ), ['host' => $host, 'worker' => $this->worker, 'killed' => $killed]);
    }
}
