<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\Tests\Support\AppTestCase;

/**
 * The server's restrictions (API.md §2), through a real `php artisan`
 * whose php.ini (an extra file on PHP_INI_SCAN_DIR) sets them: the app
 * still boots, and multiverse calls fail with the extension's
 * WorkerException, its code named.
 */
class HostingTest extends AppTestCase
{
    /** Environment for a PHP that also reads $ini (name => value). */
    private function ini(array $ini): array
    {
        $dir = $this->app->root.'/ini';
        @mkdir($dir);
        $lines = '';
        foreach ($ini as $name => $value) {
            $lines .= "$name=$value\n";
        }
        file_put_contents("$dir/99-hosting.ini", $lines);
        // A leading separator keeps the default scan directory too.
        return ['PHP_INI_SCAN_DIR' => PATH_SEPARATOR.$dir];
    }

    public function testTheAppBootsWithTheExtensionTurnedOffAndCallsSayWhy(): void
    {
        $env = $this->ini(['multiverse.enabled' => '0']);
        $pidfile = $this->app->root.'/longjob.pids';

        $this->artisanOk(['list'], $env);
        $result = $this->artisanFails(['multiverse:run', 'longjob', '--payload='.json_encode(['pidfile' => $pidfile])], $env);
        $this->assertStringContainsString('multiverse is turned off on this server (multiverse.enabled=0)', $result->stderr);
        $this->assertStringContainsString('exception: Multiverse\\WorkerException (DISABLED)', $result->stderr);
        $this->assertFileDoesNotExist($pidfile);
    }

    public function testLockedConfigurationIsReportedByTheFirstCall(): void
    {
        // config/multiverse.php sets python from MULTIVERSE_PYTHON; the
        // server locks it.
        $env = $this->ini(['multiverse.lock_config' => '1', 'multiverse.python' => '/usr/bin/python3']);

        $pidfile = $this->app->root.'/longjob.pids';

        $this->artisanOk(['list'], $env);
        $result = $this->artisanFails(['multiverse:run', 'longjob', '--payload='.json_encode(['pidfile' => $pidfile])], $env);
        $this->assertStringContainsString('option "python" cannot be set: multiverse.lock_config=1', $result->stderr);
        $this->assertStringContainsString('(DISABLED)', $result->stderr);
        $this->assertFileDoesNotExist($pidfile);
    }

    public function testProcOpenDisabledStopsWorkersBeforeTheyStart(): void
    {
        $env = $this->ini(['disable_functions' => 'proc_open']);
        $pidfile = $this->app->root.'/longjob.pids';

        $result = $this->artisanFails(['multiverse:run', 'longjob', '--payload='.json_encode(['pidfile' => $pidfile])], $env);
        $this->assertStringContainsString('proc_open is disabled by the disable_functions directive', $result->stderr);
        $this->assertStringContainsString('(DISABLED)', $result->stderr);
        $this->assertFileDoesNotExist($pidfile);
    }
}
