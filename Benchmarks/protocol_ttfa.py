#!/usr/bin/env python3
"""Time to first audio through each WebSocket protocol of the service, in one run.

    pip install websockets
    swift build -c release --product pocket-tts
    python3 Benchmarks/protocol_ttfa.py                       # starts `pocket-tts serve --demo`
    python3 Benchmarks/protocol_ttfa.py --port 8000 --rounds 50   # a server already running

For each round, in a shuffled order, one turn of the same sentence through each protocol, each on
a fresh connection: the connection is opened and its turn started first (native: config and
config_accepted; Kyutai: Ready; Deepgram: Metadata), then the clock starts as the whole text and its
end marker go out in one write (native: text + flush; Kyutai: one Text per word + Eos; Deepgram:
Speak + Flush) and stops at the first audio byte. Raw PCM everywhere (native `pcm`, Kyutai `Pcm`,
Deepgram `linear16`), so no encoder differs. Prints min/p50/p90/max per protocol in ms, and the
median's difference from the native protocol's.
"""
import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parents[1]
TEXT = "The weather is nice today, so we will walk to the park after lunch."


def pack_map(pairs: dict) -> bytes:
    """msgpack of a map of short strings (all a Kyutai client sends here)."""
    out = bytes([0x80 | len(pairs)])
    for key, value in pairs.items():
        for text in (key, value):
            data = text.encode()
            out += (bytes([0xA0 | len(data)]) if len(data) < 32 else b"\xd9" + bytes([len(data)])) + data
    return out


async def native(base: str) -> float:
    async with websockets.connect(base + "/tts/ws", max_size=None) as ws:
        await ws.send(json.dumps({"type": "config", "data": {"format": "pcm"}}))
        assert "config_accepted" in await ws.recv()
        start = time.perf_counter()
        await ws.send(json.dumps({"type": "text", "data": {"text": TEXT}}))
        await ws.send(json.dumps({"type": "flush"}))
        while not isinstance(await ws.recv(), bytes):
            pass
        return time.perf_counter() - start


async def kyutai(base: str) -> float:
    async with websockets.connect(base + "/api/tts_streaming?format=Pcm", max_size=None,
                                  additional_headers={"kyutai-api-key": "public_token"}) as ws:
        await ws.recv()  # Ready
        start = time.perf_counter()
        for word in TEXT.split():
            await ws.send(pack_map({"type": "Text", "text": word}))
        await ws.send(pack_map({"type": "Eos"}))
        await ws.recv()
        return time.perf_counter() - start


async def deepgram(base: str) -> float:
    async with websockets.connect(base + "/v1/speak?encoding=linear16&sample_rate=24000", max_size=None) as ws:
        assert "Metadata" in await ws.recv()
        start = time.perf_counter()
        await ws.send(json.dumps({"type": "Speak", "text": TEXT}))
        await ws.send(json.dumps({"type": "Flush"}))
        while not isinstance(await ws.recv(), bytes):
            pass
        return time.perf_counter() - start


PROTOCOLS = {"native": native, "kyutai": kyutai, "deepgram": deepgram}


def start_server(binary: str, port: int) -> subprocess.Popen:
    tokenizer = ROOT / "../shared/assets/tokenizer.model"
    if not tokenizer.exists():
        tokenizer = ROOT / "Tests/PocketTTSTests/Fixtures/tokenizer/test_tokenizer.model"
    voice = ROOT / "../shared/assets/speech_48k.wav"
    if not voice.exists():
        voice = ROOT / "Tests/PocketTTSTests/Fixtures/reference/voice.wav"
    command = [binary, "serve", "--demo", "--no-download", "--tokenizer", str(tokenizer.resolve()), "--voice", str(voice.resolve()),
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "info"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, bufsize=1)
    ready = threading.Event()

    def read_log() -> None:
        for line in process.stderr:
            if "engine attached: ready" in line:
                ready.set()

    threading.Thread(target=read_log, daemon=True).start()
    if not ready.wait(180):
        process.kill()
        raise RuntimeError("the server was not ready within 180 s")
    return process


async def run(base: str, rounds: int, warmup: int) -> dict:
    times = {name: [] for name in PROTOCOLS}
    order = list(PROTOCOLS)
    for round_number in range(warmup + rounds):
        random.shuffle(order)
        for name in order:
            elapsed = await PROTOCOLS[name](base)
            if round_number >= warmup:
                times[name].append(elapsed * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build/release/pocket-tts"))
    parser.add_argument("--port", type=int, help="measure a server already listening on 127.0.0.1:PORT")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    process = None
    port = args.port
    if port is None:
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        process = start_server(args.binary, port)
    try:
        times = asyncio.run(run(f"ws://127.0.0.1:{port}", args.rounds, args.warmup))
    finally:
        if process:
            process.terminate()
            process.wait(20)
    base = statistics.median(times["native"])
    print(f"time to first audio, ms ({args.rounds} rounds, {args.warmup} warm-up; text {len(TEXT)} characters)")
    print(f"{'protocol':10} {'min':>7} {'p50':>7} {'p90':>7} {'max':>7} {'p50 - native':>13}")
    for name, values in times.items():
        values.sort()
        p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
        print(f"{name:10} {values[0]:7.1f} {statistics.median(values):7.1f} {p90:7.1f} {values[-1]:7.1f} "
              f"{statistics.median(values) - base:+13.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
