#!/usr/bin/env bash
# Make the project's virtual environment (.venv), install the dashboard's packages into it, and start the
# dashboard on the bundled sample data. Extra arguments go to `streamlit run`.
# scripts/serve.py is `streamlit run app.py` that runs the app once in the server as soon as it answers, while the
# first visitor's browser is still loading: that visitor's first page finds everything imported and opened.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements.txt
exec "$PY" scripts/serve.py "$@"
