#!/usr/bin/env python3
"""The reference's HTTP server (`pocket-tts serve` of pocket-tts 1.1.1: FastAPI, `POST /tts`
streaming WAV) on the full-size b6369a24 model with random weights, for `pocket-tts-bench`.

    REFERENCE_PYTHON Benchmarks/reference_server.py [--port 8001] [--workdir /tmp/pocket-tts-bench]

The official weights cannot be downloaded here, so the model is built from the yaml and loaded
strictly with `pocket-tts make-random-weights --dtype bf16 --seed 0` (the official file's dtype,
copied into the float32 model as the official file is), exactly as `reference_bench.py` does.
EOS is disabled by default (threshold 1e9) so every sentence runs to the reference's own frame
budget (`_estimate_max_gen_len`), the same lengths our service makes with `eos_threshold: 1e9`.
The default voice is the shared speech sample. Then the reference's own `web_app` is served by
uvicorn, as its `serve` command does. Needs a venv with `pocket-tts==1.1.1` (see
Scripts/reference/README.md; /opt/wheels holds a CPU torch wheel).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Scripts" / "reference"))
from fullsize_common import (  # noqa: E402
    DEFAULT_CONFIG,
    DEFAULT_SPEECH,
    DEFAULT_TOKENIZER,
    ensure_binary,
    ensure_random_weights,
    load_reference_model,
    log,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pocket-tts-bench"))
    parser.add_argument("--binary", type=Path, help="pocket-tts, to make the random weights (default: the release build)")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--tokenizer", type=Path, default=DEFAULT_TOKENIZER)
    parser.add_argument("--voice", type=Path, default=DEFAULT_SPEECH, help="voice prompt audio (default: the shared speech sample)")
    parser.add_argument("--eos-threshold", type=float, default=1e9, help="1e9: never end a sentence early (default)")
    parser.add_argument("--temperature", type=float, default=0.7)
    args = parser.parse_args()

    weights = ensure_random_weights(ensure_binary(args.binary), args.config.resolve(),
                                    args.workdir / "random_bf16_seed0.safetensors", 0, "bf16")
    import uvicorn
    from pocket_tts import main as reference

    log(f"loading the reference model with {weights}")
    model = load_reference_model(args.config, args.tokenizer, weights, temp=args.temperature, lsd_decode_steps=1,
                                 eos_threshold=args.eos_threshold)
    reference.tts_model = model
    reference.global_model_state = model.get_state_for_audio_prompt(args.voice)
    log(f"reference server: http://{args.host}:{args.port}/tts (random weights, EOS threshold {args.eos_threshold:g})")
    uvicorn.run(reference.web_app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
