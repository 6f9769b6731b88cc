<?php

namespace Multiverse\Laravel\Tests\Support;

/**
 * A private redis-server (Debian's) for one test: bound to 127.0.0.1 on a
 * free port, no persistence (no RDB, no AOF), its own temporary directory,
 * shut down by stop().
 */
final class RedisServer
{
    private function __construct(
        private BackgroundProcess $process,
        public readonly int $port,
        private string $dir,
    ) {
    }

    public static function start(): self
    {
        $binary = self::binary();
        $dir = sys_get_temp_dir().'/mv-redis-'.getmypid().'-'.bin2hex(random_bytes(4));
        mkdir($dir, 0700);
        // A port found free can be taken before redis binds it: try again.
        for ($attempt = 1; ; $attempt++) {
            $port = self::freePort();
            $process = new BackgroundProcess([
                $binary,
                '--bind', '127.0.0.1',
                '--port', (string) $port,
                '--save', '',
                '--appendonly', 'no',
                '--dir', $dir,
                '--daemonize', 'no',
                '--logfile', '',
            ], $dir, ['PATH' => getenv('PATH') ?: '/usr/bin:/bin'], "$dir/redis.out", "$dir/redis.err");
            $server = new self($process, $port, $dir);
            if (Processes::waitUntil(fn () => ! $process->isRunning() || $server->answers(), 10) && $process->isRunning()) {
                return $server;
            }
            $output = $process->stdout().$process->stderr();
            $process->kill();
            if ($attempt === 3) {
                Files::removeTree($dir);
                throw new \RuntimeException("redis-server did not start on 127.0.0.1:$port\n$output");
            }
        }
    }

    /** A connection through the phpredis extension (keys are not prefixed). */
    public function client(): \Redis
    {
        $redis = new \Redis();
        $redis->connect('127.0.0.1', $this->port, 2.0);

        return $redis;
    }

    /** Clients connected now, this test's own connection left out. */
    public function clientCount(): int
    {
        $redis = $this->client();
        try {
            return count($redis->client('list')) - 1;
        } finally {
            $redis->close();
        }
    }

    public function stop(): void
    {
        if ($this->process->isRunning()) {
            try {
                $this->client()->rawCommand('SHUTDOWN', 'NOSAVE');
            } catch (\RedisException) {
                // The connection drops as the server goes.
            }
            if (! Processes::waitUntil(fn () => ! $this->process->isRunning(), 5)) {
                $this->process->kill();
                Processes::waitUntil(fn () => ! $this->process->isRunning(), 5);
            }
        }
        Files::removeTree($this->dir);
    }

    public function log(): string
    {
        return $this->process->stdout().$this->process->stderr();
    }

    private function answers(): bool
    {
        try {
            $redis = $this->client();
            $pong = $redis->ping();
            $redis->close();

            return $pong === true || $pong === '+PONG' || $pong === 'PONG';
        } catch (\RedisException) {
            return false;
        }
    }

    private static function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        if ($socket === false) {
            throw new \RuntimeException("no free port on 127.0.0.1: $error");
        }
        $name = stream_socket_get_name($socket, false);
        fclose($socket);

        return (int) substr($name, strrpos($name, ':') + 1);
    }

    private static function binary(): string
    {
        foreach (['/usr/bin/redis-server', '/usr/local/bin/redis-server'] as $path) {
            if (is_executable($path)) {
                return $path;
            }
        }
        throw new \RuntimeException('redis-server is needed (Debian: apt-get install redis-server)');
    }
}
