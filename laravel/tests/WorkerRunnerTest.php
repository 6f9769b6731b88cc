<?php

namespace Multiverse\Laravel\Tests;

use Illuminate\Config\Repository;
use Illuminate\Container\Container;
use Illuminate\Log\LogManager;
use Multiverse\Laravel\ExtensionNotLoadedException;
use Multiverse\Laravel\FailureLogger;
use Multiverse\Laravel\WorkerRunner;
use PHPUnit\Framework\TestCase;

/**
 * The bridge installed on a PHP that does not load the extension (FPM and
 * the CLI read different php.ini files): the app boots, and each call says
 * what is missing. This PHPUnit process runs without the extension.
 */
class WorkerRunnerTest extends TestCase
{
    public function testCallsExplainThatTheExtensionIsMissing(): void
    {
        if (extension_loaded('multiverse')) {
            $this->markTestSkipped('this php loads the multiverse extension from its php.ini');
        }
        $config = new Repository(['multiverse' => ['workers_path' => '/nonexistent']]);
        $runner = new WorkerRunner($config, new FailureLogger(new LogManager(new Container()), $config));

        $runner->applyConfig();

        $this->expectException(ExtensionNotLoadedException::class);
        $this->expectExceptionMessage('install it with `pecl install multiverse` and add `extension=multiverse.so`');
        $runner->run('anything');
    }
}
