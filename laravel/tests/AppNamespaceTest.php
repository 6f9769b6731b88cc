<?php

namespace Multiverse\Laravel\Tests;

use Multiverse\Laravel\AppNamespace;
use PHPUnit\Framework\TestCase;

/** The registry namespace derived from an application's name and base path. */
class AppNamespaceTest extends TestCase
{
    private const VALID = '/^[A-Za-z0-9_.-]{1,64}$/';

    public function testSlugOfTheNameAndAHashOfTheBasePath(): void
    {
        $ns = AppNamespace::derive('My Shop', '/var/www/shop');
        $this->assertSame('my-shop-'.substr(hash('sha256', '/var/www/shop'), 0, 8), $ns);
        $this->assertMatchesRegularExpression(self::VALID, $ns);
        // The same app elsewhere (staging next to production) is another namespace,
        // and the same path always gives the same one.
        $this->assertNotSame($ns, AppNamespace::derive('My Shop', '/var/www/shop-staging'));
        $this->assertSame($ns, AppNamespace::derive('My Shop', '/var/www/shop'));
    }

    public function testEveryNameGivesAValidNamespace(): void
    {
        $cases = [
            'Café Größe' => 'cafe-grosse-',
            '  --Laravel!!  ' => 'laravel-',
            '' => 'app-',
            '✓✓✓' => 'app-',
            '../../etc/passwd' => 'etc-passwd-',
            str_repeat('Long Name ', 20) => substr(rtrim(substr(str_repeat('long-name-', 20), 0, 55), '-'), 0, 55).'-',
        ];
        foreach ($cases as $name => $prefix) {
            $ns = AppNamespace::derive((string) $name, '/srv/app');
            $this->assertMatchesRegularExpression(self::VALID, $ns, var_export($name, true));
            $this->assertStringStartsWith($prefix, $ns, var_export($name, true));
            $this->assertLessThanOrEqual(64, strlen($ns));
        }
    }
}
