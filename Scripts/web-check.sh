#!/usr/bin/env bash
# `make web-check`: the page at `/` in headless Chromium against `pocket-tts serve` (demo weights of
# the tiny fixture model, in English and French, with an API key; .build/debug/pocket-tts, or
# $POCKET_TTS_BIN): key prompt, demo banner, model and language, voice upload (file and fake
# microphone), speed, replay, download, speak as I type, a 20,000-character text, PCM and Opus
# turns, Stop; screenshots Benchmarks/web-page.png and web-page-375.png (Scripts/web_check.py,
# Scripts/web_check_steps.py). Skipped, with a message, without chromium or python3.
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
