#!/usr/bin/env bash
# Make the project's virtual environment (.venv), install the dashboard's packages into it, and start the
# dashboard on the bundled sample data. Extra arguments go to `streamlit run`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements.txt
exec "$PY" -m streamlit run app.py "$@"
