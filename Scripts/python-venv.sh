#!/usr/bin/env bash
# Makes (once) the virtual environment .build/python with the client package of Clients/python
# (editable) and the given extras (default: test), and prints its python. Reinstalls only when
# Clients/python/pyproject.toml or the extras change. Exit 3 (with a message on stderr) when
# python3 or its venv module is missing, so callers can skip.
#   Scripts/python-venv.sh [EXTRAS]      e.g. Scripts/python-venv.sh test,plot
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.build/python
EXTRAS=${1:-test}

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "no $PYTHON on PATH (install python3 and python3-venv)" >&2
    exit 3
fi
if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
        rm -rf "$VENV"
        echo "'$PYTHON -m venv' failed (Debian: apt-get install python3-venv)" >&2
        exit 3
    fi
fi
STAMP=$VENV/.installed-${EXTRAS//,/-}
if [ ! -f "$STAMP" ] || [ Clients/python/pyproject.toml -nt "$STAMP" ]; then
    echo "installing ./Clients/python[$EXTRAS] into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --editable "./Clients/python[$EXTRAS]" >&2
    touch "$STAMP"
fi
echo "$PWD/$VENV/bin/python"
