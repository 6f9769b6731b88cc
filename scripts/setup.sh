#!/usr/bin/env bash
# Installs the Debian packages that the build, the tests, the demo and the
# benchmarks need. Runs apt only when something is missing (and only as
# root); safe to call repeatedly.
set -euo pipefail

PKGS=(
  build-essential musl-tools cmake pkg-config clang libclang-rt-14-dev valgrind libcjson-dev
  php8.2-dev php8.2-cli php8.2-sqlite3 php-pear phpunit
  php8.2-fpm libfcgi-bin redis-server php-redis
  php-laravel-framework php-symfony-process composer
  python3 python3-dev python3-pytest python3-setuptools python3-psutil
  python3-pebble python3-joblib python3-cloudpickle python3-tqdm python3-matplotlib python3-venv
  python3-pip mypy
  libpython3.11-testsuite
  python3-celery python3-redis python3-distributed
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages (run as root to install): ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
