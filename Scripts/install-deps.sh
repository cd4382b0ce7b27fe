#!/usr/bin/env bash
# Installs every Debian package PocketTTS-Swift needs. Idempotent and non-interactive:
# packages already present are left alone, and apt is only called when something is missing.
set -euo pipefail

PACKAGES=(
  pkg-config
  libopenblas-dev      # sgemm/sgemv for every linear layer (Kernels)
  libsentencepiece-dev # the tokenizer (PocketTTS)
  libopus-dev          # Opus frames for the service (TTSServer)
  libwebsockets-dev    # the WebSocket event loop (TTSServer)
  libsndfile1-dev      # reading voice prompts in any common audio format (engine)
  libsoxr-dev          # resampling voice prompts and output audio (engine, server)
  libopusenc-dev       # Ogg Opus pages (server)
  libopusfile-dev      # decoding Ogg Opus in tests
  libmsgpack-dev       # msgpack-c: Kyutai's /api/tts_streaming messages (server)
  libmp3lame-dev       # MP3 for OpenAI's POST /v1/audio/speech (its default format) (server)
  librubberband-dev    # time-stretching at the same pitch: OpenAI's `speed`, the config's `speed` (server)
  python3              # the protocol fuzzer and the soak (Tests/fuzz, standard library only)
)
# `install-deps.sh --bench`: also what Benchmarks/scale_out.sh needs (not the service itself).
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(nginx-light) # the load balancer of Benchmarks/scale_out.sh (Configs/nginx.conf)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
