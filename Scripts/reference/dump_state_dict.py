#!/usr/bin/env python3
"""Dumps the tensor layout (names, shapes, dtypes) of the reference `TTSModel.state_dict()`.

The model is built from a config yaml exactly as `TTSModel.load_model` does, with every
weights path removed (nothing is downloaded). The tokenizer is only read by the reference to
check `n_bins`; pass the real one with --tokenizer, otherwise a stand-in reporting `n_bins`
pieces is used. The output is the fixture the Swift layout test compares against:

    /opt/ref-venv/bin/python Scripts/reference/dump_state_dict.py \
        Configs/b6369a24.yaml Tests/PocketTTSTests/Fixtures/layout/b6369a24.json

Needs `pip install pocket-tts==1.1.1`.
"""
import argparse
import json
import sys
from pathlib import Path

import torch


def build_reference_model(config_path: str, tokenizer_path: str | None):
    """Builds `TTSModel` from the yaml with the weights paths removed (uninitialised weights)."""
    import pocket_tts.conditioners.text as text_module
    from pocket_tts.models.tts_model import TTSModel
    from pocket_tts.utils.config import load_config

    config = load_config(config_path)
    config.weights_path = None
    config.weights_path_without_voice_cloning = None
    config.flow_lm.weights_path = None
    config.mimi.weights_path = None
    if tokenizer_path is not None and Path(tokenizer_path).exists():
        config.flow_lm.lookup_table.tokenizer_path = str(tokenizer_path)
    else:
        n_bins = config.flow_lm.lookup_table.n_bins

        class StandInTokenizer:
            def __init__(self, nbins: int, tokenizer_path: str) -> None:
                assert nbins == n_bins

        text_module.SentencePieceTokenizer = StandInTokenizer
    return TTSModel._from_pydantic_config_with_weights(
        config, temp=0.7, lsd_decode_steps=1, noise_clamp=None, eos_threshold=-4.0
    )


def dtype_name(dtype: torch.dtype) -> str:
    return {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}[dtype]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("config", help="config yaml, e.g. Configs/b6369a24.yaml")
    parser.add_argument("out", help="output JSON path ('-' for stdout)")
    parser.add_argument(
        "--tokenizer",
        default=str(Path(__file__).resolve().parents[3] / "shared/assets/tokenizer.model"),
        help="SentencePiece model used only for the reference's n_bins check",
    )
    args = parser.parse_args()

    model = build_reference_model(args.config, args.tokenizer)
    state = model.state_dict()
    tensors = [
        {"name": name, "shape": list(tensor.shape), "dtype": dtype_name(tensor.dtype)}
        for name, tensor in state.items()
    ]
    parameters = {name for name, _ in model.named_parameters()}
    document = {
        "config": Path(args.config).name,
        "generator": "Scripts/reference/dump_state_dict.py (pocket-tts 1.1.1)",
        "total_elements": sum(t.numel() for t in state.values()),
        "total_parameters": sum(p.numel() for p in model.parameters()),
        "buffers": [name for name in state if name not in parameters],
        "tensors": tensors,
    }
    text = json.dumps(document, indent=1) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
        print(f"{len(tensors)} tensors, {document['total_elements']} elements -> {args.out}")


if __name__ == "__main__":
    main()
