#!/usr/bin/env python3
"""Golden fixtures of the Mimi codec of pocket-tts 4.0.1, one per distinct Mimi configuration.

    /opt/ref4-venv/bin/python Scripts/reference/make_mimi_fixtures_401.py

Reference: pocket-tts==4.0.1 (`build_mimi`, `decode_from_latent`, `encode_to_latent`,
`end_on_pause`, `get_mimi_state_dict`), CPU, float32, one thread. Output, in
Tests/PocketTTSTests/Fixtures/reference401/:

- `mimi_configs.json`: the `mimi:` section of each fixture's configuration (`MimiConfig.model_dump()`).
- `mimi_<name>.safetensors`: the model's weights in this package's layout (`mimi.*` keys).
- `mimi_<name>_golden.safetensors`:
  - `latents` [12, 32]: decoder input (already de-normalised: what `_decode_audio_worker` feeds).
  - `audio_frames` [1, 12·1920]: `decode_from_latent` one frame per call on a fresh state
    (`init_states(mimi, 1, 12·16)`, `increment_steps(mimi, state, 16)` after each call), as the
    worker does with `max_decoder_frames_per_call=1`; no fade.
  - `audio_faded`: the same with the worker's 5 ms fade-in (`torch.linspace(0, 1, sr // 200)`)
    on the first samples of the first call.
  - `audio_all`: the 12 frames in one `decode_from_latent` call on a fresh state (the worker
    decoding every queued latent at once); no fade.
  - `voice_latents` [T, inner_dim]: `encode_to_latent(voice_trimmed[None, None])[0]` (below).
- `voice.safetensors`: `voice_audio` [48000], ~2 s of a synthetic voice prompt (tones under a
  syllable envelope, then quiet noise), and `voice_trimmed` = `end_on_pause(voice_audio, 24000)`.
- `mimi_grouped_training.safetensors`: the `grouped` fixture's weights in the training layout
  `get_mimi_state_dict` converts (`model.` prefix, `.conv.conv.`, `.convtr.convtr.`,
  `in_proj_weight`, weight norm as `weight_g`/`weight_v`, and keys it skips); the
  `mimi_grouped.safetensors` weights are what 4.0.1 loads from it (`load_state_dict(strict=True)`).

The widths of the full-size encoder (and of the decoders that share its SEANet/transformer) are
shrunk so the files stay small; every structural feature is kept: inner_dim != dimension
(`english`), inner_dim == outer_dim == dimension (`english_2026-01`), a decoder with its own SEANet
and transformer (`english_2m_2026-10`: exactly the shipped decoder but 2 of its 4 layers), and an
upsampling transposed conv with outer_dim != decoder dimension (`grouped`: 64 in, 16 out, groups 16).
Deterministic: two runs write the same bytes.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import safetensors.torch
import torch
import yaml

import pocket_tts
from pocket_tts.data.audio_utils import end_on_pause
from pocket_tts.models.mimi import build_mimi
from pocket_tts.modules.stateful_module import StatefulModule, increment_steps, init_states
from pocket_tts.utils.config import MimiConfig
from pocket_tts.utils.weights_loading import get_mimi_state_dict

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "Tests/PocketTTSTests/Fixtures/reference401"
SEED = 401
FRAMES = 12
VOICE_SECONDS = 2.0

torch.set_num_threads(1)


def shipped_mimi(name: str) -> dict:
    path = Path(pocket_tts.__file__).parent / "config" / f"{name}.yaml"
    return yaml.safe_load(path.read_text())["mimi"]


def shrink_encoder(mimi: dict) -> None:
    """The full-size SEANet (512 channels) and transformer (d_model 512) at 48 wide."""
    mimi["seanet"].update(dimension=48, n_filters=8)
    mimi["transformer"].update(d_model=48, num_heads=4, dim_feedforward=96, input_dimension=48, output_dimensions=[48])


def fixture_configs() -> dict[str, dict]:
    configs = {}
    m = shipped_mimi("english_2026-01")  # inner 512 = outer 512 = dimension
    shrink_encoder(m)
    m.update(inner_dim=48, outer_dim=48)
    m["quantizer"]["output_dimension"] = 48
    configs["english_2026-01"] = m
    m = shipped_mimi("english")  # inner 32 != dimension 512 = outer
    shrink_encoder(m)
    m.update(outer_dim=48)
    m["quantizer"]["output_dimension"] = 48
    configs["english"] = m
    m = shipped_mimi("english_2m_2026-10")  # its own decoder: d_model 128, 4 heads, context 50, n_filters 24, k 3
    shrink_encoder(m)
    m["decoder_transformer"]["num_layers"] = 2
    configs["english_2m_2026-10"] = m
    m = copy.deepcopy(m)  # upsample ConvTranspose1d(64 -> 16, groups 16): 4 input channels per group
    m.update(outer_dim=64)
    m["quantizer"]["output_dimension"] = 64
    m["decoder_seanet"].update(dimension=16, n_filters=8)
    m["decoder_transformer"].update(d_model=16, num_heads=2, num_layers=1, dim_feedforward=48, input_dimension=16,
                                    output_dimensions=[16])
    configs["grouped"] = m
    return configs


def randomise(mimi: torch.nn.Module, generator: torch.Generator) -> None:
    """Seeded values everywhere, LayerScale and LayerNorm included (their defaults, 0.01 and 1/0,
    would hide the transformer)."""
    with torch.no_grad():
        for name, p in mimi.named_parameters():
            if name.endswith(".scale"):
                p.copy_(0.2 + 0.3 * torch.rand(p.shape, generator=generator))
            elif ".norm" in name and name.endswith(".weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=generator))
            elif ".norm" in name and name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=generator))
            else:
                fan_in = p[0].numel() if p.dim() > 1 else p.numel()
                bound = 1 / fan_in**0.5
                p.copy_((2 * torch.rand(p.shape, generator=generator) - 1) * bound)


def stamp(mimi: torch.nn.Module) -> None:
    for module_name, module in mimi.named_modules():
        if isinstance(module, StatefulModule):
            module._module_absolute_name = module_name


def voice_audio(generator: torch.Generator, sample_rate: int) -> torch.Tensor:
    """Tones under a syllable-like envelope for 1.55 s, then noise ~60 dB down (cut by end_on_pause)."""
    n = int(VOICE_SECONDS * sample_rate)
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    f0 = 140 + 30 * torch.sin(2 * torch.pi * 1.3 * t)
    phase = 2 * torch.pi * torch.cumsum(f0, 0) / sample_rate
    tone = sum(torch.sin(k * phase) / k for k in range(1, 6))
    envelope = (0.5 + 0.5 * torch.sin(2 * torch.pi * 4 * t)).clamp(min=0) ** 2
    envelope[t > 1.55] = 0
    noise = torch.randn(n, generator=generator, dtype=torch.float64)
    return (0.3 * tone * envelope + 3e-4 * noise).to(torch.float32)


@torch.no_grad()
def decode(mimi, latents: torch.Tensor, frames_per_call: int, fade: bool, sample_rate: int) -> torch.Tensor:
    """`TTSModel._decode_audio_worker` on de-normalised latents [T, 32], `frames_per_call` per call."""
    steps = int(mimi.encoder_frame_rate / mimi.frame_rate)
    state = init_states(mimi, batch_size=1, sequence_length=latents.shape[0] * steps)
    fade_in = torch.linspace(0, 1, sample_rate // 200) if fade else None
    chunks = []
    for f0 in range(0, latents.shape[0], frames_per_call):
        chunk = latents[f0 : f0 + frames_per_call][None]  # [1, n, 32]
        audio = mimi.decode_from_latent(chunk, state)
        if fade_in is not None:
            n = min(fade_in.numel(), audio.shape[-1])
            audio[..., :n] *= fade_in[:n].to(audio)
            fade_in = None
        increment_steps(mimi, state, increment=steps * chunk.shape[1])
        chunks.append(audio)
    return torch.cat(chunks, dim=-1)[0]  # [channels, samples]


def training_layout(state: dict[str, torch.Tensor], generator: torch.Generator) -> dict[str, torch.Tensor]:
    """The names and forms of a training checkpoint that get_mimi_state_dict maps onto `state`."""
    out: dict[str, torch.Tensor] = {}
    weight_normed = {"encoder.model.0.conv.weight", "decoder.model.2.convtr.weight", "decoder.model.3.block.1.conv.weight"}
    for name, tensor in state.items():
        if name in weight_normed:  # weight = g · v / ||v|| (norm over all dims but 0), no "model." prefix
            base = name.replace(".conv.", ".conv.conv.").replace(".convtr.", ".convtr.convtr.")
            v = tensor * (0.5 + torch.rand(tensor.shape[0], *[1] * (tensor.dim() - 1), generator=generator))
            g = torch.linalg.vector_norm(tensor.flatten(1), dim=1).view(-1, *[1] * (tensor.dim() - 1))
            out[base + "_g"] = g.contiguous()
            out[base + "_v"] = v.contiguous()
            continue
        key = name.replace(".conv.", ".conv.conv.", 1) if ".conv." in name else name
        key = key.replace(".convtr.", ".convtr.convtr.", 1)
        key = key.replace("in_proj.weight", "in_proj_weight")
        out["model." + key] = tensor.clone()
    out["model.quantizer.vq.layers.0._codebook.embed"] = torch.randn(8, 4, generator=generator)
    out["model.quantizer.logvar_proj.weight"] = torch.randn(4, 4, generator=generator)
    out["quantizer.logvar_proj.weight"] = torch.randn(4, 4, generator=generator)
    out["quantizer.logvar_param"] = torch.randn(4, generator=generator)
    out["model.extra._codebook.cluster_usage"] = torch.randn(8, generator=generator)
    out["wavlm_proj.weight"] = torch.randn(4, 4, generator=generator)
    out["wavlm_input_resample.kernel"] = torch.randn(4, generator=generator)
    out["wavlm_emb_downsample.conv.conv.weight"] = torch.randn(4, 4, 2, generator=generator)
    out["wavlm_emb_downsample.conv.conv.bias"] = torch.randn(4, generator=generator)
    return out


def save(tensors: dict[str, torch.Tensor], path: Path) -> None:
    safetensors.torch.save_file({k: v.contiguous() for k, v in sorted(tensors.items())}, str(path))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    configs = fixture_configs()
    dumped = {}
    audio = voice_audio(torch.Generator().manual_seed(SEED), 24000)
    trimmed = end_on_pause(audio[None], 24000)[0]
    save({"voice_audio": audio, "voice_trimmed": trimmed}, OUT / "voice.safetensors")
    for index, (name, raw) in enumerate(configs.items()):
        config = MimiConfig(**raw)
        dumped[name] = config.model_dump()
        generator = torch.Generator().manual_seed(SEED + index)
        mimi = build_mimi(config).eval()
        randomise(mimi, generator)
        stamp(mimi)
        sample_rate = config.sample_rate
        if name == "grouped":  # weights through get_mimi_state_dict from the training layout
            training_path = OUT / "mimi_grouped_training.safetensors"
            save(training_layout(mimi.state_dict(), generator), training_path)
            mimi.load_state_dict(get_mimi_state_dict(training_path), strict=True)
        save({f"mimi.{k}": v for k, v in mimi.state_dict().items()}, OUT / f"mimi_{name}.safetensors")
        latents = torch.randn(FRAMES, config.quantizer.dimension, generator=generator)
        assert sample_rate == 24000
        with torch.no_grad():
            voice_latents = mimi.encode_to_latent(trimmed[None, None])[0]
        golden = {
            "latents": latents,
            "audio_frames": decode(mimi, latents, 1, fade=False, sample_rate=sample_rate),
            "audio_faded": decode(mimi, latents, 1, fade=True, sample_rate=sample_rate),
            "audio_all": decode(mimi, latents, FRAMES, fade=False, sample_rate=sample_rate),
            "voice_latents": voice_latents,
        }
        save(golden, OUT / f"mimi_{name}_golden.safetensors")
        frames_error = (golden["audio_frames"] - golden["audio_all"]).abs().max().item()
        print(f"{name}: audio rms {golden['audio_frames'].square().mean().sqrt():.4f}, frame-by-frame vs all "
              f"{frames_error:.2e}, voice {audio.numel()} -> {trimmed.numel()} samples -> latents "
              f"{list(voice_latents.shape)}")
    (OUT / "mimi_configs.json").write_text(json.dumps(dumped, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
