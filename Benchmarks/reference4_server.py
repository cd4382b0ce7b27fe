#!/usr/bin/env python3
"""The reference's HTTP server (`pocket-tts serve` of pocket-tts 4.0.1: FastAPI, `POST /tts`
streaming WAV) on one of its configs with random weights, for `pocket-tts-bench`.

    REFERENCE4_PYTHON Benchmarks/reference4_server.py --model english_2m_2026-10 [--port 8001]

The official weights cannot be downloaded here, so the model is the config's architecture with
the random initialisation `Scripts/reference/parity_401.py` uses (`build_reference`, seed 1234):
the speed of a step does not depend on the weights' values. EOS is disabled (threshold 1e9) so
every sentence runs to the reference's own frame budget (`_estimate_max_gen_len`), the same
lengths our service makes with `eos_threshold: 1e9`; temperature 0.7. The voice is the shared
speech sample, encoded once before serving (the reference's `serve` resolves its default voice
the same way). Then the reference's own `web_app` is served by uvicorn, as `serve` does. Needs
a venv with `pocket-tts==4.0.1` (Scripts/reference/README.md).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Scripts" / "reference"))
from fullsize_common import DEFAULT_SPEECH, DEFAULT_TOKENIZER, log  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a config of pocket-tts 4.0.1 (english, english_2m_2026-10, ...)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--tokenizer", type=Path, default=DEFAULT_TOKENIZER)
    parser.add_argument("--voice", type=Path, default=DEFAULT_SPEECH)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pocket-tts-bench"))
    args = parser.parse_args()

    import torch
    import uvicorn
    from parity_401 import build_reference, spm_to_json  # noqa: E402
    from pocket_tts import main as reference

    from pocket_tts.utils.config import CONFIGS_DIR, load_config

    tokenizer = args.tokenizer
    if load_config(CONFIGS_DIR / f"{args.model}.yaml").flow_lm.lookup_table.tokenizer in ("tokenizers", "json"):
        # These configs read a tokenizer.json: the same vocabulary, converted (as family_bench.py does).
        tokenizer = spm_to_json(tokenizer, args.workdir / "tokenizer.json")
    log(f"building {args.model} with random weights")
    model = build_reference(args.model, tokenizer, seed=1234)
    model.temp = args.temperature
    with torch.no_grad():
        reference.default_voice_state = model.get_state_for_audio_prompt(args.voice)
    reference.tts_model = model
    log(f"reference 4.0.1 server: http://{args.host}:{args.port}/tts ({args.model}, random weights, EOS off)")
    uvicorn.run(reference.web_app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
