#!/usr/bin/env python3
"""Checks a weights file made by `pocket-tts make-random-weights` against the reference model:

    /opt/ref-venv/bin/python Scripts/reference/check_random_weights.py model.safetensors \
        [--config Configs/b6369a24.yaml] [--dtype BF16|F32]

1. Python `safetensors` opens it; its keys and shapes are exactly the reference
   `TTSModel.state_dict()` ones; every tensor has the expected dtype; metadata is printed.
2. The reference `TTSModel.load_state_dict(..., strict=True)` accepts it.
3. With these weights the whole reference pipeline stays finite: Mimi encoder + speaker
   projection + FlowLM on 1 s of seeded noise (voice state), text prompt, a few generation
   steps, Mimi decoder on the latents.

Exits non-zero on any failure. Needs `pip install pocket-tts==1.1.1`.
"""
import argparse
import sys
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dump_state_dict import build_reference_model  # noqa: E402

from pocket_tts.modules.stateful_module import increment_steps, init_states  # noqa: E402

FAILURES = []


def check(condition: bool, message: str) -> None:
    print(("ok    " if condition else "FAIL  ") + message)
    if not condition:
        FAILURES.append(message)


def finite(name: str, tensor: torch.Tensor) -> None:
    check(bool(torch.isfinite(tensor).all()), f"{name}: finite, shape {list(tensor.shape)}, "
          f"rms {tensor.float().pow(2).mean().sqrt().item():.4g}")


@torch.no_grad()
def run_pipeline(model) -> None:
    torch.manual_seed(0)
    sample_rate = model.config.mimi.sample_rate
    audio = 0.1 * torch.randn(1, sample_rate)  # [C, T], 1 s
    voice_state = model.get_state_for_audio_prompt(audio)
    conditioning = model._encode_audio(audio.unsqueeze(0))
    finite("voice conditioning (mimi encoder + speaker_proj)", conditioning)
    for name, module_state in voice_state.items():
        if "cache" in module_state:
            finite(f"voice state {name}.cache", module_state["cache"][:, :, : module_state["current_end"].shape[0]])
            break

    tokens = torch.tensor([[10, 200, 3000, 42, 263]])
    model._expand_kv_cache(voice_state, sequence_length=voice_state_length(voice_state) + tokens.shape[1] + 8)
    model._run_flow_lm_and_increment_step(model_state=voice_state, text_tokens=tokens)
    latent = torch.full((1, 1, model.flow_lm.ldim), float("nan"))
    latents, eos = [], []
    for _ in range(6):
        latent, is_eos = model._run_flow_lm_and_increment_step(model_state=voice_state, backbone_input_latents=latent)
        latents.append(latent)
        eos.append(bool(is_eos.item()))
    finite("6 generated latents (FlowLM + flow head)", torch.cat(latents, dim=1))
    print(f"      EOS flags (threshold {model.eos_threshold}): {eos}")

    mimi_state = init_states(model.mimi, batch_size=1, sequence_length=model.config.mimi.transformer.context)
    frames = []
    for latent in latents:
        mimi_input = (latent * model.flow_lm.emb_std + model.flow_lm.emb_mean).transpose(-1, -2)
        frames.append(model.mimi.decode_from_latent(model.mimi.quantizer(mimi_input), mimi_state))
        increment_steps(model.mimi, mimi_state, increment=16)
    decoded = torch.cat(frames, dim=-1)
    finite("decoded audio (mimi decoder)", decoded)
    check(decoded.shape[-1] == 6 * int(sample_rate / model.config.mimi.frame_rate), "1920 samples per frame")


def voice_state_length(state: dict) -> int:
    return next(int(s["current_end"].shape[0]) for s in state.values() if "current_end" in s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("weights")
    parser.add_argument("--config", default=str(Path(__file__).resolve().parents[2] / "Configs/b6369a24.yaml"))
    parser.add_argument("--dtype", choices=["BF16", "F32"], help="expected dtype of every tensor")
    parser.add_argument("--tokenizer", default=None)
    args = parser.parse_args()

    model = build_reference_model(args.config, args.tokenizer)
    reference = model.state_dict()

    with safe_open(args.weights, framework="pt") as handle:
        keys = list(handle.keys())
        metadata = handle.metadata()
        dtypes = {handle.get_slice(k).get_dtype() for k in keys}
    print(f"      {args.weights}: {len(keys)} tensors, dtypes {sorted(dtypes)}, metadata {metadata}")
    check(keys == sorted(keys), "tensors stored in name order")
    missing = sorted(set(reference) - set(keys))
    unexpected = sorted(set(keys) - set(reference))
    check(not missing and not unexpected, f"key set equals reference state_dict ({len(reference)} keys); "
          f"missing {missing[:5]}, unexpected {unexpected[:5]}")

    state = load_file(args.weights)
    bad_shapes = [k for k in reference if k in state and tuple(state[k].shape) != tuple(reference[k].shape)]
    check(not bad_shapes, f"shapes equal reference ({bad_shapes[:5]})")
    total = sum(t.numel() for t in state.values())
    check(total == sum(t.numel() for t in reference.values()), f"{total} values")
    if args.dtype:
        expected = {"BF16": torch.bfloat16, "F32": torch.float32}[args.dtype]
        check(all(t.dtype == expected for t in state.values()), f"every tensor is {args.dtype}")

    result = model.load_state_dict(state, strict=True)
    check(not result.missing_keys and not result.unexpected_keys, "TTSModel.load_state_dict(strict=True) accepts it")
    run_pipeline(model)

    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
