#!/usr/bin/env python3
"""Soak test: N sessions speak, cancel, drop and reconnect against `pocket-tts serve` for a while.

    python3 Tests/fuzz/soak.py --binary .build/release/pocket-tts --sessions 8 --minutes 30   # make soak
    python3 Tests/fuzz/soak.py --port 8000 --voice alba ...   # a server already running

Beside them (`--http-churn`, on by default), every second: upload a voice (`POST /v1/voices`),
speak an OpenAI request in it, delete it. Each session loops: connect, then a few turns (config, text word by word, then mostly flush and
read to final; sometimes cancel after the first audio, or drop the connection mid-turn with a
close or a TCP reset, then reconnect). Reports turns by outcome, errors, first-audio latency
(first text message sent to first audio received) percentiles, and the server's RSS growth per
turn after a warm-up. Fails (exit 1) if the server dies, a reply misses the deadline, an
unexpected message arrives, or `pocket_tts_sessions` does not return to 0 at the end.
"""
import argparse
import asyncio
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FIXTURES, VOICE, Closed, RawWebSocket, Server, finish, http_get, metric_at, text_frame  # noqa: E402

SENTENCES = ["Hello there, this is a soak test.", "The quick brown fox jumps over the lazy dog.",
             "How are you doing today?", "Numbers like 3.14 and 42 are spoken too.", "One more sentence, then we stop."]
FORMATS = ["pcm", "pcm_f32", "opus", "ogg", "mulaw", "wav"]


