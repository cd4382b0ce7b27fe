#!/usr/bin/env python3
"""Speed of the Python reference (pocket-tts 1.1.1) on the full-size b6369a24 model, random weights.

    /opt/ref-venv/bin/python Benchmarks/reference_bench.py [--workdir /tmp/pocket-tts-bench] [--repeats 5]

Weights: `pocket-tts make-random-weights --dtype bf16` (the official file's dtype) loaded into the
float32 reference, as `TTSModel.load_model` loads the official file. One torch thread (the reference
sets it on import), temperature 0.7, 1 LSD step, EOS disabled (threshold 1e9) so every run makes a
fixed number of frames (forced through an instance-level `_estimate_max_gen_len`). Prints one JSON
document; see Benchmarks/README.md for what each figure means.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import time
import wave
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

import torch  # noqa: E402
from pocket_tts.models.tts_model import TTSModel, prepare_text_prompt  # noqa: E402
from pocket_tts.modules.stateful_module import increment_steps, init_states  # noqa: E402

TEXT_43 = ("On the first day of spring, the children ran down to the river with their bright kites, "
           "laughing and shouting as the colours rose high above the tall trees.")
NO_EOS_THRESHOLD = 1e9
SAMPLES_PER_FRAME = 1920
SAMPLE_RATE = 24000


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def summary(seconds: list[float]) -> dict:
    values = sorted(seconds)
    return {"min_ms": ms(values[0]), "median_ms": ms(statistics.median(values)),
            "mean_ms": ms(statistics.fmean(values)), "p90_ms": ms(values[int(0.9 * (len(values) - 1))]),
            "n": len(values)}


class FixedFrames:
    """Forces the frame budget of every chunk (EOS is disabled, so exactly `frames` are made)."""

    def __init__(self, model: TTSModel, frames: int) -> None:
        self.model = model
        model._estimate_max_gen_len = lambda token_count: frames

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        del self.model._estimate_max_gen_len


class StepTimer:
    """Times every autoregressive FlowLM step and every Mimi frame decode inside the reference's own
    two-thread pipeline (`_run_flow_lm_and_increment_step` wrapper, `mimi.decode_from_latent` wrapper)."""

    def __init__(self, model: TTSModel) -> None:
        self.model = model
        self.flow_steps, self.decodes, self.prompts = [], [], []
        decode = model.mimi.decode_from_latent

        def run(model_state, text_tokens=None, backbone_input_latents=None, audio_conditioning=None):
            start = time.perf_counter()
            out = TTSModel._run_flow_lm_and_increment_step(
                model, model_state, text_tokens, backbone_input_latents, audio_conditioning)
            (self.flow_steps if backbone_input_latents is not None else self.prompts).append(
                time.perf_counter() - start)
            return out

        def timed_decode(*args, **kwargs):
            start = time.perf_counter()
            out = decode(*args, **kwargs)
            self.decodes.append(time.perf_counter() - start)
            return out

        model._run_flow_lm_and_increment_step = run
        model.mimi.decode_from_latent = timed_decode

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        del self.model._run_flow_lm_and_increment_step
        del self.model.mimi.decode_from_latent


def token_count(model: TTSModel, text: str) -> int:
    prepared, _ = prepare_text_prompt(text)
    return int(model.flow_lm.conditioner.prepare(prepared.strip()).tokens.shape[1])


def stream(model: TTSModel, voice_state: dict, text: str, frames: int) -> dict:
    """One `generate_audio_stream` call with a fixed frame budget; times its first and last chunk."""
    with FixedFrames(model, frames):
        start = time.perf_counter()
        first, samples = None, 0
        for chunk in model.generate_audio_stream(voice_state, text):  # copy_state=True
            if first is None:
                first = time.perf_counter() - start
            samples += chunk.shape[-1]
        total = time.perf_counter() - start
    assert samples == frames * SAMPLES_PER_FRAME, (samples, frames)
    return {"first_chunk": first, "total": total, "samples": samples}


def bench_voice_encode(model: TTSModel, speech: Path, workdir: Path, seconds: float, repeats: int) -> dict:
    """`get_state_for_audio_prompt(Path)` on the speech sample truncated to `seconds` (at its own rate):
    audio_read + resample_poly to 24 kHz + Mimi encoder + speaker projection + FlowLM voice prompt."""
    with wave.open(str(speech)) as w:
        params = w.getparams()
        frames = w.readframes(int(seconds * params.framerate))
    clip = workdir / f"speech_{seconds:g}s.wav"
    with wave.open(str(clip), "wb") as w:
        w.setparams(params)
        w.writeframes(frames)
    clip_seconds = len(frames) / (params.sampwidth * params.nchannels) / params.framerate

    parts = {"encode": [], "total": []}
    encode = model._encode_audio

    def timed_encode(audio):
        start = time.perf_counter()
        out = encode(audio)
        parts["encode"].append(time.perf_counter() - start)
        return out

    model._encode_audio = timed_encode
    try:
        state = None
        for _ in range(repeats):
            start = time.perf_counter()
            state = model.get_state_for_audio_prompt(clip)
            parts["total"].append(time.perf_counter() - start)
    finally:
        del model._encode_audio
    voice_frames = model._flow_lm_current_end(state)
    return {"audio_seconds": round(clip_seconds, 3), "source_rate": params.framerate,
            "voice_frames": voice_frames, "total": summary(parts["total"]),
            "mimi_encode_and_speaker_proj": summary(parts["encode"]),
            "note": "total = read + resample to 24 kHz + Mimi encoder + speaker_proj + FlowLM voice prompt"}


@torch.no_grad()
def bench_isolated_steps(model: TTSModel, voice_state: dict, text: str, steps: int) -> dict:
    """FlowLM steps and Mimi frame decodes run one after the other on this thread (no second thread
    competing for the GIL or the cores): the cost of each kernel alone."""
    state = copy.deepcopy(voice_state)
    prepared = model.flow_lm.conditioner.prepare(prepare_text_prompt(text)[0].strip())
    model._expand_kv_cache(state, model._flow_lm_current_end(state) + prepared.tokens.shape[1] + steps)
    model._run_flow_lm_and_increment_step(model_state=state, text_tokens=prepared.tokens)
    latent = torch.full((1, 1, model.flow_lm.ldim), float("nan"))
    latents, flow_times = [], []
    for _ in range(steps):
        start = time.perf_counter()
        latent, _ = model._run_flow_lm_and_increment_step(model_state=state, backbone_input_latents=latent)
        flow_times.append(time.perf_counter() - start)
        latents.append(latent)

    mimi_state = init_states(model.mimi, batch_size=1, sequence_length=model.config.mimi.transformer.context)
    decode_times = []
    for latent in latents:  # as TTSModel._decode_audio_worker
        start = time.perf_counter()
        quantized = model.mimi.quantizer((latent * model.flow_lm.emb_std + model.flow_lm.emb_mean).transpose(-1, -2))
        frame = model.mimi.decode_from_latent(quantized, mimi_state)
        increment_steps(model.mimi, mimi_state, increment=16)
        decode_times.append(time.perf_counter() - start)
        assert frame.shape[-1] == SAMPLES_PER_FRAME
    return {"flow_lm_step": summary(flow_times), "mimi_decode_frame": summary(decode_times)}


@torch.no_grad()
def bench_prompt(model: TTSModel, voice_state: dict, text: str, repeats: int) -> dict:
    """The text prompt call of `TTSModel._generate` alone (voice state copied and expanded first)."""
    prepared = model.flow_lm.conditioner.prepare(prepare_text_prompt(text)[0].strip())
    times = []
    for _ in range(repeats):
        state = copy.deepcopy(voice_state)
        model._expand_kv_cache(state, model._flow_lm_current_end(state) + prepared.tokens.shape[1] + 200)
        start = time.perf_counter()
        model._run_flow_lm_and_increment_step(model_state=state, text_tokens=prepared.tokens)
        times.append(time.perf_counter() - start)
    return {"tokens": int(prepared.tokens.shape[1]), **summary(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", type=Path, help="pocket-tts binary for make-random-weights "
                        "(default: .build/release, built if missing)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pocket-tts-bench"))
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--tokenizer", type=Path, default=DEFAULT_TOKENIZER)
    parser.add_argument("--speech", type=Path, default=DEFAULT_SPEECH)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=5, help="repetitions of (a), (c) and (e)")
    parser.add_argument("--ttfa-frames", type=int, default=12, help="frames generated per (a) run")
    parser.add_argument("--rtf-frames", type=int, default=188, help="frames of the (b) utterance (188 = 15.04 s)")
    parser.add_argument("--step-frames", type=int, default=40, help="frames timed in (d)")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    binary = ensure_binary(args.binary)
    weights = ensure_random_weights(binary, args.config, args.workdir / f"random_bf16_seed{args.seed}.safetensors",
                                    args.seed, "bf16")
    load_before = os.getloadavg()
    start = time.perf_counter()
    model = load_reference_model(args.config, args.tokenizer, weights, temp=0.7, lsd_decode_steps=1,
                                 eos_threshold=NO_EOS_THRESHOLD)
    load_seconds = time.perf_counter() - start
    assert torch.get_num_threads() == 1, torch.get_num_threads()
    tokens = token_count(model, TEXT_43)

    log("(c) voice encode...")
    voice = bench_voice_encode(model, args.speech, args.workdir, 7.0, max(2, args.repeats // 2 + 1))
    voice_state = model.get_state_for_audio_prompt(args.workdir / "speech_7s.wav")  # the cached voice state

    log("warm-up...")
    stream(model, voice_state, TEXT_43, 4)

    log("(a) time to first audio...")
    ttfa = [stream(model, voice_state, TEXT_43, args.ttfa_frames)["first_chunk"] for _ in range(args.repeats)]

    log(f"(b) real-time factor, {args.rtf_frames} frames...")
    with StepTimer(model) as timer:
        run = stream(model, voice_state, TEXT_43, args.rtf_frames)
    audio_seconds = run["samples"] / SAMPLE_RATE

    log("(d) isolated FlowLM steps and Mimi decodes...")
    isolated = bench_isolated_steps(model, voice_state, TEXT_43, args.step_frames)

    log("(e) text prompt...")
    prompt = bench_prompt(model, voice_state, TEXT_43, args.repeats)

    result = {
        "reference": "pocket-tts 1.1.1 (Python, float32), random bf16 weights from make-random-weights "
                     f"seed {args.seed}, temperature 0.7, lsd_decode_steps 1, EOS disabled",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "torch": torch.__version__,
                    "torch_threads": torch.get_num_threads(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "model_load_s": round(load_seconds, 3),
        "text": TEXT_43,
        "text_tokens": tokens,
        "a_time_to_first_audio": {**summary(ttfa), "voice_state": "cached (copied per call)",
                                  "frames_per_call": args.ttfa_frames},
        "b_real_time_factor": {"frames": args.rtf_frames, "audio_s": round(audio_seconds, 3),
                               "wall_s": round(run["total"], 3),
                               "rtf": round(run["total"] / audio_seconds, 4),
                               "times_faster_than_real_time": round(audio_seconds / run["total"], 3),
                               "first_chunk_ms": ms(run["first_chunk"]),
                               "text_prompt_ms": ms(timer.prompts[0]) if timer.prompts else None,
                               "flow_lm_step_in_pipeline": summary(timer.flow_steps),
                               "mimi_decode_frame_in_pipeline": summary(timer.decodes)},
        "c_voice_encode_7s": voice,
        "d_per_step_isolated": {"frames": args.step_frames, **isolated},
        "e_text_prompt": prompt,
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
