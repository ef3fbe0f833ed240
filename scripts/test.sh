#!/usr/bin/env bash
# Make the project's virtual environment (.venv), install everything the tests need into it (Python packages;
# Debian's Chromium and CJK fonts for the browser tests), then run lint, the format check and the whole suite.
# Fails loudly when anything is missing. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements-dev.txt
if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/noto ]; then
    _as_root apt-get update -qq
    _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
"$PY" -m ruff check .
"$PY" -m ruff format --check .
exec "$PY" -m pytest "$@"
