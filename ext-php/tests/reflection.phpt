--TEST--
Reflection: every class and method of API.md section 2 with its types
--FILE--
<?php
function sig(ReflectionMethod $m): string
{
    $params = [];
    foreach ($m->getParameters() as $p) {
        $s = ($p->hasType() ? $p->getType() . ' ' : '') . '$' . $p->getName();
        if ($p->isDefaultValueAvailable()) $s .= ' = ' . var_export($p->getDefaultValue(), true);
        $params[] = $s;
    }
    return ($m->isStatic() ? 'static ' : '') . $m->getName() . '(' . implode(', ', $params) . ')'
        . ($m->hasReturnType() ? ': ' . $m->getReturnType() : '');
}

$ext = new ReflectionExtension('multiverse');
foreach ($ext->getClasses() as $c) {
    $flags = ($c->isFinal() ? 'final ' : '') . ($c->isAbstract() ? 'abstract ' : '');
    $parent = $c->getParentClass() ? ' extends ' . $c->getParentClass()->getName() : '';
    echo "{$flags}class {$c->getName()}$parent\n";
    foreach ($c->getMethods() as $m) {
        if ($m->getDeclaringClass()->getName() !== $c->getName()) continue;
        echo "  ", sig($m), "\n";
    }
}
var_dump(array_keys($ext->getINIEntries()));
var_dump(phpversion('multiverse'));
?>
--EXPECT--
final class Multiverse\MultiWorker
  static run(string $worker, array $payload = array (
), ?float $timeout = NULL): mixed
  static runMany(array $calls, int $concurrency = 0, ?float $timeout = NULL, ?callable $progress = NULL): array
  static clear(?string $worker = NULL, bool $all = false): int
  static running(?string $worker = NULL, bool $all = false): array
  static configure(array $options): void
  static config(): array
class Multiverse\WorkerException extends RuntimeException
  getWorkerName(): string
  getDriver(): string
  getExitCode(): ?int
  getSignal(): ?int
  getErrorOutput(): string
  getOutput(): string
  getRemoteType(): ?string
  getRemoteMessage(): ?string
  getRemoteTrace(): array
  getElapsed(): float
  getErrors(): array
class Multiverse\TimeoutException extends Multiverse\WorkerException
  getTimeout(): float
class Multiverse\TaskException extends Multiverse\WorkerException
  getOriginalClass(): string
  getOriginalFile(): string
  getOriginalLine(): int
  getOriginalTrace(): string
  getOriginalCode(): string|int
final class Multiverse\Process
  static run(array $tasks, int $maxConcurrent = 0, ?float $timeout = NULL, ?callable $progress = NULL): array
  static map(array $items, callable $fn, ?int $workerCount = NULL, ?callable $progress = NULL): array
  static filter(array $items, callable $fn, ?int $workerCount = NULL, ?callable $progress = NULL): array
  static reduce(array $items, callable $fn, mixed $initial = NULL, ?int $workerCount = NULL): mixed
  static fork(callable $fn, array $args = array (
)): Multiverse\ForkProcess
  static manager(): Multiverse\ProcessManager
  static pool(?int $workerCount = NULL): Multiverse\ProcessPool
  static isSupported(): bool
  static getCpuCores(): int
final class Multiverse\ForkProcess
  __construct(callable $fn, array $args = array (
))
  start(): bool
  isRunning(): bool
  wait(?float $timeout = NULL): int
  getPid(): ?int
  getExitCode(): ?int
  kill(int $signal = 15): bool
  getOutput(): mixed
final class Multiverse\ProcessManager
  add(callable $fn, array $args = array (
)): Multiverse\ForkProcess
  run(int $maxConcurrent = 4, ?float $timeout = NULL, ?callable $progress = NULL): array
  wait(): array
  getRunningCount(): int
  hasRunning(): bool
  killAll(int $signal = 15): void
final class Multiverse\ProcessPool
  __construct(?int $workerCount = NULL)
  map(array $items, callable $fn): array
  filter(array $items, callable $fn): array
  reduce(array $items, callable $fn, mixed $initial = NULL): mixed
array(13) {
  [0]=>
  string(23) "multiverse.workers_path"
  [1]=>
  string(18) "multiverse.timeout"
  [2]=>
  string(21) "multiverse.kill_grace"
  [3]=>
  string(17) "multiverse.python"
  [4]=>
  string(15) "multiverse.node"
  [5]=>
  string(14) "multiverse.php"
  [6]=>
  string(21) "multiverse.max_output"
  [7]=>
  string(22) "multiverse.runtime_dir"
  [8]=>
  string(20) "multiverse.namespace"
  [9]=>
  string(22) "multiverse.inherit_env"
  [10]=>
  string(18) "multiverse.enabled"
  [11]=>
  string(21) "multiverse.allow_fork"
  [12]=>
  string(22) "multiverse.lock_config"
}
string(5) "0.1.0"
