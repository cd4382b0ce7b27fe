#!/usr/bin/env python3
"""One stream in process, per model family: `pocket-tts generate` beside pocket-tts 4.0.1, same run.

    /opt/ref4-venv/bin/python Benchmarks/family_bench.py [--models english,english_2m_2026-10,...]
        [--frames 100] [--repeats 3] [--precisions exact,int8] [--binary .build/release/pocket-tts]
        [--out Benchmarks/results/families]

For each model: 4.0.1 builds random full-size weights of its config (Scripts/reference/parity_401.py's
builder; real weights cannot be downloaded here), both sides load them, the same tokenizer and the same
24 kHz voice sample; EOS is off and every chunk is forced to `--frames` frames (random weights never
emit a reliable EOS), one chunk of text. Measured per side, median of `--repeats` runs:
- x real time: audio seconds / wall seconds of the generation (after the model and voice are loaded);
- first audio: from the start of the generation to the first decoded audio.
4.0.1: `TTSModel.generate_audio_stream` (its FlowLM and Mimi threads, torch with one thread as it sets),
timed around the iterator. Swift: `generate` prints both figures (engine: producer and consumer threads).
Writes `SUMMARY.md` and `results.json` into `--out`; prints the table.
"""
from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Scripts" / "reference"))
from fullsize_common import DEFAULT_SPEECH, DEFAULT_TOKENIZER, ensure_binary, log, write_voice_24k  # noqa: E402
from parity_401 import NO_EOS, build_reference, spm_to_json  # noqa: E402

DEFAULT_MODELS = ["english", "english_2026-09_24l", "english_drifting_26-09", "english_18m_2026-10",
                  "english_7m_2026-10", "english_2m_2026-10", "french"]
TEXT = "The old lighthouse keeper climbed the stairs every evening and lit the great lamp."


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def cpu_flags() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return ", ".join(f for f in ("avx2", "avx512f", "avx512_bf16", "avx512_vnni") if f in flags) or "none"
    return "?"


def reference_runs(name: str, tokenizer: Path, voice: Path, frames: int, repeats: int, work: Path) -> tuple[dict, Path]:
    import torch
    from safetensors.torch import save_file

    torch.set_num_threads(1)
    model = build_reference(name, tokenizer, seed=1234)
    weights = work / "weights.safetensors"
    if not weights.exists():
        save_file({k: v.detach().to(torch.float32).contiguous() for k, v in model.state_dict().items()}, str(weights))
    model._estimate_max_gen_len = lambda _tokens: frames  # fixed length (EOS off)
    rtf, first = [], []
    with torch.no_grad():
        state = model.get_state_for_audio_prompt(voice)
        for _ in range(repeats):
            started = time.perf_counter()
            first_audio, samples = None, 0
            for chunk in model.generate_audio_stream(state, TEXT):
                if first_audio is None:
                    first_audio = time.perf_counter() - started
                samples += chunk.shape[-1]
            seconds = time.perf_counter() - started
            rtf.append(samples / 24000 / seconds)
            first.append(first_audio)
    return {"x_real_time": statistics.median(rtf), "first_audio_ms": statistics.median(first) * 1000,
            "runs_x": rtf}, weights


LINE = re.compile(r"(\d+) frames, ([\d.]+) s of audio in ([\d.]+) s \(([\d.]+)x real time\), first audio after (\d+) ms")


def swift_runs(binary: Path, name: str, weights: Path, tokenizer: Path, voice: Path, frames: int, repeats: int,
               precision: str) -> dict:
    rtf, first = [], []
    for _ in range(repeats):
        cmd = [str(binary), "generate", "--model", name, "--weights", str(weights), "--tokenizer", str(tokenizer),
               "--voice", str(voice), "--text", TEXT, "--eos-threshold", str(NO_EOS), "--max-frames", str(frames),
               "--output-path", str(weights.parent / "swift.wav"), "--no-download", "--precision", precision, "--seed", "1"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        match = LINE.search(proc.stderr)
        if proc.returncode != 0 or not match:
            return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1][:160]}
        rtf.append(float(match.group(4)))
        first.append(float(match.group(5)))
    return {"x_real_time": statistics.median(rtf), "first_audio_ms": statistics.median(first), "runs_x": rtf}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS))
    parser.add_argument("--frames", type=int, default=100, help="frames per run (8 s of audio)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--precisions", default="exact", help="comma-separated: exact, bf16, int8 (the reduced ones need AVX-512)")
    parser.add_argument("--binary", type=Path)
    parser.add_argument("--out", type=Path, default=REPO / "Benchmarks" / "results" / "families")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pocket-tts-families"))
    args = parser.parse_args()

    binary = ensure_binary(args.binary)
    args.workdir.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    voice = args.workdir / "speech_24k.wav"
    write_voice_24k(DEFAULT_SPEECH, voice, max_seconds=6)
    tokenizer_json = spm_to_json(DEFAULT_TOKENIZER, args.workdir / "tokenizer.json")

    from pocket_tts.utils.config import CONFIGS_DIR, load_config

    results = []
    for name in args.models.split(","):
        work = args.workdir / name
        work.mkdir(exist_ok=True)
        config = load_config(CONFIGS_DIR / f"{name}.yaml")
        tokenizer = tokenizer_json if config.flow_lm.lookup_table.tokenizer in ("tokenizers", "json") else DEFAULT_TOKENIZER
        log(f"== {name}")
        reference, weights = reference_runs(name, tokenizer, voice, args.frames, args.repeats, work)
        row = {"model": name, "reference": reference}
        for precision in args.precisions.split(","):
            row[precision] = swift_runs(binary, name, weights, tokenizer, voice, args.frames, args.repeats, precision)
        log(json.dumps(row))
        results.append(row)

    machine = f"{cpu_name()}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores ({cpu_flags()})"
    precisions = args.precisions.split(",")
    lines = [f"One stream in process, random full-size weights of each config, {args.frames} frames "
             f"({args.frames * 0.08:.0f} s of audio), EOS off, median of {args.repeats} runs; {machine}; "
             f"`{' '.join(sys.argv[1:]) or 'defaults'}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", "",
             "| model | " + " | ".join(f"Swift {p}: x real time / first audio" for p in precisions)
             + " | pocket-tts 4.0.1: x real time / first audio |",
             "|---|" + "--:|" * (len(precisions) + 1)]
    for row in results:
        cells = []
        for key in precisions + ["reference"]:
            value = row[key]
            cells.append(f"error: {value['error']}" if "error" in value
                         else f"{value['x_real_time']:.1f}x / {value['first_audio_ms']:.0f} ms")
        lines.append(f"| `{row['model']}` | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    (args.out / "SUMMARY.md").write_text(table + "\n")
    (args.out / "results.json").write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
