#!/usr/bin/env bash
# One command for the whole benchmark: builds the release binaries, makes the full-size random bf16
# weights once (shared work directory), runs the Python reference bench and the Swift bench back to
# back on this machine, and writes Benchmarks/RESULTS.md (+ the two JSON documents in
# Benchmarks/results/). See Benchmarks/README.md.
#
#   Benchmarks/run.sh [--title TEXT] [--before OLD_RESULTS.md --before-title TEXT] [--repeats N]
#                     [--lead SUMMARY.md]  (a summary placed first: family_server_bench.py's table)
#                     [--include SUMMARY.md]...  (other benchmarks' summaries, appended as sections)
#                     [--server-dir Benchmarks/results/server]  (the server bench's run, for the targets table)
#
# Besides the two benches it times one stream at `exact` (engine-bench --precision exact) and
# runs `kernel-bench quality`: the performance issue's targets table reads them.
#
# Environment: WORKDIR (default /tmp/pocket-tts-bench), PYTHON (default /opt/ref-venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."

WORKDIR=${WORKDIR:-/tmp/pocket-tts-bench}
PYTHON=${PYTHON:-/opt/ref-venv/bin/python}
CONFIG=Configs/b6369a24.yaml
REPEATS=5
FORMAT_ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --title|--before|--before-title|--lead|--include|--server-dir) FORMAT_ARGS+=("$1" "$2"); shift 2 ;;
        --repeats) REPEATS=$2; shift 2 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

log() { echo "run.sh: $*" >&2; }

log "building release binaries..."
swift build -c release --product pocket-tts >&2
swift build -c release --product engine-bench >&2
swift build -c release --product kernel-bench >&2
BIN=$(swift build -c release --show-bin-path)

# Shared assets (tokenizer, speech sample) and the weights, exactly as reference_bench.py finds them.
readarray -t PATHS < <("$PYTHON" - "$BIN/pocket-tts" "$CONFIG" "$WORKDIR" <<'EOF'
import sys
from pathlib import Path
sys.path.insert(0, "Scripts/reference")
from fullsize_common import DEFAULT_SPEECH, DEFAULT_TOKENIZER, ensure_random_weights
binary, config, workdir = Path(sys.argv[1]), Path(sys.argv[2]).resolve(), Path(sys.argv[3])
weights = ensure_random_weights(binary, config, workdir / "random_bf16_seed0.safetensors", 0, "bf16")
print(DEFAULT_TOKENIZER); print(DEFAULT_SPEECH); print(weights)
EOF
)
TOKENIZER=${PATHS[0]} SPEECH=${PATHS[1]} WEIGHTS=${PATHS[2]}

mkdir -p Benchmarks/results
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average before: $LOAD_BEFORE"

log "reference bench (about a minute)..."
"$PYTHON" Benchmarks/reference_bench.py --binary "$BIN/pocket-tts" --workdir "$WORKDIR" --config "$CONFIG" \
    --tokenizer "$TOKENIZER" --speech "$SPEECH" --repeats "$REPEATS" > Benchmarks/results/reference.json.tmp

log "Swift bench..."
"$BIN/engine-bench" --weights "$WEIGHTS" --tokenizer "$TOKENIZER" --speech "$SPEECH" --config "$CONFIG" \
    --workdir "$WORKDIR" --repeats "$REPEATS" > Benchmarks/results/swift.json.tmp

log "Swift bench, one stream at exact..."
"$BIN/engine-bench" --weights "$WEIGHTS" --tokenizer "$TOKENIZER" --speech "$SPEECH" --config "$CONFIG" \
    --workdir "$WORKDIR" --repeats 2 --precision exact --only-concurrent --streams 1 \
    > Benchmarks/results/swift_exact.json.tmp

log "quality of the reduced precisions (kernel-bench quality)..."
POCKET_TTS_SPEECH="$SPEECH" POCKET_TTS_TOKENIZER="$TOKENIZER" "$BIN/kernel-bench" quality \
    > Benchmarks/results/quality.txt.tmp

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average after: $LOAD_AFTER"
mv Benchmarks/results/reference.json.tmp Benchmarks/results/reference.json
mv Benchmarks/results/swift.json.tmp Benchmarks/results/swift.json
mv Benchmarks/results/swift_exact.json.tmp Benchmarks/results/swift_exact.json
mv Benchmarks/results/quality.txt.tmp Benchmarks/results/quality.txt

python3 Benchmarks/format_results.py --swift Benchmarks/results/swift.json \
    --reference Benchmarks/results/reference.json --exact Benchmarks/results/swift_exact.json \
    --quality Benchmarks/results/quality.txt --load-before "$LOAD_BEFORE" --load-after "$LOAD_AFTER" \
    ${FORMAT_ARGS[@]+"${FORMAT_ARGS[@]}"} > Benchmarks/RESULTS.md.tmp
mv Benchmarks/RESULTS.md.tmp Benchmarks/RESULTS.md
log "wrote Benchmarks/RESULTS.md"
