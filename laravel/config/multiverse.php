<?php

/*
 * multiverse: workers run by the multiverse PHP extension.
 *
 * Every value here is handed to Multiverse\MultiWorker::configure() when the
 * application boots; null means "the extension's own setting" (its
 * multiverse.* INI value, else its built-in default).
 */

return [

    /*
     * Where workers live: {workers_path}/{name}/main.py (or main.js,
     * main.php, an executable main, {name}.py ...). Created by
     * `php artisan multiverse:worker {name}`.
     */
    'workers_path' => env('MULTIVERSE_WORKERS_PATH', base_path('multiverse')),

    /*
     * Seconds a worker may run before its whole process tree is killed and
     * a Multiverse\TimeoutException is thrown. null = unlimited. A call can
     * override it: MultiWorker::run('name', $payload, 30.0).
     */
    'timeout' => env('MULTIVERSE_TIMEOUT'),

    /* Seconds between SIGTERM and SIGKILL when a worker tree is killed. */
    'kill_grace' => env('MULTIVERSE_KILL_GRACE', 2.0),

    /*
     * Interpreters. python: null = {workers_path}/python/venv/bin/python
     * when that venv exists (see `php artisan multiverse:install`), else
     * python3 from PATH. node / php: null = node / php from PATH.
     */
    'python' => env('MULTIVERSE_PYTHON'),
    'node' => env('MULTIVERSE_NODE'),
    'php' => env('MULTIVERSE_PHP'),

    /* Bytes of stdout and of stderr kept per call (default 64 MiB). */
    'max_output' => env('MULTIVERSE_MAX_OUTPUT'),

    /*
     * Directory of the registry of running workers, shared by every process
     * of this user (null = $XDG_RUNTIME_DIR/multiverse or
     * /tmp/multiverse-<uid>). multiverse:list and multiverse:clear see the
     * workers registered here, started by this app or any other program.
     */
    'runtime_dir' => env('MULTIVERSE_RUNTIME_DIR'),

    /*
     * The namespace this application's workers are registered under in
     * that registry. multiverse:list and multiverse:clear (and
     * MultiWorker::running() / clear()) see only this namespace, so one
     * app's clear never kills another app's workers under the same Unix
     * user; give them --all to see every namespace. null = derived from
     * the app: a slug of app.name (APP_NAME) and a short hash of
     * base_path(), e.g. "shop-1f3a9c0e". Set it (1 to 64 letters, digits,
     * '_', '.', '-') when the base path changes with each deployment
     * (symlinked releases) or when several apps should share workers.
     */
    'namespace' => env('MULTIVERSE_NAMESPACE'),

    /*
     * The worker's environment. inherit_env: true passes this process's
     * environment on, .env values included (database passwords, API keys);
     * false gives workers only PATH, HOME, LANG, LC_*, TZ, TMPDIR and the
     * MULTIVERSE_* variables, plus what `env` adds. null leaves it to the
     * extension's multiverse.inherit_env.
     */
    'inherit_env' => env('MULTIVERSE_INHERIT_ENV', true),

    /*
     * Variables added to (or replaced in) every worker's environment, by
     * name: ['HF_HOME' => storage_path('hf'), 'HF_TOKEN' => env('HF_TOKEN')].
     * A null value adds nothing. Forked closures (Multiverse\Process) are
     * copies of this process and keep its environment either way.
     */
    'env' => [],

    /*
     * Workers kept running between calls (started once, then reused), by
     * name: ['embed' => ['processes' => 2, 'max_requests' => 1000,
     * 'idle_timeout' => 300]]. A worker can also ask for it in a
     * multiverse.json of its own directory. Pools live as long as the PHP
     * process: a queue worker or Octane keeps them, an FPM request does not.
     */
    'warm' => [],

    /*
     * Failures of calls made through the MultiWorker facade are logged on
     * this channel (worker, payload, message, exception class, exit code,
     * signal, remote exception type, stderr tail) before the exception is
     * rethrown.
     *
     * `redact` keeps secrets of the payload out of the log, either:
     * - a list of keys whose values are logged as "[redacted]", at any depth
     *   of the payload, compared without regard to case (the default, from
     *   MULTIVERSE_LOG_REDACT, comma-separated);
     * - or a callable that receives the payload and returns what to log in
     *   its place: [App\Support\Redactor::class, 'payload'], the name of
     *   an invokable class (resolved from the container), or a closure
     *   (closures prevent `php artisan config:cache`).
     * A callable that throws gets the payload logged as "[redaction
     * failed]", never in clear. Only the payload is redacted: a worker that
     * prints a secret on stderr puts it in the logged stderr tail.
     */
    'logging' => [
        'enabled' => env('MULTIVERSE_LOGGING', true),
        'channel' => env('MULTIVERSE_LOG_CHANNEL', env('LOG_CHANNEL', 'stack')),
        'redact' => array_values(array_filter(array_map('trim', explode(',', (string) env(
            'MULTIVERSE_LOG_REDACT',
            'password,passwd,secret,token,api_key,apikey,authorization,access_token,refresh_token'
        ))))),
    ],

];
