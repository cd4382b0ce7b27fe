#!/usr/bin/env bash
# `make test`, Python part: the pytest suite of the client package (Clients/python) against a live
# `pocket-tts serve` on the tiny fixture model (.build/debug/pocket-tts, or $POCKET_TTS_BIN), in
# the virtual environment .build/python (Scripts/python-venv.sh: websockets, numpy, pytest).
# Skipped, with a message, when python3 or its venv module is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
PY=$(bash Scripts/python-venv.sh test) || status=$?
if [ "$status" -eq 3 ]; then
    echo "python tests: SKIPPED (see above)"
    exit 0
elif [ "$status" -ne 0 ]; then
    exit "$status"
fi
export POCKET_TTS_BIN=${POCKET_TTS_BIN:-$PWD/.build/debug/pocket-tts}
exec "$PY" -m pytest -q -p no:cacheprovider Clients/python/tests "$@"
