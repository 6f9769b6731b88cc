<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\AppNamespace;
use Multiverse\Laravel\Tests\Support\AppTestCase;
use Multiverse\Laravel\Tests\Support\BackgroundProcess;
use Multiverse\Laravel\Tests\Support\FixtureApp;
use Multiverse\Laravel\Tests\Support\Processes;

/**
 * Two applications of one Unix user, one registry: each sees and clears
 * only the workers of its own namespace (derived from its name and base
 * path), unless asked for --all.
 */
class NamespaceTest extends AppTestCase
{
    private FixtureApp $other;

    protected function setUp(): void
    {
        parent::setUp();
        // A second copy of the same app (same APP_NAME) at another base path.
        $this->other = FixtureApp::create($this->app);
    }

    protected function tearDown(): void
    {
        $this->other->destroy();
        parent::tearDown();
    }

    public function testClearInOneAppDoesNotKillAnotherAppsWorker(): void
    {
        $this->assertSame($this->app->runtimeDir, $this->other->runtimeDir, 'one registry');
        [$host, $pids] = $this->startLongJob($this->other);

        // App A sees nothing of B's, and its clear kills nothing of B's.
        $this->assertStringContainsString('No running workers.', $this->artisanOk(['multiverse:list'])->stdout);
        $this->assertStringContainsString('Killed 0 workers.', $this->artisanOk(['multiverse:clear'])->stdout);
        $this->assertStringContainsString("Killed 0 workers named 'longjob'.", $this->artisanOk(['multiverse:clear', 'longjob'])->stdout);
        usleep(200000);
        foreach ($pids as $pid) {
            $this->assertTrue(Processes::alive($pid), "app B's longjob process $pid survives app A's clear");
        }
        $this->assertTrue($host->isRunning(), "app B's host still waits for its worker");

        // App B lists it as its own.
        $list = $this->artisanIn($this->other, ['multiverse:list']);
        $this->assertMatchesRegularExpression("/\\|\\s*{$pids[0]}\\s*\\|\\s*longjob\\s*\\|/", $list->stdout);
        $this->assertStringNotContainsString('Namespace', $list->stdout);

        // --all: app A sees it, in B's namespace, and kills it.
        $ns = AppNamespace::derive('multiverse-fixture', (string) realpath($this->other->path));
        $all = $this->artisanOk(['multiverse:list', '--all']);
        $this->assertStringContainsString('Namespace', $all->stdout);
        $this->assertMatchesRegularExpression("/\\|\\s*{$pids[0]}\\s*\\|\\s*longjob\\s*\\|.*\\|\\s*".preg_quote($ns, '/')."\\s*\\|/", $all->stdout);
        $this->assertNotSame($ns, AppNamespace::derive('multiverse-fixture', (string) realpath($this->app->path)));

        $clear = $this->artisanOk(['multiverse:clear', '--all']);
        $this->assertStringContainsString('Killed 1 worker in every namespace.', $clear->stdout);
        foreach ($pids as $pid) {
            $this->assertFalse(Processes::alive($pid), "longjob process $pid is dead");
        }
        $failed = $host->wait(30);
        $this->assertSame(1, $failed->exitCode, $failed->describe());
        $this->assertStringContainsString("worker 'longjob' was killed by clear()", $failed->stderr);
        $this->assertStringContainsString('No running workers.', $this->artisanIn($this->other, ['multiverse:list'])->stdout);
    }

    public function testAConfiguredNamespaceIsSharedByTheAppsThatSetIt(): void
    {
        $shared = ['MULTIVERSE_NAMESPACE' => 'shared-queue'];
        [$host, $pids] = $this->startLongJob($this->other, $shared);

        // Without it, app A's own namespace is empty ...
        $this->assertStringContainsString('No running workers.', $this->artisanOk(['multiverse:list'])->stdout);
        // ... with it, A sees and clears B's worker.
        $list = $this->artisanOk(['multiverse:list'], $shared);
        $this->assertMatchesRegularExpression("/\\|\\s*{$pids[0]}\\s*\\|\\s*longjob\\s*\\|/", $list->stdout);
        $this->assertStringContainsString('Killed 1 worker.', $this->artisanOk(['multiverse:clear'], $shared)->stdout);
        foreach ($pids as $pid) {
            $this->assertFalse(Processes::alive($pid), "longjob process $pid is dead");
        }
        $this->assertSame(1, $host->wait(30)->exitCode);
    }

    public function testAnInvalidNamespaceIsRefusedBeforeAnythingStarts(): void
    {
        $pidfile = "{$this->app->root}/never.pids";
        $bad = ['MULTIVERSE_NAMESPACE' => 'my app/prod'];
        foreach ([['multiverse:run', 'longjob', '--payload='.json_encode(['pidfile' => $pidfile])], ['multiverse:list'], ['multiverse:clear']] as $args) {
            $result = $this->artisanFails($args, $bad);
            $this->assertStringContainsString('Invalid multiverse configuration (config/multiverse.php)', $result->stderr);
            $this->assertStringContainsString("invalid namespace 'my app/prod'", $result->stderr);
        }
        usleep(200000);
        $this->assertFileDoesNotExist($pidfile, 'the worker never started');
        $this->assertSame([], glob($this->app->runtimeDir.'/*.entry'), 'nothing registered');
    }

    private function artisanIn(FixtureApp $app, array $args, array $env = []): \Multiverse\Laravel\Tests\Support\ProcessResult
    {
        $result = $app->artisan($args, $env);
        $this->assertSame(0, $result->exitCode, 'php artisan '.implode(' ', $args)."\n".$result->describe());

        return $result;
    }

    /**
     * `php artisan multiverse:run longjob` of $app in the background, once
     * its worker and the worker's grandchild are running.
     *
     * @return array{0: BackgroundProcess, 1: int[]}
     */
    private function startLongJob(FixtureApp $app, array $env = []): array
    {
        $pidfile = "{$app->root}/longjob.pids";
        $host = $app->start(['multiverse:run', 'longjob', '--payload='.json_encode(['pidfile' => $pidfile])], $env);
        $started = Processes::waitUntil(fn () => is_file($pidfile) || ! $host->isRunning(), 30);
        $this->assertTrue($started && is_file($pidfile), "longjob started\n".$host->stdout().$host->stderr());
        $pids = array_map('intval', explode(' ', trim(file_get_contents($pidfile))));
        $app->killOnDestroy(...$pids);
        foreach ($pids as $pid) {
            $this->assertTrue(Processes::alive($pid), "longjob process $pid runs");
        }

        return [$host, $pids];
    }
}
