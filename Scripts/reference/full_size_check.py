#!/usr/bin/env python3
"""Full-size parity check: the reference and `pocket-tts generate` on the same random b6369a24 model.

    /opt/ref-venv/bin/python Scripts/reference/full_size_check.py [--frames 40] [--binary B]

1. Builds `.build/release/pocket-tts` if missing (or takes `--binary`).
2. `pocket-tts make-random-weights --dtype f32` (seed `--seed`) into `--workdir`
   (default /tmp/pocket-tts-fullsize); reused while config, seed and binary are unchanged.
3. Resamples the real speech sample (../shared/assets/speech_48k.wav) to a 24 kHz 16-bit mono WAV
   with the reference's own `audio_read` + `convert_audio` (scipy `resample_poly`), so that both
   sides read one 24 kHz file and no resampler difference enters.
4. Reference (pocket-tts 1.1.1, float32, one torch thread): `TTSModel.generate_audio` at
   temperature 0, EOS threshold 1e9 (never fires), 1 LSD step, max_tokens 50, with the frame
   budget of every chunk forced to `--frames` (instance-level `_estimate_max_gen_len`); latents and
   EOS logits of every step are observed by wrapping `_run_flow_lm_and_increment_step` and hooking
   `flow_lm.out_eos`. Saved to <workdir>/reference.safetensors (`latents` [F, 32], `eos_logits` [F],
   `audio` [N]).
5. `pocket-tts generate` with the same inputs, `--max-frames --frames`, `--sample-format f32`,
   `--trailing-silence 0` and `--dump-latents`.
6. Prints the max abs error of latents, EOS logits and audio (absolute, and relative to max |audio|)
   over the `--frames` frames (of every chunk, if the text makes several), and each side's wall time. Exits 1 if the latent or audio error
   is above `--threshold` (1e-3), 2 if the outputs cannot be compared (missing tensors, too short).

`--reference-only` runs steps 1-4 and stops (no Swift `generate` needed beyond make-random-weights).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fullsize_common import (  # noqa: E402
    DEFAULT_CONFIG,
    DEFAULT_SPEECH,
    DEFAULT_TOKENIZER,
    Stopwatch,
    ensure_binary,
    ensure_random_weights,
    load_reference_model,
    log,
    write_voice_24k,
)

NO_EOS_THRESHOLD = 1e9
DEFAULT_TEXT = ("The old lighthouse keeper climbed the stairs every evening, "
                "lit the great lamp, and watched the ships pass safely through the dark water.")


class Recorder:
    """Observes `TTSModel.generate_audio`: the latent and EOS logit of every autoregressive step, and
    forces the frame budget of every chunk (the reference function itself is unchanged)."""

    def __init__(self, model, frames: int) -> None:
        from pocket_tts.models.tts_model import TTSModel

        self.model, self.frames = model, frames
        self.latents, self.eos_logits, self.chunks = [], [], []
        self.last_eos = None
        self.prompt_seconds = []

        def eos_hook(_module, _inputs, output):
            self.last_eos = output.detach().clone()

        def estimate(token_count: int) -> int:
            natural = TTSModel._estimate_max_gen_len(model, token_count)
            self.chunks.append({"tokens": token_count, "natural_max_gen_len": natural, "max_gen_len": frames})
            return frames

        def run(model_state, text_tokens=None, backbone_input_latents=None, audio_conditioning=None):
            watch = Stopwatch()
            out = TTSModel._run_flow_lm_and_increment_step(
                model, model_state, text_tokens, backbone_input_latents, audio_conditioning)
            if backbone_input_latents is not None:
                self.latents.append(out[0][0, 0].clone())  # [ldim], normalised
                self.eos_logits.append(self.last_eos[0, 0].clone())
            elif text_tokens is not None:
                self.prompt_seconds.append(watch.seconds())
            return out

        self.handle = model.flow_lm.out_eos.register_forward_hook(eos_hook)
        model._estimate_max_gen_len = estimate
        model._run_flow_lm_and_increment_step = run

    def close(self) -> None:
        self.handle.remove()
        del self.model._estimate_max_gen_len
        del self.model._run_flow_lm_and_increment_step


def run_reference(args, weights: Path, voice: Path) -> dict:
    import torch
    from safetensors.torch import save_file

    torch.set_num_threads(1)
    watch = Stopwatch()
    model = load_reference_model(args.config, args.tokenizer, weights, temp=0.0,
                                 lsd_decode_steps=args.lsd_decode_steps, eos_threshold=NO_EOS_THRESHOLD)
    load_s = watch.seconds()
    with torch.no_grad():
        watch = Stopwatch()
        voice_state = model.get_state_for_audio_prompt(voice)
        voice_s = watch.seconds()
        recorder = Recorder(model, args.frames)
        watch = Stopwatch()
        audio = model.generate_audio(voice_state, args.text, max_tokens=args.max_tokens)  # copy_state=True
        generate_s = watch.seconds()
        recorder.close()
    latents = torch.stack(recorder.latents)  # [F, ldim]
    eos_logits = torch.stack(recorder.eos_logits)  # [F]
    assert latents.shape[0] == args.frames * len(recorder.chunks), (latents.shape, recorder.chunks)
    assert audio.shape[0] == latents.shape[0] * 1920, (audio.shape, latents.shape)
    out = args.workdir / "reference.safetensors"
    save_file({"latents": latents.contiguous(), "eos_logits": eos_logits.contiguous(),
               "audio": audio.to(torch.float32).contiguous()}, str(out),
              metadata={"text": args.text, "voice": str(voice), "weights": str(weights),
                        "frames_per_chunk": str(args.frames)})
    info = {"file": str(out), "chunks": recorder.chunks, "frames": int(latents.shape[0]),
            "samples": int(audio.shape[0]), "max_abs_audio": float(audio.abs().max()),
            "latent_rms": float(latents.pow(2).mean().sqrt()),
            "eos_logit_range": [float(eos_logits.min()), float(eos_logits.max())],
            "seconds": {"load": round(load_s, 3), "voice_state": round(voice_s, 3),
                        "generate": round(generate_s, 3),
                        "text_prompt": [round(s, 4) for s in recorder.prompt_seconds]}}
    log(f"reference: {json.dumps(info)}")
    return {"latents": latents.numpy(), "eos_logits": eos_logits.numpy(), "audio": audio.numpy(), "info": info}


def read_wav_float(path: Path) -> tuple[np.ndarray, int]:
    import warnings

    from scipy.io import wavfile

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", wavfile.WavFileWarning)  # extra chunks (LIST, fact)
        rate, data = wavfile.read(str(path))
    if data.dtype == np.int16:
        data = data.astype(np.float32) / 32768.0
    if data.ndim > 1:
        raise SystemExit(f"{path}: expected mono, got {data.shape}")
    return data.astype(np.float32), rate


def run_swift(args, binary: Path, weights: Path, voice: Path) -> dict:
    from safetensors.numpy import load_file

    out_wav = args.workdir / "swift.wav"
    dump = args.workdir / "swift_latents.safetensors"
    for stale in (out_wav, dump):
        stale.unlink(missing_ok=True)
    cmd = [str(binary), "generate", "--config", str(args.config), "--weights", str(weights),
           "--tokenizer", str(args.tokenizer), "--voice", str(voice), "--text", args.text,
           "--temperature", "0", "--eos-threshold", "1e9", "--lsd-decode-steps", str(args.lsd_decode_steps),
           "--max-tokens", str(args.max_tokens), "--max-frames", str(args.frames),
           "--output-path", str(out_wav), "--sample-format", "f32", "--dump-latents", str(dump),
           "--trailing-silence", "0", "--no-download", "--precision", "exact"]
    log("$ " + " ".join(cmd))
    watch = Stopwatch()
    proc = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
    seconds = watch.seconds()
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        log(f"pocket-tts generate failed ({proc.returncode})")
        sys.exit(2)
    own_timings = [line.removeprefix("pocket-tts: ") for line in proc.stderr.splitlines()
                   if " ms" in line or "real time" in line]
    audio, rate = read_wav_float(out_wav)
    if rate != 24000:
        raise SystemExit(f"{out_wav}: sample rate {rate}, expected 24000")
    tensors = load_file(str(dump))
    missing = {"latents", "eos_logits"} - set(tensors)
    if missing:
        log(f"{dump}: missing tensors {sorted(missing)}")
        sys.exit(2)
    latents = tensors["latents"]
    if latents.ndim > 2 and latents.shape[-1] == 32:  # tolerate [F, 1, 32]
        latents = latents.reshape(-1, latents.shape[-1])
    eos_logits = tensors["eos_logits"].reshape(-1)
    return {"latents": latents.astype(np.float32), "eos_logits": eos_logits.astype(np.float32), "audio": audio,
            "info": {"seconds": round(seconds, 3), "own_timings": own_timings, "frames": int(latents.shape[0]),
                     "samples": int(audio.shape[0])}}


def compare(args, ref: dict, swift: dict) -> int:
    n = ref["latents"].shape[0]  # --frames per chunk: the first --frames frames for a one-chunk text
    problems = []
    if swift["latents"].ndim != 2 or swift["latents"].shape[1] != ref["latents"].shape[1]:
        problems.append(f"Swift latents shape {swift['latents'].shape}, expected [F, {ref['latents'].shape[1]}]")
    if swift["latents"].shape[0] < n:
        problems.append(f"Swift dumped {swift['latents'].shape[0]} latent frames, need {n}")
    if swift["audio"].shape[0] < n * 1920:
        problems.append(f"Swift audio has {swift['audio'].shape[0]} samples, need {n * 1920}")
    if problems:
        for p in problems:
            log("cannot compare: " + p)
        return 2
    samples = n * 1920
    lat_err = float(np.max(np.abs(swift["latents"][:n] - ref["latents"][:n])))
    eos_err = float(np.max(np.abs(swift["eos_logits"][:n] - ref["eos_logits"][:n])))
    audio_err = float(np.max(np.abs(swift["audio"][:samples] - ref["audio"][:samples])))
    peak = float(np.max(np.abs(ref["audio"][:samples])))
    per_frame = np.max(np.abs(swift["latents"][:n] - ref["latents"][:n]), axis=1)
    result = {
        "frames_compared": n,
        "latents_max_abs_error": lat_err,
        "latents_max_abs_error_per_frame": " ".join(f"{e:.2g}" for e in per_frame),
        "latents_max_abs_reference": float(np.max(np.abs(ref["latents"][:n]))),
        "eos_logits_max_abs_error": eos_err,
        "audio_samples_compared": samples,
        "audio_max_abs_error": audio_err,
        "audio_max_abs_reference": peak,
        "audio_relative_error": audio_err / peak if peak > 0 else float("inf"),
        "swift_extra_samples": int(swift["audio"].shape[0] - ref["audio"].shape[0]),
        "threshold": args.threshold,
        "seconds": {"reference_generate": ref["info"]["seconds"]["generate"],
                    "reference_total": round(sum(v for k, v in ref["info"]["seconds"].items()
                                                 if k != "text_prompt"), 3),
                    "swift_process_total": swift["info"]["seconds"],
                    "swift_reported": swift["info"]["own_timings"]},
    }
    print(json.dumps(result, indent=1))
    ok = lat_err <= args.threshold and audio_err <= args.threshold
    print(f"latents max abs error {lat_err:.3g}, audio max abs error {audio_err:.3g} "
          f"({audio_err / peak if peak > 0 else float('inf'):.3g} of max |audio| {peak:.3g}), "
          f"EOS logits {eos_err:.3g} over {n} frames: {'PASS' if ok else 'FAIL'} (threshold {args.threshold:g})")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", type=Path, help="pocket-tts binary (default: .build/release, built if missing)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pocket-tts-fullsize"))
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--tokenizer", type=Path, default=DEFAULT_TOKENIZER)
    parser.add_argument("--speech", type=Path, default=DEFAULT_SPEECH, help="voice WAV (any rate; resampled to 24 kHz)")
    parser.add_argument("--text", default=DEFAULT_TEXT)
    parser.add_argument("--frames", type=int, default=40, help="frames generated per chunk, and compared")
    parser.add_argument("--seed", type=int, default=0, help="make-random-weights seed")
    parser.add_argument("--lsd-decode-steps", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=50)
    parser.add_argument("--threshold", type=float, default=1e-3)
    parser.add_argument("--reference-only", action="store_true", help="stop after the reference run")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    binary = ensure_binary(args.binary)
    weights = ensure_random_weights(binary, args.config, args.workdir / f"random_f32_seed{args.seed}.safetensors",
                                    args.seed, "f32")
    voice = args.workdir / "voice_24k.wav"
    voice_info = write_voice_24k(args.speech, voice)
    log(f"voice: {json.dumps(voice_info)}")
    with wave.open(str(voice)) as w:
        assert w.getframerate() == 24000 and w.getnchannels() == 1 and w.getsampwidth() == 2

    ref = run_reference(args, weights, voice)
    if args.reference_only:
        print(json.dumps(ref["info"], indent=1))
        return
    swift = run_swift(args, binary, weights, voice)
    sys.exit(compare(args, ref, swift))


if __name__ == "__main__":
    main()
