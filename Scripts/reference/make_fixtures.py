#!/usr/bin/env python3
"""Regenerates every golden parity fixture of the Swift port from the pinned reference.

    /opt/ref-venv/bin/python Scripts/reference/make_fixtures.py

Reference: pocket-tts==1.1.1 (model family b6369a24), run on CPU in float32 with one thread.
Output: Tests/PocketTTSTests/Fixtures/reference/ (tiny.yaml, tiny_weights*.safetensors, voice.wav,
voice_state.safetensors, modules.safetensors, e2e.safetensors, manifest.json, MANIFEST.md).
The files are never edited by hand: rerun this script; it is deterministic (same bytes twice).
Every call below goes through the reference's own functions; hooks and thin instance-level
wrappers only *observe* intermediate values (and, where documented, fix the frame budget).
"""

from __future__ import annotations

import hashlib
import json
import queue
import sys
import wave
from functools import partial
from pathlib import Path

import numpy as np
import safetensors.torch
import torch
import yaml
from torch import nn

from pocket_tts.data.audio_utils import convert_audio
from pocket_tts.default_parameters import DEFAULT_EOS_THRESHOLD, MAX_TOKEN_PER_CHUNK
from pocket_tts.models.flow_lm import lsd_decode
from pocket_tts.models.tts_model import (
    TTSModel,
    _import_model_state,
    export_model_state,
    prepare_text_prompt,
    split_into_best_sentences,
)
from pocket_tts.modules import mlp
from pocket_tts.modules.conv import StreamingConv1d, StreamingConvTranspose1d
from pocket_tts.modules.layer_scale import LayerScale
from pocket_tts.modules.stateful_module import init_states
from pocket_tts.utils.config import load_config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixture_docs import write_manifest_md  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "Tests/PocketTTSTests/Fixtures/reference"
TOKENIZER = REPO / "Tests/PocketTTSTests/Fixtures/tokenizer/test_tokenizer.model"

SEED = 20240601
EOS_GAIN = -3.0  # multiplies out_eos.weight: the logit then rises over the first steps
EOS_BIAS = -4.55  # out_eos.bias: with the default threshold -4.0, EOS fires at step 3
INPUT_GAIN = 4.0  # multiplies flow_lm.input_linear.weight: latents feed back more strongly
FLOW_OUT_GAIN = 2.0  # multiplies flow_net.final_layer.linear.weight
AUDIO_GAIN = 0.3  # multiplies the last SEANet decoder conv: audio RMS ~0.3
FIXED_FRAMES = 8  # max_gen_len forced in the "budget" scenario
NO_EOS_THRESHOLD = 1e9  # logits never exceed it
EOS_MARGIN_MIN = 0.05  # every EOS decision of the "eos" scenario is at least this far from the threshold
DECODER_FRAMES = 30  # latent frames through the streaming Mimi decoder
SEANET_TAP_FRAMES = 2  # frames whose per-layer SEANet decoder outputs are kept

TINY_CONFIG = {
    "flow_lm": {
        "dtype": "float32",
        "flow": {"depth": 2, "dim": 48},
        "transformer": {
            "d_model": 64,
            "hidden_scale": 4,
            "max_period": 10000,
            "num_heads": 2,
            "num_layers": 2,
        },
        "lookup_table": {
            "dim": 64,
            "n_bins": 512,
            "tokenizer": "sentencepiece",
            "tokenizer_path": "../tokenizer/test_tokenizer.model",
        },
    },
    "mimi": {
        "dtype": "float32",
        "sample_rate": 24000,
        "channels": 1,
        "frame_rate": 12.5,
        "seanet": {
            "dimension": 32,
            "channels": 1,
            "n_filters": 8,
            "n_residual_layers": 1,
            "ratios": [6, 5, 4],
            "kernel_size": 7,
            "residual_kernel_size": 3,
            "last_kernel_size": 3,
            "dilation_base": 2,
            "pad_mode": "constant",
            "compress": 2,
        },
        "transformer": {
            "d_model": 32,
            "num_heads": 2,
            "num_layers": 2,
            "layer_scale": 0.01,
            "context": 20,
            "dim_feedforward": 64,
            "input_dimension": 32,
            "output_dimensions": [32],
        },
        "quantizer": {"dimension": 32, "output_dimension": 32},
    },
}

