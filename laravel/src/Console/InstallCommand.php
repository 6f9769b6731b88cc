<?php

namespace Multiverse\Laravel\Console;

use Illuminate\Contracts\Config\Repository as Config;
use Illuminate\Filesystem\Filesystem;
use Multiverse\Laravel\PipFailure;
use Symfony\Component\Console\Formatter\OutputFormatter;
use Symfony\Component\Process\Process;

/**
 * Creates the shared Python venv of the workers, {workers_path}/python/venv
 * (the interpreter the extension picks by default when `python` is not
 * configured), puts the multiverse worker SDK into it (`from multiverse
 * import worker`, which warm workers need: its serve() speaks the warm
 * protocol), and installs the workers' requirements.txt into it.
 */
class InstallCommand extends Command
{
    protected $signature = 'multiverse:install
        {--python=python3 : Interpreter that creates the venv}
        {--requirements= : Requirements file (default: python/requirements.txt, else requirements.txt, in workers_path)}
        {--pip-timeout=15 : Seconds pip waits on a connection to the package index}
        {--pip-retries=2 : Times pip retries a failed connection}';

    protected $description = 'Create the Python venv of the workers, install the multiverse worker SDK and their requirements.txt';

    /** The first line of the SDK's __init__.py this bridge ships (python/multiverse). */
    private const SDK_MARK = '# multiverse-laravel-sdk:';

    /** pip lines worth showing without -v: progress and problems. */
    private const PIP_SUMMARY = '/^(Collecting|Requirement already satisfied|Installing collected packages|Successfully installed|ERROR:|WARNING:)/';

    public function handle(Config $config, Filesystem $files): int
    {
        $root = $this->workersPath();
        if ($root === null) {
            return $this->failWith('multiverse.workers_path is not set (config/multiverse.php).');
        }
        $venv = "$root/python/venv";
        $python = "$venv/bin/python";

        if (is_executable($python)) {
            $this->info("Using the existing venv $venv");
        } elseif (($status = $this->createVenv($files, $venv)) !== self::SUCCESS) {
            return $status;
        }
        if (($status = $this->installSdk($files, $python, $venv)) !== self::SUCCESS) {
            return $status;
        }

        $requirements = $this->requirementsFile($files, $root);
        if ($requirements === false) {
            return self::FAILURE;
        }
        if ($requirements === null) {
            $this->info("No requirements.txt in $root/python or $root: nothing to install.");
            $this->notePythonSetting($config, $python);

            return self::SUCCESS;
        }

        $status = $this->pipInstall($python, $requirements, $venv);
        if ($status === self::SUCCESS) {
            $this->notePythonSetting($config, $python);
        }

        return $status;
    }

    private function createVenv(Filesystem $files, string $venv): int
    {
        $files->ensureDirectoryExists(dirname($venv));
        $this->info("Creating the Python venv $venv");
        $process = new Process([(string) $this->option('python'), '-m', 'venv', $venv], null, null, null, null);
        try {
            $process->run();
        } catch (\Throwable $e) {
            return $this->failWith('Could not start '.$this->option('python').': '.$e->getMessage());
        }
        if ($process->isSuccessful()) {
            return self::SUCCESS;
        }
        $output = trim($process->getErrorOutput()."\n".$process->getOutput());
        $this->failWith(sprintf('Creating the venv failed (%s -m venv, exit %d).', $this->option('python'), $process->getExitCode()));
        if ($output !== '') {
            $this->stderr($output, '');
        }
        if (str_contains($output, 'ensurepip') || $process->getExitCode() === 127) {
            $this->stderr('On Debian and Ubuntu, venv support is a separate package: apt-get install python3-venv', 'comment');
        }

        return self::FAILURE;
    }