class Soak:
    def __init__(self, args, port: int, server: Server | None):
        self.args = args
        self.port = port
        self.server = server
        self.outcomes = Counter()
        self.errors = Counter()
        self.first_audio: list[float] = []
        self.failures: list[str] = []
        self.turns_at_warm = 0
        self.rss_at_warm = 0
        self.warm_time = 0.0
        self.stop_at = 0.0

    @property
    def turns(self) -> int:
        return sum(self.outcomes[k] for k in ("final", "cancel", "drop"))

    async def session(self, index: int) -> None:
        rng = random.Random(self.args.seed * 1000 + index)
        while time.monotonic() < self.stop_at and not self.failures:
            try:
                ws = await RawWebSocket.connect(self.port)
            except (OSError, ConnectionError, asyncio.TimeoutError) as error:
                self.errors[f"connect: {type(error).__name__}"] += 1
                await asyncio.sleep(0.5)
                continue
            try:
                for _ in range(rng.randint(1, 5)):
                    if time.monotonic() >= self.stop_at or not await self.turn(ws, rng):
                        break
            except Closed as closed:
                self.errors[f"closed {closed.code} {closed.reason}"] += 1
            except asyncio.TimeoutError:
                self.failures.append(f"session {index}: no reply within {self.args.deadline} s")
            finally:
                if ws.closed is None:
                    await ws.close()

    async def turn(self, ws: RawWebSocket, rng: random.Random) -> bool:
        """One turn; False when the connection was dropped."""
        fmt = rng.choice(FORMATS)
        config = {"voice": self.args.voice, "format": fmt, "binary": rng.random() < 0.8}
        await ws.send(text_frame(json.dumps({"type": "config", "data": config})))
        reply = await self.next_event(ws)
        if reply.get("data", {}).get("code") == "at_capacity":
            self.outcomes["at_capacity"] += 1
            await asyncio.sleep(0.2)
            return True
        if reply.get("data", {}).get("event_type") != "config_accepted":
            self.failures.append(f"config {config}: {reply}")
            return False
        text = " ".join(rng.sample(SENTENCES, rng.randint(1, 3)))
        started = time.monotonic()
        for word in text.split(" "):
            await ws.send(text_frame(json.dumps({"type": "text", "data": {"text": word + " "}})))
        action = rng.choices(["final", "cancel", "drop"], [self.args.final_weight, 1, 1])[0]
        if action == "final":
            await ws.send(text_frame('{"type":"flush"}'))
        first = await self.audio_or_final(ws)
        if first == "audio":
            self.first_audio.append(time.monotonic() - started)
        if action == "final":
            while first != "final":
                first = await self.audio_or_final(ws)
            self.outcomes["final"] += 1
            return True
        if action == "cancel":
            await ws.send(text_frame('{"type":"cancel"}') + text_frame('{"type":"ping"}'))
            while True:  # audio in flight, then the pong
                kind, payload = await ws.receive(self.args.deadline)
                if kind == "text" and json.loads(payload)["type"] == "pong":
                    break
                if kind == "text" and json.loads(payload)["type"] not in ("audio",):
                    self.failures.append(f"after cancel: {payload[:200]}")
                    return False
            self.outcomes["cancel"] += 1
            return True
        self.outcomes["drop"] += 1
        if rng.random() < 0.5:
            ws.abort(reset=True)
        else:
            await ws.close()
        return False

    async def next_event(self, ws: RawWebSocket) -> dict:
        while True:
            kind, payload = await ws.receive(self.args.deadline)
            if kind == "text":
                message = json.loads(payload)
                if message["type"] == "error":
                    self.errors[message["data"]["code"]] += 1
                return message

    async def audio_or_final(self, ws: RawWebSocket) -> str:
        kind, payload = await ws.receive(self.args.deadline)
        if kind == "binary":
            return "audio"
        message = json.loads(payload)
        if message["type"] == "audio":
            return "audio"
        if message.get("data", {}).get("event_type") == "final":
            return "final"
        self.failures.append(f"during a turn: {payload[:200]}")
        raise Closed(None, "unexpected message")

    def http_churn_once(self, rng: random.Random) -> None:
        """Upload a voice (`POST /v1/voices`), speak one OpenAI request in it, delete it (blocking)."""
        base = f"http://127.0.0.1:{self.port}"
        with open(os.path.join(FIXTURES, "reference", "voice.wav"), "rb") as file:
            audio = file.read()
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"me.wav\"\r\n"
                f"Content-Type: audio/wav\r\n\r\n").encode() + audio + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(base + "/v1/voices", data=body, method="POST",
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        with urllib.request.urlopen(request, timeout=self.args.deadline) as response:
            voice = json.loads(response.read())["voice_id"]
        self.outcomes["upload"] += 1
        try:
            speech = json.dumps({"model": "tts-1", "input": rng.choice(SENTENCES), "voice": voice, "response_format": "pcm"})
            request = urllib.request.Request(base + "/v1/audio/speech", data=speech.encode(), method="POST",
                                             headers={"Content-Type": "application/json"})
            started = time.monotonic()
            with urllib.request.urlopen(request, timeout=self.args.deadline) as response:
                if not response.read(1):
                    self.failures.append("OpenAI speech in an uploaded voice: no audio")
                self.first_audio.append(time.monotonic() - started)
                response.read()
            self.outcomes["http_turn"] += 1
        finally:  # also after a 503 (at capacity): every uploaded voice is deleted
            request = urllib.request.Request(f"{base}/v1/voices/{voice}", method="DELETE")
            with urllib.request.urlopen(request, timeout=self.args.deadline) as response:
                if not json.loads(response.read()).get("deleted"):
                    self.failures.append(f"voice {voice} not deleted")
            self.outcomes["delete"] += 1

    async def http_churn(self) -> None:
        """Uploads, HTTP turns and deletes beside the WebSocket sessions (`--http-churn`)."""
        rng = random.Random(self.args.seed * 7919)
        while time.monotonic() < self.stop_at and not self.failures:
            try:
                await asyncio.to_thread(self.http_churn_once, rng)
            except urllib.error.HTTPError as error:
                self.errors[f"http {error.code}"] += 1  # e.g. 503 at capacity
            except (OSError, ValueError) as error:
                self.failures.append(f"http churn: {type(error).__name__}: {error}")
            await asyncio.sleep(1)

    async def sampler(self) -> None:
        """Marks the warm-up point (RSS and turns) once --warmup seconds have passed."""
        await asyncio.sleep(self.args.warmup)
        self.turns_at_warm = self.turns
        self.rss_at_warm = self.server.rss_bytes() if self.server else 0
        self.warm_time = time.monotonic()
        while time.monotonic() < self.stop_at:
            await asyncio.sleep(1)
            if self.server and not self.server.alive:
                self.failures.append(f"the server died (exit status {self.server.process.returncode})")
                return

    async def run(self) -> None:
        self.stop_at = time.monotonic() + self.args.minutes * 60
        churn = [self.http_churn()] if self.args.http_churn else []
        await asyncio.gather(self.sampler(), *churn, *(self.session(i) for i in range(self.args.sessions)))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/pocket-tts", help="pocket-tts to start on the tiny model")
    parser.add_argument("--port", type=int, help="soak a server already listening on 127.0.0.1:PORT instead")
    parser.add_argument("--voice", default=VOICE)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=10, help="seconds before RSS is first measured")
    parser.add_argument("--final-weight", type=float, default=6, help="turns run to final per cancelled or dropped one")
    parser.add_argument("--deadline", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--http-churn", action=argparse.BooleanOptionalAction, default=True,
                        help="beside the sessions: upload a voice, speak an OpenAI request in it, delete it, every second")
    args = parser.parse_args()
    args.warmup = min(args.warmup, args.minutes * 60 / 3)

    server = None if args.port else Server(args.binary, env={"POCKET_TTS_MAX_STREAMS": str(max(1, args.sessions))})
    port = args.port or server.port
    soak = Soak(args, port, server)
    started = time.monotonic()
    rss_start = server.rss_bytes() if server else 0
    asyncio.run(soak.run())
    elapsed = time.monotonic() - started
    rss_end = server.rss_bytes() if server and server.alive else 0
    end = time.monotonic() + 10
    sessions = metric_at(port, "pocket_tts_sessions")
    while sessions != 0 and time.monotonic() < end:
        time.sleep(0.1)
        sessions = metric_at(port, "pocket_tts_sessions")
    if sessions != 0:
        soak.failures.append(f"pocket_tts_sessions is {sessions} at the end")
    turns_after_warm = soak.turns - soak.turns_at_warm
    growth = (rss_end - soak.rss_at_warm) / turns_after_warm if turns_after_warm and soak.rss_at_warm else float("nan")
    audio = soak.first_audio
    print(f"soak: {args.sessions} sessions for {elapsed / 60:.1f} min: {soak.turns} turns ({soak.turns / elapsed:.1f}/s) "
          f"{dict(soak.outcomes)}")
    print(f"  errors: {dict(soak.errors)}")
    print(f"  first audio: p50 {percentile(audio, 50) * 1000:.0f} ms, p90 {percentile(audio, 90) * 1000:.0f} ms, "
          f"p99 {percentile(audio, 99) * 1000:.0f} ms, max {max(audio, default=float('nan')) * 1000:.0f} ms ({len(audio)} turns)")
    if server:
        print(f"  server RSS: {rss_start / 2**20:.1f} MB at start, {soak.rss_at_warm / 2**20:.1f} MB after {args.warmup:.0f} s warm-up, "
              f"{rss_end / 2**20:.1f} MB at the end: {growth:+.0f} bytes per turn over {turns_after_warm} turns")
        if soak.rss_at_warm:
            print(f"  RSS growth after the warm-up: {(rss_end - soak.rss_at_warm) / soak.rss_at_warm * 100:+.1f} %")
    print(f"  server's loop lag: {loop_lag_summary(port)}")
    return finish(server, soak.failures)


def loop_lag_summary(port: int) -> str:
    """p50/p99/max of `pocket_tts_event_loop_lag_seconds` as bucket bounds (the server's timer)."""
    _, text = http_get(port, "/metrics")
    buckets = []
    for line in text.splitlines():
        if line.startswith('pocket_tts_event_loop_lag_seconds_bucket{le="'):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float("inf") if bound == "+Inf" else float(bound), float(line.rsplit(" ", 1)[1])))
    total = buckets[-1][1] if buckets else 0
    if not total:
        return "no samples"
    def at(share: float) -> str:
        bound = next(b for b, count in buckets if count >= share * total)
        return "over 1 s" if bound == float("inf") else f"<= {bound * 1000:g} ms"
    return f"{total:.0f} samples; p50 {at(0.5)}, p99 {at(0.99)}, max {at(1.0)}"


if __name__ == "__main__":
    sys.exit(main())