TEXTS = {
    "short": "hello world",
    "long": (
        "The quick brown fox jumps over the lazy dog. It was a sunny morning in the city, "
        "and the river was calm! Do you know what time it is? People say the weather will be "
        "rainy tomorrow, so take your computer home."
    ),
}

CHUNKING_CASES = [
    ("hello world", MAX_TOKEN_PER_CHUNK),
    ("  Hello\nworld  ", MAX_TOKEN_PER_CHUNK),
    ("It is 42", MAX_TOKEN_PER_CHUNK),
    ("what time is it? I do not know... Call me tomorrow!", MAX_TOKEN_PER_CHUNK),
    ("what time is it? I do not know... Call me tomorrow!", 8),
    (TEXTS["long"], MAX_TOKEN_PER_CHUNK),
    (TEXTS["long"], 20),
    ("One. Two. Three. Four. Five. Six.", 4),
    ("hello there. this stays lowercase! ok then", 6),
    ("Wait?! Really    now 3.14", MAX_TOKEN_PER_CHUNK),
]


# ----------------------------------------------------------------------------------------------
# Bookkeeping


class Fixtures:
    """Collects tensors per safetensors file, plus one manifest entry per tensor."""

    def __init__(self) -> None:
        self.files: dict[str, dict[str, torch.Tensor]] = {}
        self.entries: list[dict] = []

    def add(self, file: str, name: str, t: torch.Tensor, layout: str, producer: str, desc: str):
        t = t.detach().to(torch.float32).contiguous().clone()
        assert name not in self.files.setdefault(file, {}), name
        self.files[file][name] = t
        self.entries.append(
            dict(
                file=file,
                name=name,
                dtype="F32",
                shape=list(t.shape),
                layout=layout,
                producer=producer,
                description=desc,
            )
        )


class Tap:
    """Forward hooks that copy module outputs (one list per name, one item per call)."""

    def __init__(self) -> None:
        self.out: dict[str, list[torch.Tensor]] = {}
        self.handles = []

    def on(self, name, module, pick=lambda o: o, limit=None):
        def hook(_mod, _inp, out):
            items = self.out.setdefault(name, [])
            if limit is None or len(items) < limit:
                items.append(pick(out).detach().clone())

        self.handles.append(module.register_forward_hook(hook))

    def cat(self, name, dim=-1):
        return torch.cat(self.out[name], dim=dim)

    def close(self):
        for h in self.handles:
            h.remove()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------------------------
# Model


def write_config() -> Path:
    path = OUT / "tiny.yaml"
    header = (
        "# Tiny config of the b6369a24 family for golden parity tests.\n"
        "# Generated by Scripts/reference/make_fixtures.py; do not edit.\n"
        "# No weights_path: the tests load tiny_weights.safetensors explicitly.\n"
        "# tokenizer_path is relative to the directory of this file.\n"
    )
    path.write_text(header + yaml.safe_dump(TINY_CONFIG, sort_keys=False))
    return path


def load_tiny_config(path: Path):
    config = load_config(path)
    config.flow_lm.lookup_table.tokenizer_path = str(TOKENIZER)
    return config


def build_model(config) -> TTSModel:
    model = TTSModel._from_pydantic_config_with_weights(
        config, temp=0.0, lsd_decode_steps=1, noise_clamp=None, eos_threshold=DEFAULT_EOS_THRESHOLD
    )
    # The reference hard-codes speaker_proj_weight as (1024, 512); its real shape is
    # (flow_lm d_model, mimi seanet dimension).
    d_model = config.flow_lm.transformer.d_model
    dimension = config.mimi.seanet.dimension
    model.flow_lm.speaker_proj_weight = nn.Parameter(torch.zeros(d_model, dimension))
    model.eval()
    return model


