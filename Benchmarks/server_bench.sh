#!/usr/bin/env bash
# Server-level benchmark (see Benchmarks/server_bench.py and Benchmarks/README.md): builds the
# release `pocket-tts`, the client's virtual environment (.build/python, with matplotlib for the
# plots), then runs pocket-tts-bench through the service for each session count, style and format.
#   Benchmarks/server_bench.sh [--sessions 1,2,4,8,12,16] [--styles agent,caption,poisson] [--formats pcm,opus] [--reference]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product pocket-tts >&2
PY=$(bash Scripts/python-venv.sh test,plot)
exec "$PY" Benchmarks/server_bench.py --binary .build/release/pocket-tts "$@"
