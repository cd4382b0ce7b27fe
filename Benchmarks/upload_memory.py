#!/usr/bin/env python3
"""Memory of uploaded voices: upload N distinct voices, delete them, read the server's RSS at each step.

    python3 Benchmarks/upload_memory.py [--binary .build/release/pocket-tts] [--count 50]
        [--config Configs/models/english_2026-01.yaml] [--speech ../shared/assets/speech_48k.wav]

Builds random full-size weights of the config (`pocket-tts make-random-weights`, cached in
.build/bench-weights/), starts `pocket-tts serve` on them (the speech sample as its voice), uploads
`--count` 2-second cuts of the speech sample (each at another offset, so each is its own voice) with
`POST /v1/voices`, then deletes them all. Prints RSS (VmRSS) idle, after the uploads and after the
deletes; the issue's bar: after the deletes within 10 % of idle. Exits 1 when it is not.
"""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import wave
from pathlib import Path

from bench_http import add_server_arguments, random_weights, free_port, rss_mb

REPO = Path(__file__).resolve().parents[1]


def cuts(speech: Path, count: int, seconds: float = 2.0) -> list[bytes]:
    """`count` WAV files of `seconds` each, cut from `speech` at successive offsets (16-bit mono)."""
    with wave.open(str(speech)) as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        frames = w.readframes(w.getnframes())
    assert width == 2, "16-bit speech expected"
    step = channels * 2
    mono = frames[::1] if channels == 1 else b"".join(frames[i:i + 2] for i in range(0, len(frames), step))
    n = int(seconds * rate) * 2
    usable = len(mono) - n
    out = []
    for k in range(count):
        start = (k * (usable // count)) // 2 * 2
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
            w.writeframes(mono[start:start + n])
        out.append(buffer.getvalue())
    return out


def upload(port: int, data: bytes) -> str:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"v.wav\"\r\n"
            f"Content-Type: audio/wav\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/voices", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.loads(answer.read())["voice_id"]


def delete(port: int, voice: str) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/voices/{voice}", method="DELETE")
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_server_arguments(parser)
    parser.add_argument("--count", type=int, default=50)
    args = parser.parse_args()
    weights = random_weights(args)
    port = free_port()
    work = Path(tempfile.mkdtemp())
    (work / "server.yaml").write_text("")
    log = open(work / "server.log", "wb")
    server = subprocess.Popen([str(args.binary), "serve", "--no-download", "--config", str(args.config), "--weights", str(weights),
                               "--tokenizer", str(args.tokenizer), "--voice", str(args.speech), "--server-config",
                               str(work / "server.yaml"), "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=log)
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        files = cuts(args.speech, args.count)
        idle = rss_mb(server.pid)
        started = time.monotonic()
        ids = [upload(port, data) for data in files]
        took = time.monotonic() - started
        assert len(set(ids)) == args.count, "cuts gave the same voice twice"
        loaded = rss_mb(server.pid)
        for voice in ids:
            delete(port, voice)
        time.sleep(1)
        after = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    per_voice = (loaded - idle) / args.count
    print(json.dumps({"config": args.config.name, "count": args.count, "idle_rss_mb": round(idle, 1),
                      "after_uploads_rss_mb": round(loaded, 1), "per_voice_mb": round(per_voice, 2),
                      "after_deletes_rss_mb": round(after, 1), "upload_seconds_each": round(took / args.count, 2),
                      "back_within_10_percent": after <= idle * 1.10}))
    return 0 if after <= idle * 1.10 else 1


if __name__ == "__main__":
    sys.exit(main())