@torch.no_grad()
def randomize(model: TTSModel) -> None:
    """Seeded random weights that keep every path of the model alive.

    Linear/Embedding: torch default init (seeded). Mimi convs: N(0, 1/fan) with fan = the number
    of input terms per output sample, biases halved (the default init shrinks the signal ~3x per
    conv, so the audio would only reflect the biases). Norms, RMSNorm alphas, LayerScales,
    emb_std/emb_mean: random around their usual values so none is an identity. A few gains make
    the autoregressive latents move and the EOS logit vary from step to step.
    """
    g = torch.Generator().manual_seed(SEED + 1)

    def rn(t):
        return torch.randn(t.shape, generator=g)

    def ru(t):
        return torch.rand(t.shape, generator=g)

    for _name, m in model.named_modules():
        if isinstance(m, nn.LayerNorm) or (isinstance(m, mlp.LayerNorm) and hasattr(m, "weight")):
            m.weight.copy_(1.0 + 0.1 * rn(m.weight))
            m.bias.copy_(0.1 * rn(m.bias))
        elif isinstance(m, mlp.RMSNorm):
            m.alpha.copy_(1.0 + 0.1 * rn(m.alpha))
        elif isinstance(m, LayerScale):
            m.scale.copy_(0.2 + 0.6 * ru(m.scale))
    for name, m in model.mimi.named_modules():
        if isinstance(m, StreamingConv1d):
            conv, fan = m.conv, m.conv.in_channels // m.conv.groups * m.conv.kernel_size[0]
        elif isinstance(m, StreamingConvTranspose1d):
            conv = m.convtr
            fan = conv.in_channels // conv.groups * conv.kernel_size[0] // conv.stride[0]
        elif name == "quantizer":
            conv, fan = m.output_proj, m.output_proj.in_channels
        else:
            continue
        conv.weight.copy_(rn(conv.weight) / fan**0.5)
        if conv.bias is not None:
            conv.bias.mul_(0.5)
    model.mimi.decoder.model[-1].conv.weight.mul_(AUDIO_GAIN)
    fl = model.flow_lm
    fl.speaker_proj_weight.copy_(2.0 * rn(fl.speaker_proj_weight) / fl.speaker_proj_weight.shape[1] ** 0.5)
    fl.emb_std.copy_(0.5 + ru(fl.emb_std))
    fl.emb_mean.copy_(0.2 * rn(fl.emb_mean))
    fl.input_linear.weight.mul_(INPUT_GAIN)
    fl.flow_net.final_layer.linear.weight.mul_(FLOW_OUT_GAIN)
    fl.out_eos.weight.mul_(EOS_GAIN)
    fl.out_eos.bias.fill_(EOS_BIAS)


def save_weights(model: TTSModel) -> dict:
    sd = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    assert all(v.dtype == torch.float32 for v in sd.values())
    f32 = OUT / "tiny_weights.safetensors"
    safetensors.torch.save_file(sd, str(f32))
    bf16 = OUT / "tiny_weights_bf16.safetensors"
    safetensors.torch.save_file({k: v.to(torch.bfloat16) for k, v in sd.items()}, str(bf16))
    return {
        "f32": f32.name,
        "bf16": bf16.name,
        "tensor_count": len(sd),
        "parameter_count": int(sum(v.numel() for v in sd.values())),
        "keys": {k: list(v.shape) for k, v in sd.items()},
    }


# ----------------------------------------------------------------------------------------------
# Voice


