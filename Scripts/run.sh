#!/usr/bin/env bash
# `make run`: starts the WebSocket service (`pocket-tts serve`) on the official model when it is
# in the Hugging Face cache or can be downloaded (once, about 240 MB, no account needed), else on
# DEMO weights (seeded random weights of the real b6369a24 architecture: the pipeline, the
# protocol and the speed are real, the audio is noise), with a loud warning saying why in one
# line. Offline, the fallback comes within CONNECT_TIMEOUT seconds (one HEAD asks the hub first).
# In demo mode the official voice names (alba, marius, ...) are aliases of the demo voice.
#
# Environment: PORT (8000), HOST (127.0.0.1; 0.0.0.0 for every interface), DEMO=1 (demo weights
# without asking the hub), CONNECT_TIMEOUT (5), HF_HUB_OFFLINE=1 (cache only), HF_ENDPOINT, and
# every POCKET_TTS_* setting of Configs/server.yaml (e.g. POCKET_TTS_API_KEYS=k1,k2).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/pocket-tts}
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
CONNECT_TIMEOUT=${CONNECT_TIMEOUT:-5}

# Demo weights need a tokenizer and a voice to clone: the real tokenizer and a real speech sample
# when the shared assets are beside the checkout; otherwise the small ones the test suite ships.
TOKENIZER=../shared/assets/tokenizer.model
[ -f "$TOKENIZER" ] || TOKENIZER=Tests/PocketTTSTests/Fixtures/tokenizer/test_tokenizer.model
VOICE=../shared/assets/speech_48k.wav
[ -f "$VOICE" ] || VOICE=Tests/PocketTTSTests/Fixtures/reference/voice.wav

if [ "${DEMO:-0}" = 1 ]; then
    MODEL=(--demo --no-download --tokenizer "$TOKENIZER" --voice "$VOICE")
else
    MODEL=(--demo-fallback --connect-timeout "$CONNECT_TIMEOUT" --demo-tokenizer "$TOKENIZER" --demo-voice "$VOICE")
fi

cat <<EOF
make run: starting the WebSocket service: the official model (cached, else downloaded), or DEMO weights
make run: (random weights, the audio is NOISE) when it cannot be had; the log says which, and why.
make run:   ws://$HOST:$PORT/tts/ws   http://$HOST:$PORT/health /ready /metrics
make run:   try: python3 Clients/stream_tts.py --url ws://$HOST:$PORT/tts/ws   (pip install websockets)
make run:   (demo weights end sentences at once; add --eos-threshold 1e9 for full-length turns)
make run:   Ctrl-C stops it gracefully.
EOF
exec "$BIN" serve "${MODEL[@]}" --host "$HOST" --port "$PORT"
