#!/usr/bin/env bash
# Scale-out benchmark (Benchmarks/scale_out.py, README "Scale-out behind nginx"): builds the
# release `pocket-tts` and the client's virtual environment (.build/python), starts two instances
# and Debian's nginx with Configs/nginx.conf on loopback, and runs pocket-tts-bench through nginx
# and against one instance alone.
#   Benchmarks/scale_out.sh [--sessions 1,2,4,8] [--styles agent] [--formats pcm] [--instances 2] [--demo]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || bash Scripts/install-deps.sh --bench
swift build -c release --product pocket-tts >&2
PY=$(bash Scripts/python-venv.sh test)
exec "$PY" Benchmarks/scale_out.py --binary .build/release/pocket-tts "$@"