def write_voice_wav(path: Path, sample_rate=24000, seconds=1.5) -> dict:
    n = int(sample_rate * seconds)
    t = np.arange(n, dtype=np.float64) / sample_rate
    rng = np.random.RandomState(SEED)
    sig = (
        0.25 * np.sin(2 * np.pi * 180.0 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3.0 * t))
        + 0.15 * np.sin(2 * np.pi * 440.0 * t + 0.3)
        + 0.08 * np.sin(2 * np.pi * 1330.0 * t)
        + 0.03 * rng.randn(n)
    )
    pcm = np.clip(np.round(sig * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return {"file": path.name, "format": "PCM16 mono", "sample_rate": sample_rate, "samples": n}


@torch.no_grad()
def voice_fixtures(model: TTSModel, fx: Fixtures, voice_path: Path) -> tuple[dict, dict]:
    mimi = model.mimi
    tap = Tap()
    tap.on("seanet", mimi.encoder)
    tap.on("transformer", mimi.encoder_transformer, pick=lambda o: o[0])
    tap.on("downsample", mimi.downsample)
    captured = {}

    def encode(audio):
        captured["input"] = audio.clone()
        cond = TTSModel._encode_audio(model, audio)
        captured["conditioning"] = cond.clone()
        return cond

    model._encode_audio = encode
    state = model.get_state_for_audio_prompt(voice_path)
    del model._encode_audio
    tap.close()

    producer = "TTSModel.get_state_for_audio_prompt(Path('voice.wav')) -> MimiModel.encode_to_latent"
    fx.add("modules", "mimi_enc/seanet_out", tap.cat("seanet")[0], "[C, T]", producer,
           "SEANetEncoder output (200 Hz) for the padded voice audio, batch call, model_state=None.")
    fx.add("modules", "mimi_enc/transformer_out", tap.cat("transformer")[0], "[C, T]", producer,
           "encoder_transformer (ProjectedTransformer) output, model_state=None: causal attention "
           "over the whole sequence with the band mask 0 <= q-k < context (no ring buffer).")
    fx.add("modules", "mimi_enc/downsample_out", tap.cat("downsample")[0], "[C, T]", producer,
           "ConvDownsample1d output (12.5 Hz latents, 'replicate' left padding), model_state=None.")
    fx.add("modules", "voice/conditioning", captured["conditioning"][0], "[T, d_model]", producer,
           "TTSModel._encode_audio: F.linear(latents^T, flow_lm.speaker_proj_weight); the prefix "
           "fed to FlowLM as audio_conditioning.")

    path = OUT / "voice_state.safetensors"
    export_model_state(state, path)
    back = _import_model_state(path)
    for mod, d in state.items():
        for k, v in d.items():
            assert torch.equal(back[mod][k].nan_to_num(7.0), v.nan_to_num(7.0)), (mod, k)
    info = {
        "wav_samples": int(captured["input"].shape[-1]),
        "encoder_input_samples": int(tap.out["seanet"][0].shape[-1] * 120),
        "frames": int(captured["conditioning"].shape[1]),
        "voice_state_file": path.name,
        "voice_state_keys": {
            f"{m}/{k}": [list(v.shape), str(v.dtype).removeprefix("torch.")]
            for m, d in state.items()
            for k, v in d.items()
        },
    }
    return state, info


# ----------------------------------------------------------------------------------------------
# Module-level fixtures


@torch.no_grad()
def flowlm_fixtures(model: TTSModel, fx: Fixtures, g: torch.Generator) -> dict:
    fl = model.flow_lm
    text = "Hello world."
    tokens = fl.conditioner.prepare(text).tokens  # [1, N]
    n = tokens.shape[1]
    latents = torch.randn(1, 3, fl.ldim, generator=g)
    latents[0, 0] = float("nan")
    state = init_states(fl, batch_size=1, sequence_length=64)

    tap = Tap()
    tap.on("embed", fl.conditioner)
    tap.on("transformer", fl.transformer)
    tap.on("out_norm", fl.out_norm)
    tap.on("eos", fl.out_eos)
    producer = "TTSModel._run_flow_lm_and_increment_step (temp 0, lsd_decode_steps 1)"

    out, _ = model._run_flow_lm_and_increment_step(
        model_state=state, text_tokens=tokens, backbone_input_latents=latents
    )
    fx.add("modules", "flowlm/prompt_latents_in", latents[0], "[S, ldim]", "input",
           "Latents fed with the text in the same call; row 0 is NaN (BOS -> bos_emb).")
    fx.add("modules", "flowlm/prompt_text_emb", tap.out["embed"][0][0], "[N, d_model]", producer,
           "conditioner.embed(tokens) (LUTConditioner), no projection.")
    fx.add("modules", "flowlm/prompt_transformer_out", tap.out["transformer"][0][0],
           "[N+S, d_model]", producer,
           "StreamingTransformer output (before out_norm) for input cat[text_emb, input_linear(latents)], "
           "positions 0..N+S-1, fresh state.")
    fx.add("modules", "flowlm/prompt_out_norm", tap.out["out_norm"][0][0], "[N+S, d_model]", producer,
           "out_norm(transformer_out), all positions (only the last one feeds EOS and the flow).")
    fx.add("modules", "flowlm/prompt_eos_logit", tap.out["eos"][0][0], "[1]", producer,
           "out_eos(out_norm[-1]).")
    fx.add("modules", "flowlm/prompt_next_latent", out[0, 0], "[ldim]", producer,
           "lsd_decode(flow_net(h, s, t, x), x0 = 0, 1 step) with h = out_norm[-1].")

    steps = []
    x = out
    for k in range(2):
        x, is_eos = model._run_flow_lm_and_increment_step(model_state=state, backbone_input_latents=x)
        fx.add("modules", f"flowlm/step{k}_out_norm", tap.out["out_norm"][1 + k][0], "[1, d_model]",
               producer, f"Single-latent step {k} continuing the same state; input = previous next_latent; "
               f"position {n + 3 + k}.")
        fx.add("modules", f"flowlm/step{k}_eos_logit", tap.out["eos"][1 + k][0], "[1]", producer,
               f"out_eos of step {k}.")
        fx.add("modules", f"flowlm/step{k}_next_latent", x[0, 0], "[ldim]", producer,
               f"Latent produced by step {k}.")
        steps.append({"position": n + 3 + k, "is_eos_at_default_threshold": bool(is_eos.item())})
    tap.close()
    return {
        "text": text,
        "tokens": tokens[0].tolist(),
        "state_capacity": 64,
        "current_end_after": int(next(iter(state.values()))["current_end"].shape[0]),
        "steps": steps,
    }


@torch.no_grad()
def flow_fixtures(model: TTSModel, fx: Fixtures, g: torch.Generator) -> dict:
    fn = model.flow_lm.flow_net
    d, ldim = model.flow_lm.dim, model.flow_lm.ldim
    c = torch.randn(3, d, generator=g)
    s = torch.tensor([[0.0], [0.25], [0.5]])
    t = torch.tensor([[1.0], [0.5], [0.75]])
    x = torch.randn(3, ldim, generator=g)
    p = "SimpleMLPAdaLN.forward(c, s, t, x)"
    fx.add("modules", "flow/c", c, "[B, d_model]", "input", "Condition (plays the role of out_norm[-1]).")
    fx.add("modules", "flow/s", s, "[B, 1]", "input", "Start times.")
    fx.add("modules", "flow/t", t, "[B, 1]", "input", "Target times.")
    fx.add("modules", "flow/x", x, "[B, ldim]", "input", "Current x.")
    fx.add("modules", "flow/time_embed0_s", fn.time_embed[0](s), "[B, flow_dim]", p,
           "time_embed[0](s) (TimestepEmbedder incl. its RMSNorm with unbiased variance).")
    fx.add("modules", "flow/time_embed1_t", fn.time_embed[1](t), "[B, flow_dim]", p, "time_embed[1](t).")
    fx.add("modules", "flow/cond_embed", fn.cond_embed(c), "[B, flow_dim]", p, "cond_embed(c).")
    fx.add("modules", "flow/input_proj", fn.input_proj(x), "[B, flow_dim]", p, "input_proj(x).")
    fx.add("modules", "flow/out", fn(c, s, t, x), "[B, ldim]", p, "Full flow-net output.")

    x0 = torch.randn(2, ldim, generator=g)
    fx.add("modules", "lsd/x0", x0, "[B, ldim]", "input", "Starting noise for the LSD loop.")
    fx.add("modules", "lsd/out_3steps", lsd_decode(partial(fn, c[:2]), x0.clone(), 3), "[B, ldim]",
           "flow_lm.lsd_decode(partial(flow_net, c[:2]), x0, num_steps=3)",
           "s=i/3, t=(i+1)/3, x += flow(c, s, t, x)/3 for i in 0..2; c = flow/c rows 0..1.")
    fx.add("modules", "lsd/out_1step_zero", lsd_decode(partial(fn, c[:2]), torch.zeros(2, ldim), 1),
           "[B, ldim]", "flow_lm.lsd_decode(partial(flow_net, c[:2]), zeros, num_steps=1)",
           "The temperature-0 path: x0 = 0, one step (s=0, t=1).")
    return {"batch": 3, "lsd_batch": 2}


@torch.no_grad()
def decoder_fixtures(model: TTSModel, fx: Fixtures, g: torch.Generator) -> dict:
    mimi, fl = model.mimi, model.flow_lm
    latents = torch.randn(DECODER_FRAMES, fl.ldim, generator=g)
    tap = Tap()
    tap.on("quantizer", mimi.quantizer)
    tap.on("upsample", mimi.upsample)
    tap.on("transformer", mimi.decoder_transformer, pick=lambda o: o[0])
    tap.on("seanet", mimi.decoder)
    layer_names = []
    for i, layer in enumerate(mimi.decoder.model):
        if isinstance(layer, nn.ELU):
            continue
        layer_names.append((i, type(layer).__name__))
        tap.on(f"seanet_layer{i}", layer, limit=SEANET_TAP_FRAMES)

    lq, rq = queue.Queue(), queue.Queue()
    for i in range(DECODER_FRAMES):
        lq.put(latents[i].view(1, 1, -1))
    lq.put(None)
    model._decode_audio_worker(lq, rq)
    tap.close()
    chunks = []
    while True:
        kind, item = rq.get()
        if kind == "done":
            break
        assert kind == "chunk", item
        chunks.append(item[0, 0])
    audio = torch.cat(chunks)
    assert torch.equal(audio, tap.cat("seanet")[0, 0])

    p = "TTSModel._decode_audio_worker (one latent per call, fresh init_states(mimi, 1, context))"
    fx.add("modules", "mimi_dec/latents", latents, "[T, ldim]", "input",
           "Normalised latents (as FlowLM emits them); the worker applies latent*emb_std+emb_mean.")
    fx.add("modules", "mimi_dec/quantizer_out", tap.cat("quantizer")[0], "[C, T]", p,
           "quantizer.output_proj (1x1 conv) of the de-normalised latents, frames concatenated.")
    fx.add("modules", "mimi_dec/upsample_out", tap.cat("upsample")[0], "[C, 16T]", p,
           "ConvTrUpsample1d (depthwise, streaming, overlap state) output, 16 steps per frame.")
    fx.add("modules", "mimi_dec/transformer_out", tap.cat("transformer")[0], "[C, 16T]", p,
           "decoder_transformer output, streaming with ring-buffer KV cache of capacity = context.")
    fx.add("modules", "mimi_dec/seanet_out", audio[None], "[1, 1920T]", p,
           "SEANetDecoder output = the decoded audio, 1920 samples per frame.")
    for i, name in layer_names:
        fx.add("modules", f"mimi_dec/seanet_layer{i}", tap.cat(f"seanet_layer{i}")[0], "[C, t]", p,
               f"Output of decoder.model[{i}] ({name}) for the first {SEANET_TAP_FRAMES} frames "
               "(streaming calls concatenated on time).")
    return {
        "frames": DECODER_FRAMES,
        "context": int(model.config.mimi.transformer.context),
        "seanet_layers_recorded": [f"model[{i}] {n}" for i, n in layer_names],
    }


def resample_fixtures(fx: Fixtures) -> dict:
    rng = np.random.RandomState(SEED + 2)
    info = {}
    for rate, n in ((16000, 4000), (44100, 4410)):
        tt = np.arange(n) / rate
        x = (0.3 * np.sin(2 * np.pi * 300.0 * tt) + 0.05 * rng.randn(n)).astype(np.float32)
        wav = torch.from_numpy(x)[None]
        y = convert_audio(wav, rate, 24000, 1)
        fx.add("modules", f"resample/in_{rate}", wav, "[1, N]", "input", f"Mono float audio at {rate} Hz.")
        fx.add("modules", f"resample/out_{rate}_to_24000", y, "[1, M]",
               f"data.audio_utils.convert_audio(x, {rate}, 24000, 1)",
               "scipy.signal.resample_poly(x, up, down) with up/down = 24000/gcd, rate/gcd (Kaiser "
               "window, beta 5); result cast back to float32.")
        info[str(rate)] = {"in": n, "out": int(y.shape[-1])}
    return info


def chunking_fixtures(model: TTSModel) -> list[dict]:
    tok = model.flow_lm.conditioner.tokenizer
    cases = []
    for text, max_tokens in CHUNKING_CASES:
        prepared, guess = prepare_text_prompt(text)
        chunks = split_into_best_sentences(tok, text, max_tokens)
        per_chunk = []
        for ch in chunks:
            _, g = prepare_text_prompt(ch)
            per_chunk.append({"text": ch, "tokens": tok(ch).tokens[0].tolist(), "frames_after_eos": g + 2})
        cases.append({
            "input": text,
            "max_tokens": max_tokens,
            "prepare_text_prompt": {"text": prepared, "frames_after_eos_guess": guess},
            "tokens_of_stripped_prepared_text": tok(prepared.strip()).tokens[0].tolist(),
            "chunks": per_chunk,
        })
    return cases


# ----------------------------------------------------------------------------------------------
# End to end


class E2ERecorder:
    """Observes TTSModel.generate_audio: chunk texts, tokens, latents and EOS logits per step."""

    def __init__(self, model: TTSModel, forced_max_gen_len: int | None):
        self.model = model
        self.forced = forced_max_gen_len
        self.chunks: list[dict] = []
        self.last_eos = None

        def eos_hook(_m, _i, out):
            self.last_eos = out.detach().clone()

        self.handle = model.flow_lm.out_eos.register_forward_hook(eos_hook)
        model._generate = self._generate
        model._estimate_max_gen_len = self._estimate_max_gen_len
        model._run_flow_lm_and_increment_step = self._run

    def close(self):
        self.handle.remove()
        for name in ("_generate", "_estimate_max_gen_len", "_run_flow_lm_and_increment_step"):
            delattr(self.model, name)

    def _generate(self, model_state, text_to_generate, frames_after_eos, latents_queue, result_queue):
        tokens = self.model.flow_lm.conditioner.prepare(text_to_generate).tokens[0].tolist()
        self.chunks.append({
            "text": text_to_generate,
            "tokens": tokens,
            "frames_after_eos": frames_after_eos,
            "voice_current_end": self.model._flow_lm_current_end(model_state),
            "latents": [],
            "eos_logits": [],
        })
        return TTSModel._generate(self.model, model_state, text_to_generate, frames_after_eos,
                                  latents_queue, result_queue)

    def _estimate_max_gen_len(self, token_count):
        natural = TTSModel._estimate_max_gen_len(self.model, token_count)
        self.chunks[-1]["natural_max_gen_len"] = natural
        used = natural if self.forced is None else self.forced
        self.chunks[-1]["max_gen_len"] = used
        return used

    def _run(self, model_state, text_tokens=None, backbone_input_latents=None, audio_conditioning=None):
        out = TTSModel._run_flow_lm_and_increment_step(
            self.model, model_state, text_tokens, backbone_input_latents, audio_conditioning
        )
        if backbone_input_latents is not None:
            self.chunks[-1]["latents"].append(out[0][0, 0].clone())
            self.chunks[-1]["eos_logits"].append(float(self.last_eos[0, 0]))
            self.chunks[-1].setdefault("eos_logit_tensors", []).append(self.last_eos[0].clone())
        return out


@torch.no_grad()
def e2e_fixtures(model: TTSModel, fx: Fixtures, voice_state: dict) -> dict:
    scenarios = {
        "budget": {"eos_threshold": NO_EOS_THRESHOLD, "forced_max_gen_len": FIXED_FRAMES},
        "eos": {"eos_threshold": DEFAULT_EOS_THRESHOLD, "forced_max_gen_len": None},
    }
    result = {}
    for sname, sc in scenarios.items():
        model.eos_threshold = sc["eos_threshold"]
        result[sname] = {**sc, "texts": {}}
        for tname, text in TEXTS.items():
            rec = E2ERecorder(model, sc["forced_max_gen_len"])
            before = {m: {k: v.clone() for k, v in d.items()} for m, d in voice_state.items()}
            audio = model.generate_audio(voice_state, text)  # copy_state=True, max_tokens=50
            rec.close()
            for m, d in voice_state.items():  # copy_state=True leaves the voice state untouched
                for k, v in d.items():
                    assert torch.equal(before[m][k].nan_to_num(7.0), v.nan_to_num(7.0))
            chunk_infos, offset = [], 0
            for ci, ch in enumerate(rec.chunks):
                thr = sc["eos_threshold"]
                eos_step = next((i for i, x in enumerate(ch["eos_logits"]) if x > thr), None)
                computed = len(ch["latents"])
                if eos_step is None:
                    emitted = ch["max_gen_len"]
                    assert computed == emitted
                else:
                    emitted = min(ch["max_gen_len"], eos_step + ch["frames_after_eos"])
                    assert computed == emitted + (1 if emitted < ch["max_gen_len"] else 0)
                decided = ch["eos_logits"][: (eos_step + 1 if eos_step is not None else computed)]
                margin = None if thr == NO_EOS_THRESHOLD else round(min(abs(x - thr) for x in decided), 4)
                if sname == "eos":
                    assert eos_step is not None, f"EOS never fired for {tname} chunk {ci}"
                    assert margin >= EOS_MARGIN_MIN, (tname, ci, margin, ch["eos_logits"])
                base = f"e2e/{sname}/{tname}/chunk{ci}"
                p = f"TTSModel.generate_audio(voice_state, TEXTS[{tname!r}]) scenario {sname!r}"
                fx.add("e2e", f"{base}/latents", torch.stack(ch["latents"]), "[steps, ldim]", p,
                       "Every latent FlowLM computed for this chunk, in order (normalised; the last one "
                       "is not emitted when generation stopped on EOS).")
                fx.add("e2e", f"{base}/eos_logits", torch.cat(ch["eos_logit_tensors"]), "[steps]", p,
                       "out_eos logit of every autoregressive step (prompt call excluded).")
                chunk_infos.append({
                    "text": ch["text"],
                    "tokens": ch["tokens"],
                    "frames_after_eos": ch["frames_after_eos"],
                    "voice_current_end": ch["voice_current_end"],
                    "natural_max_gen_len": ch["natural_max_gen_len"],
                    "max_gen_len": ch["max_gen_len"],
                    "eos_step": eos_step,
                    "steps_computed": computed,
                    "frames_emitted": emitted,
                    "audio_sample_range": [offset, offset + emitted * 1920],
                    "min_eos_margin": margin,
                    "prompt_positions": [ch["voice_current_end"], ch["voice_current_end"] + len(ch["tokens"])],
                    "tensors": [f"{base}/latents", f"{base}/eos_logits"],
                })
                offset += emitted * 1920
            assert offset == audio.shape[0], (offset, audio.shape)
            fx.add("e2e", f"e2e/{sname}/{tname}/audio", audio, "[samples]",
                   f"TTSModel.generate_audio(voice_state, TEXTS[{tname!r}]) scenario {sname!r}",
                   "All chunks' audio concatenated (each chunk decoded with a fresh Mimi state).")
            result[sname]["texts"][tname] = {
                "input": text, "audio_tensor": f"e2e/{sname}/{tname}/audio", "chunks": chunk_infos
            }
    model.eos_threshold = DEFAULT_EOS_THRESHOLD
    return result


# ----------------------------------------------------------------------------------------------


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    yaml_path = write_config()
    config = load_tiny_config(yaml_path)

    model = build_model(config)
    randomize(model)
    weights = save_weights(model)

    # Everything below runs on a fresh model loaded (strictly) from the saved F32 file.
    model = build_model(config)
    model.load_state_dict(safetensors.torch.load_file(str(OUT / weights["f32"])), strict=True)

    fx = Fixtures()
    g = torch.Generator().manual_seed(SEED + 3)
    voice_path = OUT / "voice.wav"
    voice = write_voice_wav(voice_path)
    voice_state, voice_info = voice_fixtures(model, fx, voice_path)
    info = {
        "reference": "pocket-tts==1.1.1, torch " + torch.__version__.split("+")[0] + ", CPU, float32, 1 thread",
        "seed": SEED,
        "config": {"file": yaml_path.name, **TINY_CONFIG},
        "weights": weights,
        "voice": {**voice, **voice_info},
        "flowlm": flowlm_fixtures(model, fx, g),
        "flow": flow_fixtures(model, fx, g),
        "mimi_decoder": decoder_fixtures(model, fx, g),
        "resample": resample_fixtures(fx),
        "chunking": chunking_fixtures(model),
        "e2e": e2e_fixtures(model, fx, voice_state),
        "constants": {
            "EOS_BIAS": EOS_BIAS,
            "EOS_GAIN": EOS_GAIN,
            "INPUT_GAIN": INPUT_GAIN,
            "FLOW_OUT_GAIN": FLOW_OUT_GAIN,
            "AUDIO_GAIN": AUDIO_GAIN,
            "FIXED_FRAMES": FIXED_FRAMES,
            "NO_EOS_THRESHOLD": NO_EOS_THRESHOLD,
            "DEFAULT_EOS_THRESHOLD": DEFAULT_EOS_THRESHOLD,
            "samples_per_frame": 1920,
        },
    }
    for file, tensors in fx.files.items():
        safetensors.torch.save_file(tensors, str(OUT / f"{file}.safetensors"))
    info["tensors"] = fx.entries
    names = sorted({f"{f}.safetensors" for f in fx.files} | {weights["f32"], weights["bf16"],
                   voice["file"], voice_info["voice_state_file"], yaml_path.name})
    info["sha256"] = {n: sha256(OUT / n) for n in names}
    (OUT / "manifest.json").write_text(json.dumps(info, indent=1, sort_keys=False) + "\n")
    write_manifest_md(OUT / "MANIFEST.md", info)
    total = sum((OUT / n).stat().st_size for n in names)
    print(f"wrote {len(fx.entries)} tensors, {len(names)} files, {total / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
