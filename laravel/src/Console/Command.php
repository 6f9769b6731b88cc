<?php

namespace Multiverse\Laravel\Console;

use Illuminate\Console\Command as IlluminateCommand;
use Multiverse\Laravel\FailureLogger;
use Multiverse\Laravel\WorkerName;
use Multiverse\Laravel\WorkerRunner;
use Multiverse\MultiWorker;
use Multiverse\WorkerException;
use Symfony\Component\Console\Formatter\OutputFormatter;
use Throwable;

/** What the multiverse:* commands share: error output and failure reports. */
abstract class Command extends IlluminateCommand
{
    /** Lines of a worker's stderr shown when it fails. */
    private const STDERR_LINES = 20;

    /**
     * Errors go to stderr, so that stdout holds only results (multiverse:run
     * output can be piped into jq).
     */
    protected function stderr(string $message, string $style = 'error'): void
    {
        // Messages carry worker output, which may contain "<tag>" text.
        $message = OutputFormatter::escape($message);
        $this->output->getErrorStyle()->writeln($style === '' ? $message : "<$style>$message</$style>");
    }

    /** Print $message on stderr and return the failure exit code. */
    protected function failWith(string $message): int
    {
        $this->stderr($message);

        return self::FAILURE;
    }

    /**
     * The workers directory: multiverse.workers_path, else the extension's
     * own setting (multiverse.workers_path in php.ini); null when neither
     * is set.
     */
    protected function workersPath(): ?string
    {
        $path = (string) $this->laravel['config']->get('multiverse.workers_path');
        if ($path === '' && WorkerRunner::extensionLoaded()) {
            $path = (string) (MultiWorker::config()['workers_path'] ?? '');
        }

        return $path === '' ? null : rtrim($path, '/');
    }

    /** The worker name argument, or null after printing why it is invalid. */
    protected function workerName(?string $name): ?string
    {
        if ($name !== null && ($problem = WorkerName::problem($name)) !== null) {
            $this->failWith($problem);

            return null;
        }

        return $name;
    }

    /** Report a failed call the way a developer needs to read it. */
    protected function reportFailure(Throwable $e): int
    {
        $this->stderr($e->getMessage());
        $code = FailureLogger::codeName($e);
        $this->stderr(sprintf('  exception: %s%s', get_class($e), $code === null ? '' : " ($code)"), 'comment');
        if (! $e instanceof WorkerException) {
            return self::FAILURE;
        }
        $this->stderr(sprintf(
            '  exit code: %s, signal: %s, elapsed: %.2fs',
            $e->getExitCode() ?? '-',
            $e->getSignal() ?? '-',
            $e->getElapsed()
        ), 'comment');
        if ($e->getRemoteType() !== null) {
            $this->stderr(sprintf('  remote: %s: %s', $e->getRemoteType(), $e->getRemoteMessage() ?? ''), 'comment');
        }
        $stderr = rtrim($e->getErrorOutput());
        if ($stderr !== '') {
            $lines = explode("\n", $stderr);
            $this->stderr('  stderr'.(count($lines) > self::STDERR_LINES ? ' (last '.self::STDERR_LINES.' lines)' : '').':', 'comment');
            foreach (array_slice($lines, -self::STDERR_LINES) as $line) {
                $this->stderr('    '.$line, '');
            }
        }

        return self::FAILURE;
    }
}
