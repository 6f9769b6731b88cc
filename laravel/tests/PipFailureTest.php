<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\PipFailure;
use PHPUnit\Framework\TestCase;

class PipFailureTest extends TestCase
{
    public function testVerboseFetchErrorNamesTheIndexAndTheCause(): void
    {
        $log = <<<'LOG'
            Looking in links: /opt/wheels
            Fetching project page and analyzing links: https://pypi.org/simple/requests/
            Could not fetch URL https://pypi.org/simple/requests/: connection error: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded with url: /simple/requests/ (Caused by NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno -2] Name or service not known')) - skipping
            ERROR: Could not find a version that satisfies the requirement requests (from versions: none)
            ERROR: No matching distribution found for requests
            LOG;

        $this->assertSame(
            'https://pypi.org/simple/requests/: [Errno -2] Name or service not known',
            PipFailure::indexUnreachable($log)
        );
    }

    public function testRetryWarningCounts(): void
    {
        $log = "WARNING: Retrying (Retry(total=1, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ConnectTimeoutError(<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>, 'Connection to pypi.org timed out. (connect timeout=5)')': /simple/requests/\n";

        $this->assertSame('timed out', PipFailure::indexUnreachable($log));
    }

    public function testAMissingPackageOnAReachableIndexIsNotAConnectionProblem(): void
    {
        $log = <<<'LOG'
            Could not fetch URL https://pypi.org/simple/no-such-thing/: 404 Client Error: Not Found for url: https://pypi.org/simple/no-such-thing/ - skipping
            ERROR: Could not find a version that satisfies the requirement no-such-thing (from versions: none)
            ERROR: No matching distribution found for no-such-thing
            LOG;

        $this->assertNull(PipFailure::indexUnreachable($log));
    }
}
