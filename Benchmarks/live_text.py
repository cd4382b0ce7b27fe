#!/usr/bin/env python3
"""Live text: how the service speaks text that is still arriving (README, "Live text").

    pip install websockets
    swift build -c release --product pocket-tts
    python3 Benchmarks/live_text.py                      # every scenario, default settings
    python3 Benchmarks/live_text.py --delays 0,500,1000,1500 --scenarios caption
    python3 Benchmarks/live_text.py --baseline /path/to/old/pocket-tts --scenarios message

Starts `pocket-tts serve --demo` (full-size random weights, release build; the real tokenizer
and speech sample of ../shared/assets when present, as Scripts/run.sh does) on a free port, one
server per scenario, and measures:

  caption   words at 3 per second, no punctuation, for 20 s, then flush: time from the first word
            to the first audio, audio received before the flush, the chunks the server handed to
            the engine (from its debug log), and the gaps a listener would hear: (a) playing the
            audio as it really came (random weights decide its length: see below), (b) a model
            of real speech, each chunk lasting words / --speech-rate seconds from the moment its
            first audio came.
  message   an LLM-style answer of 3 sentences in one text message, then flush: time to first
            audio (median of --repeats), and the same streamed word by word at LLM speed. Run
            with --baseline BIN to measure an older build in the same run.
  runon     a 20,000-character text without a sentence end (two messages), then flush: server
            RSS (VmRSS) idle, peak and after; time to first audio of the run-on; and a second
            session's normal turn started 1 s after the flush, against its time to first audio
            on the idle server.

Random weights: the EOS logit of random weights is not a speech end. With the default
eos_threshold (-4) a chunk ends within a few frames whatever its text; with --eos-threshold 1e9
every chunk runs to its length limit, ceil((tokens / 3 + 2) * 12.5) frames (about 3.3 s for a
3-word chunk). Neither lasts as long as real speech of the chunk, hence the modelled listener (b).
"""
import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
FRAME_SECONDS = 0.08
BYTES_PER_FRAME = 1920 * 2  # 24 kHz s16

CAPTION_WORDS = ("so the council met again this evening to talk about the bridge and the new road "
                 "that would run past the school where many parents have asked for a safer crossing "
                 "and more lights near the park because children walk there every morning before "
                 "class and the traffic has grown a lot since the mall opened last spring").split()
MESSAGE = ("Sure, here is what I found about the river. It runs for about forty miles and passes "
           "three small towns on its way to the sea. Most visitors come in the spring, when the "
           "water is high and the old mills are open.")
MESSAGE_CLAUSE = ("Well, as far as I know, the river runs for about forty miles and passes three small "
                  "towns. Most visitors come in the spring. The old mills open then.")
NORMAL_TURN = "The weather is nice today, so we will walk to the park after lunch."


# MARK: The server under test

class Server:
    """`pocket-tts serve --demo` on a free port; its debug log is read for chunk hand-offs."""

    def __init__(self, binary: str, extra: list[str]):
        self.port = free_port()
        tokenizer = ROOT / "../shared/assets/tokenizer.model"
        if not tokenizer.exists():
            tokenizer = ROOT / "Tests/PocketTTSTests/Fixtures/tokenizer/test_tokenizer.model"
        voice = ROOT / "../shared/assets/speech_48k.wav"
        if not voice.exists():
            voice = ROOT / "Tests/PocketTTSTests/Fixtures/reference/voice.wav"
        self.command = [binary, "serve", "--demo", "--no-download", "--tokenizer", str(tokenizer.resolve()),
                        "--voice", str(voice.resolve()), "--host", "127.0.0.1", "--port", str(self.port),
                        "--log-level", "debug", *extra]
        # Each build reads the Configs/server.yaml of its own checkout (.build/release/pocket-tts).
        checkout = Path(os.path.abspath(binary)).parents[2]
        self.process = subprocess.Popen(self.command, cwd=checkout if (checkout / "Configs").is_dir() else ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True, bufsize=1)
        self.chunks: list[tuple[float, int]] = []  # (time the log line was read, words)
        self.ready = threading.Event()
        threading.Thread(target=self._read_log, daemon=True).start()
        if not self.ready.wait(120) or self.process.poll() is not None:
            self.stop()
            raise RuntimeError("the server was not ready within 120 s")
        self.url = f"ws://127.0.0.1:{self.port}/tts/ws"

    def _read_log(self) -> None:
        for line in self.process.stderr:
            now = time.monotonic()
            if "error" in line.lower() and not self.ready.is_set():
                print(f"server: {line.rstrip()}", file=sys.stderr)
            if "engine attached: ready" in line:
                self.ready.set()
            if "chunk to the engine" in line:
                match = re.search(r"words=(\d+)", line)
                self.chunks.append((now, int(match.group(1)) if match else 0))

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# MARK: One turn

