#!/usr/bin/env python3
"""A thousand voices in bounded memory (issue 24, item 4): start-up, idle RSS and first audio
with `--count` voice files in `voices_dir`, beside the same server with an empty `voices_dir`.

    python3 Benchmarks/voice_cache_bench.py [--binary .build/release/pocket-tts] [--count 1000]
        [--config Configs/models/english_2026-01.yaml] [--voice-cache-mb 256] [--probes 8]
        [--precision int8|bf16|exact] [--speech ../shared/assets/speech_48k.wav]

Builds random full-size weights of the config (`pocket-tts make-random-weights`, cached in
.build/bench-weights/, as upload_memory.py does), exports one voice state from the speech sample
(`pocket-tts export-voice`: 6.9 s, 87 positions, f32 on disk as 4.0.1 writes it) and gives it
`--count` names in a temporary `voices_dir` (hard links: each a file of its own to the server,
none of them read before it is used; the page cache holds the one inode, so a voice "not in
memory" is read from the page cache, not the disk). Then, for an empty directory and for the full
one, one server each:
- start-up: from spawning `pocket-tts serve` to `/ready` answering 200 (the model load included);
- idle RSS (VmRSS) once the capacity probe has landed (its log line);
- first audio through `POST /v1/audio/speech` (pcm; from sending the request to the first audio
  byte), one request at a time, for `--probes` voices: each first while not in memory (its file is
  read on that request), then again (in the cache); medians and ranges;
- RSS after those requests and the cache's size (`--probes` voices in memory).
Prints one JSON document; the machine and load go in it too.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_http import add_server_arguments, random_weights, first_body_byte, free_port, rss_mb

REPO = Path(__file__).resolve().parents[1]
TEXT = "Hello there, this is a short test of the first audio."


def first_audio(port: int, voice: str) -> float:
    """Seconds from sending the request to the first audio byte of the chunked pcm body."""
    body = json.dumps({"model": "tts-1", "input": TEXT, "voice": voice, "response_format": "pcm"}).encode()
    return first_body_byte(port, "/v1/audio/speech", "application/json", body)


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in subprocess.run(
        ["lscpu"], capture_output=True, text=True).stdout.splitlines() if line.startswith("Model name")), platform.processor())
    return {"cpu": model, "cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def serve(args, weights: Path, voices: Path, default_voice: Path, work: Path) -> dict:
    port = free_port()
    config = work / f"server-{voices.name}.yaml"
    config.write_text(f"voices_dir: {voices}\nvoice_cache_mb: {args.voice_cache_mb}\nmax_voices: {args.count + 16}\n"
                      f"wyoming_port: 0\nprecision: {args.precision}\n")
    log_path = work / f"server-{voices.name}.log"
    log = open(log_path, "wb")
    started = time.perf_counter()
    server = subprocess.Popen([str(args.binary), "serve", "--no-download", "--config", str(args.config), "--weights",
                               str(weights), "--tokenizer", str(args.tokenizer), "--voice", str(default_voice),
                               "--server-config", str(config), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=log, stderr=log)
    try:
        ready = None
        while ready is None and time.perf_counter() - started < 600:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as answer:
                    if answer.status == 200:
                        ready = time.perf_counter() - started
            except OSError:
                time.sleep(0.01)
        assert ready is not None, log_path.read_text()
        probe_ms = None
        for _ in range(600):  # the capacity probe runs after ready: measure beside it, not during it
            found = re.search(r"measured in (\d+) ms after ready", log_path.read_text(errors="replace"))
            if found:
                probe_ms = int(found.group(1))
                break
            time.sleep(0.1)
        time.sleep(1)
        idle = rss_mb(server.pid)
        names = sorted(p.stem for p in voices.glob("*.safetensors"))
        probes = [names[(i * 997) % len(names)] for i in range(min(args.probes, len(names)))] if names else []
        cold, warm = [], []
        first_audio(port, default_voice.stem)  # warm-up: the default voice, always in memory
        for name in probes:
            cold.append(first_audio(port, name) * 1000)
            warm.append(first_audio(port, name) * 1000)
        default = [first_audio(port, default_voice.stem) * 1000 for _ in range(max(3, len(probes)))]
        after = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    summary = lambda xs: {"median_ms": round(statistics.median(xs), 1), "min_ms": round(min(xs), 1),
                          "max_ms": round(max(xs), 1), "n": len(xs)} if xs else None
    return {"voice_files": len(list(voices.glob("*.safetensors"))), "ready_s": round(ready, 3),
            "capacity_probe_ms_after_ready": probe_ms, "idle_rss_mb": round(idle, 1),
            "first_audio_not_in_memory": summary(cold), "first_audio_in_memory": summary(warm),
            "first_audio_default_voice": summary(default), "rss_after_mb": round(after, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_server_arguments(parser)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--probes", type=int, default=8)
    parser.add_argument("--voice-cache-mb", type=int, default=256)
    parser.add_argument("--precision", default="int8")
    args = parser.parse_args()
    weights = random_weights(args)
    work = Path(tempfile.mkdtemp(prefix="voice-cache-bench-"))
    try:
        voice = work / "voice.safetensors"
        subprocess.run([str(args.binary), "export-voice", "--no-download", "--config", str(args.config), "--weights",
                        str(weights), "--tokenizer", str(args.tokenizer), str(args.speech), str(voice)],
                       check=True, stdout=sys.stderr, stderr=sys.stderr)
        empty, full = work / "empty", work / "full"
        empty.mkdir()
        full.mkdir()
        for i in range(args.count):
            os.link(voice, full / f"voice-{i:04d}.safetensors")
        before = machine()
        runs = [serve(args, weights, directory, voice, work) for directory in (empty, full)]
        print(json.dumps({"config": args.config.name, "precision": args.precision, "voice_cache_mb": args.voice_cache_mb,
                          "voice_file_bytes": voice.stat().st_size, "machine": before,
                          "load_average_after": [round(x, 2) for x in os.getloadavg()], "runs": runs}, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
