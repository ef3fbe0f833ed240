#!/usr/bin/env bash
# Make the project's virtual environment (.venv), install everything the tests need into it (Python packages;
# Debian's Chromium and CJK fonts for the browser tests, its nginx for the reverse-proxy one, and its LibreOffice
# Impress and Calc with poppler-utils for the handouts as LibreOffice renders them; Node's axe-core,
# pinned by package-lock.json, for the accessibility audit), then run lint, the format check, the type check and
# the whole suite.
# Fails loudly when anything is missing. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements-dev.txt
if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/noto ]; then
    _as_root apt-get update -qq
    _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
# Debian's LibreOffice Impress and Calc (libslideshowlo, libsclo) and poppler: the deck and the workbooks as another
# office suite prints them (tests/rendered.py)
if [ ! -x /usr/bin/soffice ] || [ ! -e /usr/lib/libreoffice/program/libsclo.so ] ||
    [ ! -e /usr/lib/libreoffice/program/libslideshowlo.so ] || ! command -v pdftotext >/dev/null 2>&1; then
    _as_root apt-get update -qq
    _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        libreoffice-impress libreoffice-calc poppler-utils >/dev/null
fi
# nginx in front of the app for tests/e2e/test_proxy.py (the README's recipe; run by the test, never as a service)
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    _as_root apt-get update -qq
    _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
fi
# axe-core for the accessibility audit (tests/e2e/test_accessibility.py), pinned by package-lock.json
if ! command -v npm >/dev/null 2>&1; then
    _as_root apt-get update -qq
    _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
_locked='require("./package-lock.json").packages["node_modules/axe-core"].version'
_installed='try { require("./node_modules/axe-core/package.json").version } catch { "" }'
if [ "$(node -p "$_installed")" != "$(node -p "$_locked")" ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
"$PY" -m ruff check .
"$PY" -m ruff format --check .
"$PY" -m mypy  # [tool.mypy] in pyproject.toml: every module but the tests, untyped functions included
exec "$PY" -m pytest "$@"
