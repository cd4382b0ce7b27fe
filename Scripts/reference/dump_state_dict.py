#!/usr/bin/env python3
"""Dumps the tensor layout (names, shapes, dtypes) of the reference `TTSModel.state_dict()`.

The model is built from a config yaml exactly as `TTSModel.load_model` does, with every
weights path removed (nothing is downloaded). The tokenizer is only read by the reference to
check `n_bins`: the real one (--tokenizer, default ../shared/assets/tokenizer.model) is used
when it is there and has `n_bins` pieces, otherwise a stand-in (the layout does not depend
on it). Each tensor also gets how the reference initialises it ("init"): the torch default
U(+-bound) of Linear/Conv layers (bound = 1/sqrt(fan_in) as torch computes fan_in), a
constant, N(0, 1), or the exact values of a fixed buffer. The outputs are the fixtures the
Swift layout test compares against:

    /opt/ref-venv/bin/python Scripts/reference/dump_state_dict.py \
        Configs/b6369a24.yaml Tests/PocketTTSTests/Fixtures/layout/b6369a24.json
    /opt/ref-venv/bin/python Scripts/reference/dump_state_dict.py \
        Tests/PocketTTSTests/Fixtures/layout/variant.yaml Tests/PocketTTSTests/Fixtures/layout/variant.json

Needs `pip install pocket-tts==1.1.1`.
"""
import argparse
import json
import math
import sys
from pathlib import Path

import torch


def vocab_size(tokenizer_path: str) -> int:
    import sentencepiece

    return sentencepiece.SentencePieceProcessor(str(tokenizer_path)).vocab_size()


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
    n_bins = config.flow_lm.lookup_table.n_bins
    if tokenizer_path is not None and Path(tokenizer_path).exists() and vocab_size(tokenizer_path) == n_bins:
        config.flow_lm.lookup_table.tokenizer_path = str(tokenizer_path)
    else:
        class StandInTokenizer:
            def __init__(self, nbins: int, tokenizer_path: str) -> None:
                assert nbins == n_bins

        text_module.SentencePieceTokenizer = StandInTokenizer
    return TTSModel._from_pydantic_config_with_weights(
        config, temp=0.7, lsd_decode_steps=1, noise_clamp=None, eos_threshold=-4.0
    )


def owning_modules(model: torch.nn.Module) -> dict[str, torch.nn.Module]:
    owners = {}
    for module_name, module in model.named_modules():
        prefix = module_name + "." if module_name else ""
        for name, _ in module.named_parameters(recurse=False):
            owners[prefix + name] = module
        for name, _ in module.named_buffers(recurse=False):
            owners[prefix + name] = module
    return owners


def describe_init(name: str, tensor: torch.Tensor, module: torch.nn.Module) -> dict:
    """How the reference initialises `tensor` (a fresh, unloaded model)."""
    linear_kinds = (torch.nn.Linear, torch.nn.Conv1d, torch.nn.ConvTranspose1d)
    if isinstance(module, linear_kinds):
        fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(module.weight)
        return {"kind": "uniform", "bound": 1 / math.sqrt(fan_in)}
    if isinstance(module, torch.nn.Embedding) or name.endswith("bos_emb"):
        return {"kind": "normal", "mean": 0.0, "std": 1.0}
    flat = tensor.flatten()
    if flat.numel() > 0 and bool((flat == flat[0]).all()):
        return {"kind": "constant", "value": float(flat[0])}
    return {"kind": "values", "values": [float(v) for v in flat]}


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
    owners = owning_modules(model)
    tensors = [
        {
            "name": name,
            "shape": list(tensor.shape),
            "dtype": dtype_name(tensor.dtype),
            "module": type(owners[name]).__name__,
            "init": describe_init(name, tensor, owners[name]),
        }
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
