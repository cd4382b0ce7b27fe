#!/usr/bin/env python3
"""Time to first audio through each protocol of one running server, same text, one request at
a time, alternating: the native WebSocket (`/tts/ws`: from sending config+text+flush on an open
socket to the first binary frame), the reference's `POST /tts` and OpenAI's
`POST /v1/audio/speech` (pcm and mp3; from sending the request on an open TCP connection to the
first audio byte of the chunked body).

    .build/release/pocket-tts serve --demo --tokenizer /path/tokenizer.model --voice prompt.wav --port 8000 &
    .build/python/bin/python Benchmarks/http_first_audio.py --port 8000 --runs 20

Needs `websockets` (Clients/python's virtual environment has it)."""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import websockets

from bench_http import first_body_byte

TEXT = "Hello there, this is a short test of the first audio."


async def native(port: int, voice: str | None) -> float:
    async with websockets.connect(f"ws://127.0.0.1:{port}/tts/ws", max_size=None) as ws:
        config = {"format": "pcm", "max_buffer_delay_ms": 0}
        if voice:
            config["voice"] = voice
        started = time.perf_counter()
        await ws.send(json.dumps({"type": "config", "data": config}))
        await ws.send(json.dumps({"type": "text", "data": {"text": TEXT}}))
        await ws.send(json.dumps({"type": "flush"}))
        first = None
        async for message in ws:
            if isinstance(message, bytes) and first is None:
                first = time.perf_counter() - started
            elif isinstance(message, str) and '"final"' in message:
                return first


def http(port: int, path: str, content_type: str, body: bytes) -> float:
    """From the request's send to the first body byte past the WAV header (if any)."""
    return first_body_byte(port, path, content_type, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--voice", help="voice name (default: the server's)")
    args = parser.parse_args()
    form = f"text={TEXT.replace(' ', '+')}" + (f"&voice_url={args.voice}" if args.voice else "")
    speech = {"model": "tts-1", "input": TEXT, "voice": args.voice or "alloy"}
    probes = {
        "native /tts/ws (pcm)": lambda: asyncio.run(native(args.port, args.voice)),
        "POST /tts (wav)": lambda: http(args.port, "/tts", "application/x-www-form-urlencoded", form.encode()),
        "POST /v1/audio/speech (pcm)": lambda: http(args.port, "/v1/audio/speech", "application/json",
                                                    json.dumps({**speech, "response_format": "pcm"}).encode()),
        "POST /v1/audio/speech (mp3)": lambda: http(args.port, "/v1/audio/speech", "application/json",
                                                    json.dumps(speech).encode()),
    }
    times: dict[str, list[float]] = {name: [] for name in probes}
    for name, probe in probes.items():
        probe()  # warm-up
    for _ in range(args.runs):
        for name, probe in probes.items():
            times[name].append(probe() * 1000)
    for name, values in times.items():
        print(f"{name:30s} median {statistics.median(values):7.1f} ms   min {min(values):7.1f}   max {max(values):7.1f}   (n={len(values)})")


if __name__ == "__main__":
    main()
