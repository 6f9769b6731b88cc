<?php

namespace Multiverse\Laravel\Tests\Support;

/**
 * A process started with proc_open and an argv array (no shell), with its
 * output in files so that it can never block on a full pipe.
 */
final class BackgroundProcess
{
    /** @var resource */
    private $handle;
    private int $pid;
    private ?int $exitCode = null;

    public function __construct(array $argv, string $cwd, array $env, private string $outFile, private string $errFile)
    {
        $handle = proc_open($argv, [
            0 => ['file', '/dev/null', 'r'],
            1 => ['file', $outFile, 'w'],
            2 => ['file', $errFile, 'w'],
        ], $pipes, $cwd, $env);
        if (! is_resource($handle)) {
            throw new \RuntimeException('cannot start '.implode(' ', $argv));
        }
        $this->handle = $handle;
        $this->pid = proc_get_status($handle)['pid'];
    }

    public function pid(): int
    {
        return $this->pid;
    }

    public function isRunning(): bool
    {
        if ($this->exitCode !== null) {
            return false;
        }
        $status = proc_get_status($this->handle);
        if ($status['running']) {
            return true;
        }
        // proc_get_status() reports the exit status only once.
        $this->exitCode = $status['signaled'] ? 128 + $status['termsig'] : $status['exitcode'];

        return false;
    }

    /** Wait for the end, killing the process after $timeout seconds. */
    public function wait(float $timeout): ProcessResult
    {
        $ended = Processes::waitUntil(fn () => ! $this->isRunning(), $timeout);
        if (! $ended) {
            $this->kill();
            Processes::waitUntil(fn () => ! $this->isRunning(), 5);
        }
        $result = new ProcessResult($this->exitCode ?? -1, $this->stdout(), $this->stderr());
        if (! $ended) {
            throw new \RuntimeException("process {$this->pid} did not end within {$timeout}s\n".$result->describe());
        }

        return $result;
    }

    public function kill(): void
    {
        if ($this->isRunning()) {
            proc_terminate($this->handle, 9);
        }
    }

    public function stdout(): string
    {
        return (string) @file_get_contents($this->outFile);
    }

    public function stderr(): string
    {
        return (string) @file_get_contents($this->errFile);
    }
}
