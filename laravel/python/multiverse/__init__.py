# multiverse-laravel-sdk: the worker SDK of the multiverse Python package,
# as php artisan multiverse:install puts it into the workers' venv:
# `from multiverse import worker` (payload(), respond(), fail(), serve()).
# worker.py is a copy of ext-python/multiverse/worker.py (the bridge's
# tests check they are the same); it needs only the standard library. The
# full package (with run_worker(), @parallel, ...), when installed in the
# venv, takes the place of this one.
