#!/usr/bin/env bash
# Every test of the project, from a fresh clone: installs what is missing,
# builds from scratch, runs the core, PHP, Python, Laravel, cross-language
# and torture (quick mode) suites. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

run() {
  local name=$1
  shift
  local t0=$(date +%s)
  echo
  echo "######## $name"
  "$@"
  echo "######## $name: ok ($(( $(date +%s) - t0 )) s)"
}

run "core" scripts/test-core.sh
run "PHP extension (phpt)" ext-php/run-tests.sh
run "PHP extension through pecl" scripts/test-pecl.sh
run "Python package (pytest)" ext-python/run-tests.sh
run "Laravel bridge (phpunit)" laravel/run-tests.sh
run "cross-language and torture (quick)" tests/run.sh
echo
echo "all tests passed"
