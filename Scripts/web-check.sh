#!/usr/bin/env bash
# `make web-check`: the page at `/` in headless Chromium against `pocket-tts serve` on the tiny
# fixture model (.build/debug/pocket-tts, or $POCKET_TTS_BIN): a turn in PCM and one in Opus
# complete, the page's own time to first audio is read back, Benchmarks/web-page.png is saved, and
# a long turn is stopped with the Stop button (the server counts it cancelled)
# (Scripts/web_check.py). Skipped, with a message, without chromium or python3.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1; then
    echo "web-check: SKIPPED: no ${CHROMIUM:-chromium} on PATH (Debian: apt-get install chromium)"
    exit 0
fi
status=0
PY=$(bash Scripts/python-venv.sh test) || status=$?
if [ "$status" -eq 3 ]; then
    echo "web-check: SKIPPED (see above)"
    exit 0
elif [ "$status" -ne 0 ]; then
    exit "$status"
fi
exec "$PY" Scripts/web_check.py "$@"
