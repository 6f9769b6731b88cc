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

    public function testAMissingRequirementsFileIsAnError(): void
    {
        $result = $this->artisanFails(['multiverse:install', '--requirements=/nonexistent/requirements.txt', '--python=/nonexistent/python3']);

        // The venv step fails first: the interpreter does not exist.
        $this->assertStringContainsString('/nonexistent/python3', $result->stderr);
    }
}