class Turn:
    """A session with one turn: records when each audio frame arrived."""

    def __init__(self, url: str, config: dict):
        self.url = url
        self.config = {"format": "pcm", "binary": True, **config}
        self.frames: list[float] = []  # arrival time of each 80 ms frame
        self.done = asyncio.Event()
        self.errors: list[str] = []

    async def __aenter__(self):
        self.ws = await websockets.connect(self.url, max_size=None)
        await self.ws.send(json.dumps({"type": "config", "data": self.config}))
        reply = json.loads(await self.ws.recv())
        if reply.get("data", {}).get("event_type") != "config_accepted":
            raise RuntimeError(f"config refused: {reply}")
        self.receiver = asyncio.create_task(self._receive())
        return self

    async def __aexit__(self, *exc):
        self.receiver.cancel()
        await self.ws.close()

    async def _receive(self) -> None:
        pending = 0
        async for message in self.ws:
            now = time.monotonic()
            if isinstance(message, bytes):
                pending += len(message)
                while pending >= BYTES_PER_FRAME:
                    self.frames.append(now)
                    pending -= BYTES_PER_FRAME
                continue
            event = json.loads(message)
            if event["type"] == "error":
                self.errors.append(event["data"]["code"])
            if event["type"] == "event" and event["data"].get("event_type") == "final":
                self.done.set()

    async def text(self, text: str) -> None:
        await self.ws.send(json.dumps({"type": "text", "data": {"text": text}}))

    async def flush(self) -> None:
        await self.ws.send(json.dumps({"type": "flush"}))

    async def cancel(self) -> None:
        await self.ws.send(json.dumps({"type": "cancel"}))


def listener_gaps(starts_and_lengths: list[tuple[float, float]]) -> list[float]:
    """Silences a listener hears: audio pieces (arrival, seconds) played in order, each as soon as
    it has arrived and the one before has ended."""
    gaps, end = [], None
    for start, length in starts_and_lengths:
        if end is not None and start > end:
            gaps.append(start - end)
        end = max(end or start, start) + length
    return gaps


def summary(values: list[float]) -> str:
    if not values:
        return "none"
    return f"{len(values)}, total {sum(values):.2f} s, largest {max(values):.2f} s"


# MARK: Scenarios

async def caption(server: Server, delay_ms: int, args) -> dict:
    config = {"max_buffer_delay_ms": delay_ms, "eos_threshold": args.eos_threshold}
    words = (CAPTION_WORDS * 2)[: int(args.caption_seconds * 3)]
    async with Turn(server.url, config) as turn:
        chunks_before = len(server.chunks)
        start = time.monotonic()
        for i, word in enumerate(words):
            await asyncio.sleep(max(0.0, start + i / 3 - time.monotonic()))
            await turn.text(word + " ")
        await asyncio.sleep(max(0.0, start + args.caption_seconds - time.monotonic()))
        flushed = time.monotonic()
        await turn.flush()
        await asyncio.wait_for(turn.done.wait(), 600)
        chunks = server.chunks[chunks_before:]
    # Each chunk's first audio: the first frame that came after it was handed over.
    chunk_audio = []
    for handed, count in chunks:
        first = next((t for t in turn.frames if t >= handed), None)
        if first is not None:
            chunk_audio.append((handed, count, first))
    real_gaps = listener_gaps([(t, FRAME_SECONDS) for t in turn.frames])
    real_gaps_streaming = [g for g, t in zip(real_gaps, turn.frames[1:]) if t <= flushed]
    modelled = listener_gaps([(first, count / args.speech_rate) for _, count, first in chunk_audio])
    return {
        "max_buffer_delay_ms": delay_ms,
        "first_audio_ms": round((turn.frames[0] - start) * 1000) if turn.frames else None,
        "frames_before_flush": sum(1 for t in turn.frames if t < flushed),
        "frames": len(turn.frames),
        "chunks": len(chunks),
        "words_per_chunk": [count for _, count in chunks],
        "chunk_first_audio_ms": [round((first - handed) * 1000) for handed, _, first in chunk_audio],
        "audio_seconds": round(len(turn.frames) * FRAME_SECONDS, 2),
        "real_gaps_while_words_arrive": summary(real_gaps_streaming),
        "modelled_gaps": summary(modelled[:-1] if len(modelled) > 1 else modelled),
        "modelled_gaps_list": [round(g, 2) for g in modelled],
        "errors": turn.errors,
    }


async def first_audio(url: str, pieces: list[str], word_interval: float, config: dict) -> float:
    async with Turn(url, config) as turn:
        start = time.monotonic()
        for i, piece in enumerate(pieces):
            await asyncio.sleep(max(0.0, start + i * word_interval - time.monotonic()))
            await turn.text(piece)
        await turn.flush()
        await asyncio.wait_for(turn.done.wait(), 600)
        return (turn.frames[0] - start) * 1000