    /**
     * Copy the worker SDK shipped with the bridge (python/multiverse: the
     * `multiverse` package reduced to its `worker` module, standard library
     * only) into the venv's site-packages. No index is needed. A copy made
     * by an earlier run is refreshed; a full multiverse package installed in
     * the venv by other means is left alone (it has the SDK).
     */
    private function installSdk(Filesystem $files, string $python, string $venv): int
    {
        $probe = new Process([$python, '-I', '-c',
            'import importlib.util, sysconfig; s = importlib.util.find_spec("multiverse"); '
            .'print(sysconfig.get_paths()["purelib"]); print(s.origin if s and s.origin else "")',
        ], $venv, null, null, 60);
        $probe->run();
        $lines = explode("\n", trim($probe->getOutput()));
        if (! $probe->isSuccessful() || $lines[0] === '') {
            return $this->failWith("Could not find the site-packages directory of $python: "
                .trim($probe->getErrorOutput()));
        }
        [$purelib, $origin] = [$lines[0], $lines[1] ?? ''];
        $target = "$purelib/multiverse";
        if ($origin !== '' && ! str_starts_with((string) @file_get_contents($origin, false, null, 0, 64), self::SDK_MARK)) {
            $this->info("The venv has the multiverse package ($origin): its worker SDK is used.");

            return self::SUCCESS;
        }
        $source = dirname(__DIR__, 2).'/python/multiverse';
        $files->ensureDirectoryExists($target);
        foreach (['__init__.py', 'worker.py'] as $file) {
            if (! $files->copy("$source/$file", "$target/$file")) {
                return $this->failWith("Could not copy the worker SDK to $target/$file.");
            }
        }
        $this->info("Installed the multiverse worker SDK (from multiverse import worker) into $venv");

        return self::SUCCESS;
    }

    /** @return string|null|false the file, null when there is none, false when --requirements is missing */
    private function requirementsFile(Filesystem $files, string $root): string|null|false
    {
        $given = $this->option('requirements');
        if ($given !== null) {
            if (! $files->isFile($given)) {
                $this->failWith("Requirements file not found: $given");

                return false;
            }

            return $given;
        }
        foreach (["$root/python/requirements.txt", "$root/requirements.txt"] as $candidate) {
            if ($files->isFile($candidate)) {
                return $candidate;
            }
        }

        return null;
    }

    private function pipInstall(string $python, string $requirements, string $venv): int
    {
        $this->info("Installing $requirements");
        // At -vv pip names the connection error behind "No matching
        // distribution found" (below that, with --retries 0, an unreachable
        // index and a misspelt package look the same); what is shown is a
        // summary of it (all of it with -v).
        $process = new Process([
            $python, '-m', 'pip', 'install', '-vv',
            '--timeout', (string) $this->option('pip-timeout'),
            '--retries', (string) $this->option('pip-retries'),
            '-r', $requirements,
        ], dirname($requirements), ['PIP_DISABLE_PIP_VERSION_CHECK' => '1'], null, null);

        $log = '';
        $pending = '';
        $process->run(function (string $type, string $chunk) use (&$log, &$pending) {
            $log .= $chunk;
            $pending .= $chunk;
            while (($eol = strpos($pending, "\n")) !== false) {
                $this->pipLine(substr($pending, 0, $eol));
                $pending = substr($pending, $eol + 1);
            }
        });
        if ($pending !== '') {
            $this->pipLine($pending);
        }

        if ($process->isSuccessful()) {
            $this->info("Installed the requirements into $venv");

            return self::SUCCESS;
        }

        $unreachable = PipFailure::indexUnreachable($log);
        if ($unreachable !== null) {
            $this->failWith("pip could not reach the Python package index ($unreachable).");
            $this->stderr("The venv $venv exists, but the packages of $requirements are not installed. "
                .'Check the network or the proxy (HTTPS_PROXY), or point pip at a reachable index or a '
                .'directory of wheels (PIP_INDEX_URL, PIP_FIND_LINKS), then run php artisan multiverse:install again.', 'comment');

            return self::FAILURE;
        }
        $this->failWith(sprintf('pip install -r %s failed (exit %d); run with -v for its full output.', $requirements, $process->getExitCode()));

        return self::FAILURE;
    }

    private function pipLine(string $line): void
    {
        $line = rtrim($line, "\r");
        if ($this->output->isVerbose() || preg_match(self::PIP_SUMMARY, $line)) {
            $this->output->writeln('  '.OutputFormatter::escape($line));
        }
    }

    /** Workers use the venv only when `python` is not set to something else. */
    private function notePythonSetting(Config $config, string $python): void
    {
        $configured = $config->get('multiverse.python');
        if ($configured !== null && $configured !== '' && realpath((string) $configured) !== realpath($python)) {
            $this->warn("multiverse.python is set to $configured, so workers do not use this venv; "
                ."unset it (MULTIVERSE_PYTHON) or set it to $python.");
        }
    }
}
