# Sourced by start.sh and test.sh: make (once) and use the project's virtual environment `.venv`.
# Stock Debian's python3 refuses `pip install` (PEP 668), so nothing is installed outside .venv.
# Usage: source scripts/venv.sh REQUIREMENTS_FILE   -> sets $PY to .venv's python, packages installed.

_as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

_pick_python() {
    # $PYTHON if given, else the newest python3.x >= 3.11 on PATH.
    local candidate
    for candidate in ${PYTHON:-} python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "error: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11 to choose one)" >&2
    return 1
}

_make_venv() {
    local base
    base="$(_pick_python)" || return 1
    rm -rf .venv
    if ! "$base" -m venv .venv 2>/dev/null; then
        # Debian and Ubuntu ship venv's pip bootstrap separately (python3.X-venv)
        local version
        version="$("$base" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        echo "Installing python${version}-venv with apt-get (needed to create .venv) ..." >&2
        _as_root apt-get update -qq
        _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${version}-venv" >/dev/null
        rm -rf .venv
        "$base" -m venv .venv
    fi
}

_requirements="${1:?usage: source scripts/venv.sh REQUIREMENTS_FILE}"
if ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    _make_venv
fi
PY="$PWD/.venv/bin/python"
# Install only when the requirements changed since the last install (the stamp holds their hash).
_stamp=".venv/.installed-$(basename "$_requirements")"
_hash="$(cat requirements*.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$_stamp" 2>/dev/null)" != "$_hash" ]; then
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$PY" -m pip install --quiet --disable-pip-version-check -r "$_requirements"
    echo "$_hash" >"$_stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
