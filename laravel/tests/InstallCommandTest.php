<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\Tests\Support\AppTestCase;

/** multiverse:install: the shared venv, then the workers' requirements. */
class InstallCommandTest extends AppTestCase
{
    public function testCreatesTheVenvThenReportsAnUnreachableIndexClearly(): void
    {
        $venv = $this->app->workersPath.'/python/venv';

        $first = $this->artisanOk(['multiverse:install']);
        $this->assertStringContainsString("Creating the Python venv $venv", $first->stdout);
        $this->assertStringContainsString('nothing to install', $first->stdout);
        // The tests set MULTIVERSE_PYTHON, which takes precedence over the venv.
        $this->assertStringContainsString('multiverse.python is set to /usr/bin/python3', $first->stdout);
        $this->assertFileExists("$venv/bin/python");
        $this->assertFileExists("$venv/bin/pip");

        // With `python` unset, workers run on the venv's interpreter.
        $which = $this->artisanOk(['multiverse:run', 'whichpython'], ['MULTIVERSE_PYTHON' => '']);
        $this->assertSame(['prefix' => $venv], $this->json($which));

        // An index that refuses connections, whatever the network here.
        file_put_contents($this->app->workersPath.'/python/requirements.txt', "multiverse-test-no-such-package==1.0\n");
        $started = microtime(true);
        $second = $this->artisanFails(
            ['multiverse:install', '--pip-timeout=5', '--pip-retries=0'],
            ['PIP_INDEX_URL' => 'http://127.0.0.1:9/simple/', 'PIP_FIND_LINKS' => '', 'PIP_NO_CACHE_DIR' => '1']
        );
        $this->assertLessThan(60, microtime(true) - $started);
        $this->assertStringContainsString("Using the existing venv $venv", $second->stdout);
        $this->assertStringContainsString(
            'pip could not reach the Python package index (http://127.0.0.1:9/simple/multiverse-test-no-such-package/: [Errno 111] Connection refused)',
            $second->stderr
        );
        $this->assertStringContainsString('PIP_INDEX_URL', $second->stderr);
    }

    /**
     * The silent hang of issue 14: a scaffolded worker marked warm. Without
     * the SDK it fails at once saying what to do; multiverse:install puts
     * the SDK into the venv, and the worker then serves warm.
     */
    public function testInstallsTheWorkerSdkSoAScaffoldedWorkerServesWarm(): void
    {
        $venv = $this->app->workersPath.'/python/venv';
        $this->artisanOk(['multiverse:worker', 'greeter']);
        $main = $this->app->workersPath.'/greeter/main.py';
        // The handler also says whether it runs warm.
        file_put_contents($main, str_replace(
            'return {"worker": "greeter", "received": payload}',
            'return {"worker": "greeter", "received": payload, "warm": os.environ.get("MULTIVERSE_WARM")}',
            file_get_contents($main)
        ));
        file_put_contents($this->app->workersPath.'/greeter/multiverse.json', '{"warm": {"processes": 1}}');

        // /usr/bin/python3 has no multiverse package: the call fails at
        // once (not at its timeout) and names the fix.
        $started = microtime(true);
        $failed = $this->artisanFails(['multiverse:run', 'greeter', '--payload={"n": 1}']);
        $this->assertLessThan(8, microtime(true) - $started);
        $this->assertStringContainsString('(warm process ended before greeting)', $failed->stderr);
        $this->assertStringContainsString('php artisan multiverse:install', $failed->stderr);

        $install = $this->artisanOk(['multiverse:install']);
        $this->assertStringContainsString("Installed the multiverse worker SDK (from multiverse import worker) into $venv", $install->stdout);
        $this->assertCount(1, glob("$venv/lib/python3*/site-packages/multiverse/worker.py"));

        // On the venv's interpreter (python unset), the worker is warm.
        $env = ['MULTIVERSE_PYTHON' => ''];
        $result = $this->artisanOk(['multiverse:run', 'greeter', '--payload={"n": 2}'], $env);
        $this->assertSame(['worker' => 'greeter', 'received' => ['n' => 2], 'warm' => '1'], $this->json($result));

        // Run again, the copy is refreshed; a venv with its own multiverse
        // package keeps it.
        $again = $this->artisanOk(['multiverse:install']);
        $this->assertStringContainsString('Installed the multiverse worker SDK', $again->stdout);
        $sdk = glob("$venv/lib/python3*/site-packages/multiverse")[0];
        file_put_contents("$sdk/__init__.py", "# another multiverse\n");
        $kept = $this->artisanOk(['multiverse:install']);
        $this->assertStringContainsString("The venv has the multiverse package ($sdk/__init__.py): its worker SDK is used.", $kept->stdout);
        $this->assertSame("# another multiverse\n", file_get_contents("$sdk/__init__.py"));
    }

    public function testAMissingRequirementsFileIsAnError(): void
    {
        $result = $this->artisanFails(['multiverse:install', '--requirements=/nonexistent/requirements.txt', '--python=/nonexistent/python3']);

        // The venv step fails first: the interpreter does not exist.
        $this->assertStringContainsString('/nonexistent/python3', $result->stderr);
    }
}
