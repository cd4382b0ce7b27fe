#!/usr/bin/env python3
"""FlowLM parity fixtures of pocket-tts 4.0.1 (Tests/PocketTTSTests/Fixtures/reference401/).

For each model below, a `TTSModel` is built with `_from_pydantic_config_with_weights` (no weight
files, ref401_common.build_model) and every `flow_lm.*` tensor but the time embedders'
`freqs` buffers is overwritten with values from a counter-based generator that the Swift tests
reproduce bit for bit (`fixture_values` here, `Reference401.values` there), so no weights need
committing: the three tiny configs run at their full size. Then, at temperature 0 (zero noise):

1. a voice prompt as `get_state_for_audio_prompt` builds it after the Mimi encoder: made-up
   encoder latents [T, mimi.inner_dim or seanet.dimension] through `speaker_proj_weight`,
   after `bos_before_voice` when the config inserts it, run through FlowLM from a fresh state;
   the state is written with `export_model_state` (`<name>_voice.safetensors`);
2. a copy of that state (`_expand_kv_cache` as `_generate` does), a text prompt of made-up
   tokens, then 40 steps from a NaN (BOS) latent, each fed the previous latent
   (`_autoregressive_generation` without its EOS stop): latents [40, ldim] and EOS logits [40]
   (`out_eos`'s output, captured by a hook).

Models: english_2m_2026-10, english_7m_2026-10, english_18m_2026-10 (as configured) and shrunk
versions of the big families, every feature kept (`shrunk_*.yaml` written beside the fixtures).

    /opt/ref4-venv/bin/python Scripts/reference/make_fixtures_401.py

Deterministic; ~1 minute. Never edit the outputs by hand.
"""
import copy
import hashlib
import json
from pathlib import Path

import numpy as np
import safetensors.torch
import torch
import torch.nn.functional as F
import yaml

from ref401_common import REPO, build_model, load_yaml

OUT = REPO / "Tests" / "PocketTTSTests" / "Fixtures" / "reference401"
SEED = 401
FRAMES = 40
VOICE_FRAMES = 5
TEXT_TOKENS = 12
MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def fnv1a64(text: str) -> int:
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & MASK
    return h


def unit_floats(stream: str, seed: int, count: int) -> np.ndarray:
    """u_i in [0, 1), i < count: SplitMix64 outputs of state (seed ^ fnv1a64(stream)), top 24 bits."""
    with np.errstate(over="ignore"):
        key = np.uint64(seed ^ fnv1a64(stream))
        z = key + (np.arange(1, count + 1, dtype=np.uint64) * np.uint64(GOLDEN))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float32) * np.float32(2.0**-24)


def fixture_values(stream: str, seed: int, shape, center: float, half_width: float) -> torch.Tensor:
    """center + (2u - 1) · halfWidth, each operation rounded to float32 (as the Swift side)."""
    count = int(np.prod(shape)) if len(shape) else 1
    t = np.float32(2) * unit_floats(stream, seed, count) - np.float32(1)
    values = np.float32(center) + t * np.float32(half_width)
    return torch.from_numpy(values.astype(np.float32).reshape(shape))


def initialisation(name: str, shape: list[int]) -> tuple[float, float] | None:
    """(center, half width) of a made-up tensor, None for the kept `freqs` buffers."""
    if name.endswith(".freqs"):
        return None
    last = name.rsplit(".", 1)[-1]
    if name.endswith("conditioner.embed.weight"):
        return 0.0, 1.7  # ~ N(0, 1) like nn.Embedding
    if name in ("bos_emb", "bos_before_voice"):
        return 0.0, 1.0
    if last == "alpha" or name == "emb_std" or ((".norm" in name or "norm." in name or "in_ln" in name) and last == "weight"):
        return 1.0, 0.2  # norms near 1
    if len(shape) >= 2:
        return 0.0, float(np.float32(1 / np.sqrt(shape[-1])))  # torch's Linear bound
    return 0.0, 0.2  # biases, emb_mean


def shrink(base: str, flow_type: str | None = None) -> dict:
    """A big-family config with the FlowLM shrunk (d 64, 4 heads, 2 layers, flow 32 x 2)."""
    config = load_yaml(base)
    for key in ("weights_path", "weights_path_without_voice_cloning"):
        config.pop(key, None)
    flow_lm = config["flow_lm"]
    flow_lm.pop("weights_path", None)
    flow_lm["transformer"].update(d_model=64, num_heads=4, num_layers=2, hidden_scale=2)
    flow_lm["lookup_table"]["dim"] = 64
    flow_lm["flow"].update(dim=32, depth=2)
    if flow_type is not None:
        flow_lm["flow"]["type"] = flow_type
    return config


