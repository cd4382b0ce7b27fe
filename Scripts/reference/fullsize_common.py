"""Helpers shared by `full_size_check.py` and `Benchmarks/reference_bench.py`.

The full-size (b6369a24) reference model with random weights made by the Swift CLI
(`pocket-tts make-random-weights`), and a 24 kHz copy of the real speech sample, prepared with
the reference's own functions so that Swift and Python read the very same input file.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def _shared_assets() -> Path:
    """../shared/assets relative to the repo root; from a git worktree, relative to the main checkout."""
    candidates = [REPO.parent / "shared" / "assets"]
    try:
        common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout.strip()
        candidates.append(Path(common).parent.parent / "shared" / "assets")
    except (OSError, subprocess.CalledProcessError):
        pass
    return next((c for c in candidates if c.exists()), candidates[0])


SHARED_ASSETS = _shared_assets()
DEFAULT_CONFIG = REPO / "Configs" / "b6369a24.yaml"
DEFAULT_TOKENIZER = SHARED_ASSETS / "tokenizer.model"
DEFAULT_SPEECH = SHARED_ASSETS / "speech_48k.wav"
DEFAULT_BINARY = REPO / ".build" / "release" / "pocket-tts"

sys.path.insert(0, str(HERE))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_binary(binary: Path | None) -> Path:
    """The given binary, or the release build of this checkout (built when missing)."""
    if binary is not None:
        if not binary.exists():
            raise SystemExit(f"--binary {binary}: no such file")
        return binary
    if not DEFAULT_BINARY.exists():
        log(f"building {DEFAULT_BINARY.relative_to(REPO)} (swift build -c release --product pocket-tts)...")
        subprocess.run(["swift", "build", "-c", "release", "--product", "pocket-tts"], cwd=REPO, check=True, stdout=sys.stderr)
    return DEFAULT_BINARY


def safetensors_metadata(path: Path) -> dict:
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        return json.loads(f.read(n)).get("__metadata__", {}) or {}


def ensure_random_weights(binary: Path, config: Path, out: Path, seed: int, dtype: str) -> Path:
    """`pocket-tts make-random-weights` into `out`, reused when its metadata says same config/seed/dtype."""
    if out.exists():
        meta = safetensors_metadata(out)
        with open(out, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(n))
        dtypes = {v["dtype"] for k, v in header.items() if k != "__metadata__"}
        want = {"f32": "F32", "bf16": "BF16"}[dtype]
        if (meta.get("generator") == "pocket-tts make-random-weights" and meta.get("seed") == str(seed)
                and meta.get("config") == config.name and dtypes == {want}
                and out.stat().st_mtime >= binary.stat().st_mtime):
            log(f"reusing {out} ({want}, seed {seed})")
            return out
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(binary), "make-random-weights", "--config", str(config), "--seed", str(seed),
           "--dtype", dtype, "--out", str(out)]
    log("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True, stdout=sys.stderr)  # keep stdout for results
    return out


def write_voice_24k(speech: Path, out: Path, max_seconds: float | None = None) -> dict:
    """Reads `speech` with the reference's `audio_read`, resamples it to 24 kHz with its
    `convert_audio` (scipy `resample_poly`), optionally truncates it, and writes 16-bit mono PCM.
    Re-reading the result with `audio_read` gives exactly what both implementations will see."""
    import torch
    from pocket_tts.data.audio import audio_read
    from pocket_tts.data.audio_utils import convert_audio

    audio, rate = audio_read(speech)  # [1, N] float32, int16 / 32768
    audio = convert_audio(audio, rate, 24000, 1)
    if max_seconds is not None:
        audio = audio[:, : int(max_seconds * 24000)]
    pcm = np.clip(np.round(audio[0].numpy().astype(np.float64) * 32768.0), -32768, 32767).astype("<i2")
    out.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(24000)
        w.writeframes(pcm.tobytes())
    back, back_rate = audio_read(out)
    assert back_rate == 24000 and back.shape[-1] == pcm.shape[0]
    clipped = int(np.sum(np.abs(audio[0].numpy()) * 32768.0 > 32767))
    return {"file": str(out), "source": str(speech), "source_rate": rate, "samples": int(pcm.shape[0]),
            "seconds": pcm.shape[0] / 24000, "clipped_samples": clipped,
            "max_quantisation_error": float(torch.max(torch.abs(back[0] - audio[0])))}


def load_reference_model(config: Path, tokenizer: Path, weights: Path, temp: float, lsd_decode_steps: int,
                         eos_threshold: float, noise_clamp: float | None = None):
    """The reference `TTSModel` built from the yaml (no downloads), weights loaded strictly from
    `weights` (a bf16 file is copied into the float32 model, as the official file is)."""
    import torch
    from safetensors.torch import load_file
    from dump_state_dict import build_reference_model

    if not tokenizer.exists():
        raise SystemExit(f"tokenizer {tokenizer}: no such file")
    model = build_reference_model(str(config), str(tokenizer))
    state = load_file(str(weights))
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    model.temp = temp
    model.lsd_decode_steps = lsd_decode_steps
    model.eos_threshold = eos_threshold
    model.noise_clamp = noise_clamp
    model.eval()
    assert all(p.dtype == torch.float32 for p in model.parameters())
    return model


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.start
