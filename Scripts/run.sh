#!/usr/bin/env bash
# `make run`: starts the WebSocket service (`pocket-tts serve`) on DEMO weights: seeded random
# weights of the real b6369a24 architecture, so the pipeline, the protocol and the speed are
# real but the audio is noise. The official weights cannot be downloaded where this project is
# developed. With them at hand, run instead (see README, "The WebSocket service"):
#   pocket-tts serve --weights tts_b6369a24.safetensors --tokenizer tokenizer.model --voice alba
# or just `pocket-tts serve` to use (and download once) the official files.
#
# Environment: PORT (8080), HOST (127.0.0.1; 0.0.0.0 for every interface), and every
# POCKET_TTS_* setting of Configs/server.yaml (e.g. POCKET_TTS_API_KEYS=k1,k2).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/pocket-tts}
PORT=${PORT:-8080}
HOST=${HOST:-127.0.0.1}

# The real tokenizer and a real speech sample (the default voice) when the shared assets are
# beside the checkout; otherwise the small ones the test suite ships.
TOKENIZER=../shared/assets/tokenizer.model
[ -f "$TOKENIZER" ] || TOKENIZER=Tests/PocketTTSTests/Fixtures/tokenizer/test_tokenizer.model
VOICE=../shared/assets/speech_48k.wav
[ -f "$VOICE" ] || VOICE=Tests/PocketTTSTests/Fixtures/reference/voice.wav

cat <<EOF
make run: starting the WebSocket service on DEMO weights (random weights of the real architecture).
make run: the protocol, the pipeline and its speed are real; the audio is NOISE, not speech.
make run:   ws://$HOST:$PORT/tts/ws   http://$HOST:$PORT/health /ready /metrics
make run:   try: python3 Clients/stream_tts.py --url ws://$HOST:$PORT/tts/ws   (pip install websockets)
make run:   (random weights end sentences at once; add --eos-threshold 1e9 for full-length turns)
make run:   Ctrl-C stops it gracefully.
EOF
exec "$BIN" serve --demo --no-download --tokenizer "$TOKENIZER" --voice "$VOICE" --host "$HOST" --port "$PORT"
