<?php

namespace Multiverse\Laravel;

use Illuminate\Container\Container;
use Illuminate\Contracts\Config\Repository as Config;
use Illuminate\Log\LogManager;
use Multiverse\WorkerException;
use Throwable;

/**
 * Writes one log entry per failed worker call, on the channel named by
 * multiverse.logging.channel, with what is needed to debug it without
 * rerunning: the payload, how the process ended and the end of its stderr
 * (where a Python traceback is). Secrets of the payload are masked first
 * (multiverse.logging.redact).
 */
final class FailureLogger
{
    /** The end of stderr is where tracebacks and fatal errors are. */
    private const STDERR_TAIL_BYTES = 4096;

    /** What a masked value is logged as. */
    public const REDACTED = '[redacted]';

    /** The payload logged when the redaction rule failed: never the payload itself. */
    public const REDACTION_FAILED = '[redaction failed]';

    /** Payloads can carry whole files; past this their JSON is cut. */
    private const PAYLOAD_MAX_BYTES = 8192;

    public function __construct(private LogManager $log, private Config $config)
    {
    }

    public function enabled(): bool
    {
        return filter_var($this->config->get('multiverse.logging.enabled', true), FILTER_VALIDATE_BOOL);
    }

    public function failed(?string $worker, mixed $payload, Throwable $e): void
    {
        if (! $this->enabled()) {
            return;
        }
        $context = self::context($worker, $this->redact($payload), $e);
        try {
            $this->log->channel($this->config->get('multiverse.logging.channel'))
                ->error("multiverse: worker '{$context['worker']}' failed: {$e->getMessage()}", $context);
        } catch (Throwable $logError) {
            // The caller is about to receive the worker's exception; a broken
            // log channel must not replace it with its own.
            error_log('multiverse: could not log a worker failure: '.$logError->getMessage());
        }
    }

    /**
     * The payload as multiverse.logging.redact says to log it: the values of
     * the listed keys masked at any depth, or what the callable returns.
     */
    public function redact(mixed $payload): mixed
    {
        $rule = $this->config->get('multiverse.logging.redact', []);
        if ($rule === null || $rule === [] || $rule === '') {
            return $payload;
        }
        try {
            if (is_string($rule) && class_exists($rule) && method_exists($rule, '__invoke')) {
                $rule = Container::getInstance()->make($rule);
            }
            if (is_callable($rule)) {
                return $rule($payload);
            }
            if (is_array($rule) && array_values($rule) === $rule && array_filter($rule, 'is_string') === $rule) {
                return self::mask($payload, array_flip(array_map('strtolower', $rule)));
            }
        } catch (Throwable $redactError) {
            error_log('multiverse: multiverse.logging.redact failed: '.$redactError->getMessage());

            return self::REDACTION_FAILED;
        }
        error_log('multiverse: multiverse.logging.redact must be a list of keys or a callable, got '.get_debug_type($rule));

        return self::REDACTION_FAILED;
    }

    /** @param array<string, int> $keys lower-cased keys to mask */
    private static function mask(mixed $value, array $keys): mixed
    {
        if (is_object($value)) {
            // As the worker gets it: objects are JSON objects.
            $value = json_decode(json_encode($value, JSON_PARTIAL_OUTPUT_ON_ERROR), true);
        }
        if (! is_array($value)) {
            return $value;
        }
        foreach ($value as $key => $item) {
            $value[$key] = is_string($key) && isset($keys[strtolower($key)]) ? self::REDACTED : self::mask($item, $keys);
        }

        return $value;
    }

    /** @return array<string, mixed> */
    public static function context(?string $worker, mixed $payload, Throwable $e): array
    {
        $isWorker = $e instanceof WorkerException;

        return [
            'worker' => $worker ?? ($isWorker ? $e->getWorkerName() : null),
            'payload' => self::payload($payload),
            'message' => $e->getMessage(),
            'exception' => get_class($e),
            'code' => self::codeName($e),
            'exit_code' => $isWorker ? $e->getExitCode() : null,
            'signal' => $isWorker ? $e->getSignal() : null,
            'remote_type' => $isWorker ? $e->getRemoteType() : null,
            'remote_message' => $isWorker ? $e->getRemoteMessage() : null,
            'elapsed' => $isWorker ? round($e->getElapsed(), 3) : null,
            'stderr_tail' => $isWorker ? self::tail($e->getErrorOutput()) : '',
        ];
    }

    /**
     * The name of a WorkerException's code ("NOT_FOUND", "TIMEOUT", ...:
     * its class constants), null for any other exception.
     */
    public static function codeName(Throwable $e): ?string
    {
        if (! $e instanceof WorkerException) {
            return null;
        }
        $names = array_flip((new \ReflectionClass(WorkerException::class))->getConstants());

        return $names[$e->getCode()] ?? null;
    }

    private static function payload(mixed $payload): mixed
    {
        $json = json_encode($payload, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR);
        if ($json === false || strlen($json) <= self::PAYLOAD_MAX_BYTES) {
            return $payload;
        }

        return substr($json, 0, self::PAYLOAD_MAX_BYTES).sprintf('... (%d bytes in all)', strlen($json));
    }

    private static function tail(string $stderr): string
    {
        if (strlen($stderr) <= self::STDERR_TAIL_BYTES) {
            return $stderr;
        }
        $tail = substr($stderr, -self::STDERR_TAIL_BYTES);
        // Start on a whole line so the tail does not open mid-frame.
        $newline = strpos($tail, "\n");

        return '...'.($newline === false ? $tail : substr($tail, $newline));
    }
}
