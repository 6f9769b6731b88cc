<?php

namespace Multiverse\Laravel\Console;

use JsonException;
use Multiverse\Laravel\WorkerRunner;
use Symfony\Component\Console\Output\OutputInterface;
use Throwable;

/**
 * Run one worker from the shell, as the app would through the facade
 * (same configuration, same failure logging); the result is printed as
 * JSON on stdout, failures on stderr.
 */
class RunCommand extends Command
{
    // Laravel's signature parser ends an option at the first "}": no
    // braces in descriptions (RunCommandTest checks the --help text).
    protected $signature = 'multiverse:run
        {worker : Name of the worker (a directory or file in workers_path)}
        {--payload= : JSON object or array sent to the worker on stdin (default: an empty object)}
        {--timeout= : Seconds before the worker tree is killed (default: the configured timeout)}';

    protected $description = 'Run a multiverse worker and print its JSON result';

    public function handle(WorkerRunner $runner): int
    {
        $worker = $this->workerName($this->argument('worker'));
        if ($worker === null) {
            return self::FAILURE;
        }
        try {
            $payload = self::payload($this->option('payload'));
        } catch (JsonException $e) {
            return $this->failWith('The --payload option is not valid JSON ('.$e->getMessage().'): '
                .'pass a JSON object, e.g. --payload=\'{"name": "value"}\'.');
        }
        if (! is_array($payload)) {
            return $this->failWith('The --payload option must be a JSON object or array, got '.gettype($payload).'.');
        }
        $timeout = $this->option('timeout');
        if ($timeout !== null && (! is_numeric($timeout) || $timeout < 0)) {
            return $this->failWith("The --timeout option must be a number of seconds >= 0, got '$timeout'.");
        }

        try {
            $result = $runner->run($worker, $payload, $timeout === null ? null : (float) $timeout);
        } catch (Throwable $e) {
            return $this->reportFailure($e);
        }
        $this->output->writeln(
            json_encode($result, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION),
            // The result is data, not console markup.
            OutputInterface::OUTPUT_RAW
        );

        return self::SUCCESS;
    }

    /** @throws JsonException */
    private static function payload(?string $json): mixed
    {
        if ($json === null || trim($json) === '') {
            return [];
        }

        return json_decode($json, true, 512, JSON_THROW_ON_ERROR);
    }
}