# name -> (config source, config dict, sampler_decode_steps)
MODELS = {
    "english_2m_2026-10": ("english_2m_2026-10", load_yaml("english_2m_2026-10"), 1),
    "english_7m_2026-10": ("english_7m_2026-10", load_yaml("english_7m_2026-10"), 1),
    "english_18m_2026-10": ("english_18m_2026-10", load_yaml("english_18m_2026-10"), 1),
    "shrunk_english": ("shrunk_english.yaml", shrink("english"), 2),
    "shrunk_english_drifting_26-09": ("shrunk_english_drifting_26-09.yaml", shrink("english_drifting_26-09"), 1),
    "shrunk_english_2026-01": ("shrunk_english_2026-01.yaml", shrink("english_2026-01"), 1),
    "shrunk_flow_matching": ("shrunk_flow_matching.yaml", shrink("english", flow_type="flow_matching"), 4),
}


def make(name: str, source: str, config: dict, steps: int) -> dict:
    model = build_model(config, temp=0.0, sampler_decode_steps=steps)
    flow_lm = model.flow_lm
    inits = {}
    state = flow_lm.state_dict()
    for key, tensor in state.items():
        init = initialisation(key, list(tensor.shape))
        if init is None:
            continue
        inits[key] = init
        tensor.copy_(fixture_values("flow_lm." + key, SEED, list(tensor.shape), *init))
    d_model = flow_lm.dim
    speaker_dim = flow_lm.speaker_proj_weight.shape[1]
    n_bins = config["flow_lm"]["lookup_table"]["n_bins"]
    rng = np.random.default_rng(SEED)
    tokens = [int(t) for t in rng.integers(0, n_bins + 1, size=TEXT_TOKENS)]
    voice_latents = fixture_values(f"{name}/voice_latents", SEED, [VOICE_FRAMES, speaker_dim], 0.0, 1.0)

    # get_state_for_audio_prompt after _encode_audio.
    prompt = F.linear(voice_latents[None], flow_lm.speaker_proj_weight)
    if flow_lm.insert_bos_before_voice:
        prompt = torch.cat([flow_lm.bos_before_voice, prompt], dim=1)
    from pocket_tts.models.model_state import export_model_state
    from pocket_tts.modules.stateful_module import init_states

    voice_state = init_states(flow_lm, batch_size=1, sequence_length=prompt.shape[1])
    model._run_flow_lm_and_increment_step(model_state=voice_state, audio_conditioning=prompt)
    export_model_state(voice_state, OUT / f"{name}_voice.safetensors")

    # _generate + _autoregressive_generation, EOS ignored.
    logits: list[torch.Tensor] = []
    hook = flow_lm.out_eos.register_forward_hook(lambda module, args, output: logits.append(output.detach().clone()))
    state = copy.deepcopy(voice_state)
    model._expand_kv_cache(state, sequence_length=prompt.shape[1] + TEXT_TOKENS + FRAMES)
    model._run_flow_lm_and_increment_step(model_state=state, text_tokens=torch.tensor([tokens]))
    logits.clear()
    latent = torch.full((1, 1, flow_lm.ldim), float("nan"))
    latents = []
    for _ in range(FRAMES):
        latent, _ = model._run_flow_lm_and_increment_step(model_state=state, backbone_input_latents=latent)
        latents.append(latent.reshape(-1))
    hook.remove()
    tensors = {
        "voice_latents": voice_latents.contiguous(),
        "voice_prompt": prompt[0].contiguous(),
        "latents": torch.stack(latents).contiguous(),
        "eos_logits": torch.cat([l.reshape(-1) for l in logits]).contiguous(),
    }
    for key, tensor in state_items(flow_lm):
        if key.endswith(".freqs"):
            tensors["weights/" + key] = tensor.contiguous()
    safetensors.torch.save_file(tensors, OUT / f"{name}.safetensors")
    if source.endswith(".yaml"):
        (OUT / source).write_text(
            "# Written by Scripts/reference/make_fixtures_401.py: a shrunk config, every feature kept.\n"
            + yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return {
        "config": source,
        "decode_steps": steps,
        "text_tokens": tokens,
        "voice_frames": VOICE_FRAMES,
        "frames": FRAMES,
        "d_model": d_model,
        "initialisation": {k: {"center": c, "half_width": w} for k, (c, w) in inits.items()},
        "kept": [k for k, _ in state_items(flow_lm) if k not in inits],
        "latent_max_abs": float(tensors["latents"].abs().max()),
    }


def state_items(module: torch.nn.Module):
    return list(module.state_dict().items())


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = {"generator": "Scripts/reference/make_fixtures_401.py (pocket-tts 4.0.1, torch "
                + torch.__version__.split("+")[0] + ")", "seed": SEED, "models": {}}
    for name, (source, config, steps) in MODELS.items():
        manifest["models"][name] = make(name, source, config, steps)
        print(f"{name}: max |latent| {manifest['models'][name]['latent_max_abs']:.3f}")
    files = sorted(p for p in OUT.iterdir() if p.name != "manifest.json")
    manifest["sha256"] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{len(files) + 1} files, {total / 1e6:.2f} MB -> {OUT}")


if __name__ == "__main__":
    main()
