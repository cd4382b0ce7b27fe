#!/usr/bin/env bash
# `make run`. The WebSocket service is not built yet, so this runs `pocket-tts generate` on
# demo weights (seeded random weights of the real b6369a24 architecture: the audio is noise)
# and says so. With the official files at hand, run instead:
#   pocket-tts generate --weights W.safetensors --tokenizer tokenizer.model --voice V.wav --text "..."
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/pocket-tts}

# The real tokenizer and a real voice when the shared assets are beside the checkout;
# otherwise the small ones the test suite ships.
TOKENIZER=../shared/assets/tokenizer.model
[ -f "$TOKENIZER" ] || TOKENIZER=Tests/PocketTTSTests/Fixtures/tokenizer/test_tokenizer.model
VOICE=../shared/assets/speech_48k.wav
[ -f "$VOICE" ] || VOICE=Tests/PocketTTSTests/Fixtures/reference/voice.wav

echo "make run: the WebSocket service is not built yet; running 'pocket-tts generate' on DEMO weights."
echo "make run: the audio is noise (random weights); it shows the pipeline and its speed."
mkdir -p out
"$BIN" generate --demo --tokenizer "$TOKENIZER" --voice "$VOICE" \
  --text "Hello world. I am Kyutai's Pocket TTS, running in Swift." \
  --temperature 0.7 --eos-threshold 1e9 --max-frames 50 --seed 0 \
  --output-path out/demo.wav
echo "make run: wrote out/demo.wav"
