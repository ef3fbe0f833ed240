#!/usr/bin/env bash
# Install everything the tests need (Python packages and Debian's Chromium for the browser tests),
# then run lint and the whole test suite. Fails loudly when anything is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/noto ]; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
    fi
fi
python3 -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
python3 -m ruff check .
python3 -m ruff format --check .
exec python3 -m pytest "$@"
