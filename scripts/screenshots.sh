#!/usr/bin/env bash
# Regenerate docs/screenshots/: every page at 390, 1280 and 1920 px in Chinese and English, on the sample data,
# taken by the browser test that also checks them (tests/e2e/test_pictures.py).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements-dev.txt
rm -rf docs/screenshots
DOCS_SCREENSHOTS=docs/screenshots exec "$PY" -m pytest tests/e2e/test_pictures.py -q "$@"
