<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\Tests\Support\AppTestCase;

/**
 * A progress bar over many calls, as README.md shows it: a real artisan
 * command of the fixture app (fixture:progress) hands runMany() a progress
 * callable that moves `$this->output->createProgressBar()`.
 */
class ProgressTest extends AppTestCase
{
    /** The JSON the command printed last, after its progress bar. */
    private function lastLine(string $stdout): array
    {
        $lines = array_values(array_filter(explode("\n", $stdout), fn (string $l) => trim($l) !== ''));

        return json_decode(end($lines), true, 512, JSON_THROW_ON_ERROR);
    }

    public function testTheBarFollowsTheCalls(): void
    {
        $result = $this->artisanOk(['fixture:progress', '5']);
        $out = $this->lastLine($result->stdout);

        $this->assertSame([1, 2, 3, 4, 5], $out['sums']);
        // Told in order up to 5/5, every call with the same total.
        $done = array_map(fn (string $t) => (int) explode('/', $t)[0], $out['told']);
        $this->assertSame('5/5', end($out['told']));
        $this->assertSame($done, array_values(array_unique($done)));
        $this->assertSame($done, (function (array $d) { sort($d); return $d; })($done));
        // Symfony's progress bar draws on stderr; stdout keeps the data.
        $this->assertStringContainsString('0/5 [', $result->stderr);
        $this->assertMatchesRegularExpression('~ 5/5 \[\S+\]\s+100%~u', $result->stderr);
        $this->assertStringNotContainsString('100%', $result->stdout);
    }

    public function testAnExceptionFromTheCallbackStopsTheBatchAndIsNotLogged(): void
    {
        $result = $this->artisanFails(['fixture:progress', '6', '--stop-at=2']);
        $out = $this->lastLine($result->stdout);

        $this->assertStringStartsWith('stopped at ', $out['stopped']);
        $this->assertLessThan(6, (int) substr($out['stopped'], strlen('stopped at ')));
        // The caller's own exception, not a worker's failure.
        $this->assertFileDoesNotExist($this->app->file('storage/logs/laravel.log'));
    }
}
