<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\ExtensionOptions;
use Multiverse\Laravel\InvalidConfigurationException;
use PHPUnit\Framework\TestCase;

class ExtensionOptionsTest extends TestCase
{
    public function testEnvStringsBecomeOptions(): void
    {
        $options = ExtensionOptions::fromConfig([
            'workers_path' => '/app/multiverse',
            'timeout' => '30',
            'kill_grace' => ' 0.5 ',
            'python' => '/usr/bin/python3',
            'node' => '',
            'max_output' => '1048576',
            'logging' => ['enabled' => true],
        ]);

        $this->assertSame([
            'workers_path' => '/app/multiverse',
            'python' => '/usr/bin/python3',
            'node' => null,
            'php' => null,
            'runtime_dir' => null,
            'namespace' => null,
            'timeout' => 30.0,
            'kill_grace' => 0.5,
            'max_output' => 1048576,
            'inherit_env' => null,
        ], $options);
    }

    public function testInheritEnvTakesWhatEnvLeaves(): void
    {
        foreach ([[true, true], [false, false], ['0', false], ['off', false], ['yes', true], [1, true], [null, null], ['', null]] as [$value, $expected]) {
            $this->assertSame($expected, ExtensionOptions::fromConfig(['inherit_env' => $value])['inherit_env'], var_export($value, true));
        }
    }

    public function testEnvIsPassedOnlyWhenItHasEntries(): void
    {
        $this->assertArrayNotHasKey('env', ExtensionOptions::fromConfig(['env' => []]));
        // An env() of an unset variable is null: the variable is left out.
        $this->assertArrayNotHasKey('env', ExtensionOptions::fromConfig(['env' => ['HF_TOKEN' => null]]));

        $this->assertSame(
            ['HF_HOME' => '/srv/hf', 'THREADS' => '4', 'RATIO' => '0.5', 'EMPTY' => ''],
            ExtensionOptions::fromConfig(['env' => ['HF_HOME' => '/srv/hf', 'HF_TOKEN' => null, 'THREADS' => 4, 'RATIO' => 0.5, 'EMPTY' => '']])['env']
        );
    }

    public function testNullTimeoutMeansUnlimited(): void
    {
        // null in configure() would fall back to the INI value instead.
        $this->assertSame(0.0, ExtensionOptions::fromConfig(['timeout' => null])['timeout']);
        $this->assertNull(ExtensionOptions::fromConfig([])['kill_grace']);
    }

    public function testWarmWorkersArePassedOnlyWhenConfigured(): void
    {
        $this->assertArrayNotHasKey('warm', ExtensionOptions::fromConfig(['warm' => []]));

        $warm = ['embed' => ['processes' => 2, 'max_requests' => 100]];
        $this->assertSame($warm, ExtensionOptions::fromConfig(['warm' => $warm])['warm']);
    }

    /** @dataProvider invalidValues */
    public function testInvalidValuesNameTheKey(array $config, string $message): void
    {
        $this->expectException(InvalidConfigurationException::class);
        $this->expectExceptionMessage($message);
        ExtensionOptions::fromConfig($config);
    }

    public function invalidValues(): array
    {
        return [
            'timeout text' => [['timeout' => 'soon'], "multiverse.timeout must be a number of seconds or null, got 'soon'"],
            'fractional max_output' => [['max_output' => 1.5], 'multiverse.max_output must be an integer or null, got 1.5'],
            'array path' => [['workers_path' => ['a']], 'multiverse.workers_path must be a string or null, got array'],
            'inherit_env text' => [['inherit_env' => 'maybe'], "multiverse.inherit_env must be true, false or null, got 'maybe'"],
            'env string' => [['env' => 'A=1'], "multiverse.env must be an array of variable name => string, got 'A=1'"],
            'env bool value' => [['env' => ['DEBUG' => true]], 'multiverse.env.DEBUG must be a string or null, got true'],
        ];
    }
}
