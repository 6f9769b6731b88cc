<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\Tests\Support\AppTestCase;
use Multiverse\Laravel\Tests\Support\BackgroundProcess;
use Multiverse\Laravel\Tests\Support\Processes;

/**
 * multiverse:list and multiverse:clear see workers started by another
 * process through the registry, and clear kills exactly the named worker's
 * whole tree, never a process that merely looks like it.
 */
class ClearCommandTest extends AppTestCase
{
    public function testClearKillsTheNamedWorkersTreeAndNothingElse(): void
    {
        // longjob_v2 shares a prefix with longjob; pgrep -f would match both.
        mkdir($this->app->workersPath.'/longjob_v2');
        copy($this->app->workersPath.'/longjob/main.py', $this->app->workersPath.'/longjob_v2/main.py');

        [$host, $pids] = $this->startLongJob('longjob');
        [$otherHost, $otherPids] = $this->startLongJob('longjob_v2');
        // Not a worker, but its command line holds the worker's path.
        $lookalike = $this->app->spawn(['bash', '-c', 'exec -a "$0" sleep 300', $this->app->workersPath.'/longjob/main.py']);
        $this->assertTrue(Processes::waitUntil(fn () => str_contains(
            (string) @file_get_contents('/proc/'.$lookalike->pid().'/cmdline'),
            $this->app->workersPath.'/longjob/main.py'
        ), 5));

        $list = $this->artisanOk(['multiverse:list']);
        foreach (['PID', 'Worker', 'Task ID', 'Elapsed', 'Host PID'] as $header) {
            $this->assertStringContainsString($header, $list->stdout);
        }
        $this->assertMatchesRegularExpression("/\\|\\s*{$pids[0]}\\s*\\|\\s*longjob\\s*\\|\\s*[0-9a-f]+\\s*\\|\\s*[0-9.]+s\\s*\\|\\s*{$host->pid()}\\s*\\|/", $list->stdout);
        $this->assertMatchesRegularExpression("/\\|\\s*{$otherPids[0]}\\s*\\|\\s*longjob_v2\\s*\\|/", $list->stdout);

        $only = $this->artisanOk(['multiverse:list', 'longjob']);
        $this->assertStringNotContainsString('longjob_v2', $only->stdout);

        $clear = $this->artisanOk(['multiverse:clear', 'longjob']);
        $this->assertStringContainsString("Killed 1 worker named 'longjob'.", $clear->stdout);

        // clear returns once the tree is dead: the worker and its setsid grandchild.
        foreach ($pids as $pid) {
            $this->assertFalse(Processes::alive($pid), "longjob process $pid is dead");
        }
        $failed = $host->wait(30);
        $this->assertSame(1, $failed->exitCode, $failed->describe());
        $this->assertStringContainsString("worker 'longjob' was killed by clear()", $failed->stderr);

        foreach ($otherPids as $pid) {
            $this->assertTrue(Processes::alive($pid), "longjob_v2 process $pid survives");
        }
        $this->assertTrue($otherHost->isRunning(), 'the host of longjob_v2 is still waiting for it');
        $this->assertTrue(Processes::alive($lookalike->pid()), 'the unrelated process survives');

        $after = $this->artisanOk(['multiverse:list']);
        $this->assertStringNotContainsString("{$pids[0]}", $after->stdout);
        $this->assertStringContainsString('longjob_v2', $after->stdout);

        // Without a name: every worker of the registry.
        $all = $this->artisanOk(['multiverse:clear']);
        $this->assertStringContainsString('Killed 1 worker.', $all->stdout);
        foreach ($otherPids as $pid) {
            $this->assertFalse(Processes::alive($pid), "longjob_v2 process $pid is dead");
        }
        $this->assertTrue(Processes::alive($lookalike->pid()), 'the unrelated process survives');
    }

    public function testNothingToListOrClear(): void
    {
        $this->assertStringContainsString('No running workers.', $this->artisanOk(['multiverse:list'])->stdout);
        $this->assertStringContainsString('Killed 0 workers.', $this->artisanOk(['multiverse:clear'])->stdout);
    }

    public function testNamesThatCouldBePathsAreRefused(): void
    {
        foreach (['multiverse:clear', 'multiverse:list'] as $command) {
            $result = $this->artisanFails([$command, '../longjob']);
            $this->assertStringContainsString("Invalid worker name '../longjob'", $result->stderr);
        }
    }

    /**
     * `php artisan multiverse:run $worker` in the background, once its
     * worker and the worker's grandchild are running.
     *
     * @return array{0: BackgroundProcess, 1: int[]}
     */
    private function startLongJob(string $worker): array
    {
        $pidfile = "{$this->app->root}/$worker.pids";
        $host = $this->app->start(['multiverse:run', $worker, '--payload='.json_encode(['pidfile' => $pidfile])]);
        $started = Processes::waitUntil(fn () => is_file($pidfile) || ! $host->isRunning(), 30);
        $this->assertTrue($started && is_file($pidfile), "$worker started\n".$host->stdout().$host->stderr());
        $pids = array_map('intval', explode(' ', trim(file_get_contents($pidfile))));
        $this->app->killOnDestroy(...$pids);
        foreach ($pids as $pid) {
            $this->assertTrue(Processes::alive($pid), "$worker process $pid runs");
        }

        return [$host, $pids];
    }
}