async def message(server: Server, args) -> dict:
    """Time to first audio of an answer sent whole, and streamed a word per --llm-word-interval:
    MESSAGE's first clause ("Sure,") is too short to be a chunk, MESSAGE_CLAUSE's is not."""
    config = {"eos_threshold": args.eos_threshold}
    result = {}
    for name, text in (("message", MESSAGE), ("message_clause", MESSAGE_CLAUSE)):
        whole, streamed = [], []
        words = [w + " " for w in text.split()]
        for _ in range(args.repeats):
            whole.append(await first_audio(server.url, [text], 0, config))
            streamed.append(await first_audio(server.url, words, args.llm_word_interval, config))
        result[f"{name}_whole_median_ms"] = round(statistics.median(whole))
        result[f"{name}_streamed_median_ms"] = round(statistics.median(streamed))
        result[f"{name}_whole_ms"] = sorted(round(x) for x in whole)
        result[f"{name}_streamed_ms"] = sorted(round(x) for x in streamed)
    return result


async def runon(server: Server, args) -> dict:
    config = {"eos_threshold": args.eos_threshold}
    await first_audio(server.url, [NORMAL_TURN], 0, config)  # warm up
    idle_rss = server.rss_mb()
    unloaded = [await first_audio(server.url, [NORMAL_TURN], 0, config) for _ in range(3)]
    text = " ".join((CAPTION_WORDS * 200))[: args.runon_characters]
    text = text[: text.rfind(" ")]
    peak = [server.rss_mb()]
    sampling = True

    async def sample() -> None:
        while sampling:
            peak.append(server.rss_mb())
            await asyncio.sleep(0.1)

    sampler = asyncio.create_task(sample())
    async with Turn(server.url, config) as long:
        chunks_before = len(server.chunks)
        start = time.monotonic()
        for i in range(0, len(text), 9000):
            await long.text(text[i:i + 9000])
        await long.flush()
        await asyncio.sleep(1)
        second = await first_audio(server.url, [NORMAL_TURN], 0, config)
        await asyncio.sleep(max(0.0, start + args.runon_seconds - time.monotonic()))
        runon_first = (long.frames[0] - start) * 1000 if long.frames else None
        runon_frames = len(long.frames)
        handed = server.chunks[chunks_before:]
        first_handed = (handed[0][0] - start) * 1000 if handed else None
        await long.cancel()
    sampling = False
    await sampler
    await asyncio.sleep(1)
    return {
        "idle_rss_mb": round(idle_rss), "peak_rss_mb": round(max(peak)), "rss_after_mb": round(server.rss_mb()),
        "rss_bound_mb": round(1.2 * idle_rss + 200),
        "runon_first_audio_ms": round(runon_first) if runon_first else None,
        "runon_first_chunk_handed_ms": round(first_handed) if first_handed else None,
        "runon_chunks_handed": len(handed),
        "runon_frames_in_window": runon_frames, "window_s": args.runon_seconds,
        "second_session_unloaded_ms": sorted(round(x) for x in unloaded),
        "second_session_loaded_ms": round(second),
        "ratio": round(second / statistics.median(unloaded), 2),
    }


def run(binary: str, scenario: str, args) -> list[dict]:
    results = []
    delays = [int(d) for d in args.delays.split(",")] if scenario == "caption" else [None]
    for delay in delays:
        server = Server(binary, [])
        try:
            if scenario == "caption":
                result = asyncio.run(caption(server, delay, args))
            elif scenario == "message":
                result = asyncio.run(message(server, args))
            else:
                result = asyncio.run(runon(server, args))
        finally:
            server.stop()
        result = {"scenario": scenario, "binary": binary, **result}
        print(json.dumps(result), flush=True)
        results.append(result)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=str(ROOT / ".build/release/pocket-tts"))
    parser.add_argument("--baseline", help="an older pocket-tts binary, measured in the same run (message)")
    parser.add_argument("--scenarios", default="caption,message,runon")
    parser.add_argument("--delays", default="1000", help="max_buffer_delay_ms values for the caption feed")
    parser.add_argument("--eos-threshold", type=float, default=-4.0)
    parser.add_argument("--caption-seconds", type=float, default=20)
    parser.add_argument("--speech-rate", type=float, default=2.7, help="words per second of the modelled listener")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--llm-word-interval", type=float, default=0.03)
    parser.add_argument("--runon-characters", type=int, default=20000)
    parser.add_argument("--runon-seconds", type=float, default=20, help="how long the run-on turn is watched")
    parser.add_argument("--output", help="also write the results here, as JSON")
    args = parser.parse_args()

    with open("/proc/loadavg") as f:
        print(f"load average before: {f.read().split()[:3]}", flush=True)
    results = []
    for scenario in args.scenarios.split(","):
        results += run(args.binary, scenario, args)
        if args.baseline and scenario == "message":
            results += run(args.baseline, scenario, args)
    with open("/proc/loadavg") as f:
        print(f"load average after: {f.read().split()[:3]}", flush=True)
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
