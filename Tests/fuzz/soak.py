#!/usr/bin/env python3
"""Soak test: sessions of every protocol speak, cancel, drop and reconnect against `pocket-tts
serve` for a while (`make soak SESSIONS=14 MINUTES=60`).

    python3 Tests/fuzz/soak.py --binary .build/release/pocket-tts --sessions 14 --minutes 60   # make soak
    python3 Tests/fuzz/soak.py --port 8000 --wyoming-port 10200 --voice alba ...   # a server already running

Session i plays protocol i mod 7 (native, kyutai, deepgram, elevenlabs, elevenlabs_multi, wyoming,
openai; Tests/fuzz/soak_protocols.py has what a turn, a cancel and a drop are in each): connect,
a few turns (mostly spoken to the end, sometimes cancelled once audio has come, sometimes dropped
mid-turn by a close or a TCP reset), reconnect. Beside them (`--upload-churn`, on by default),
every second: upload a voice (`POST /v1/voices`), speak one turn in it on the next protocol, delete
it. Reports per protocol turns by outcome, errors and first audio (first text sent to first audio
received) percentiles; the server's RSS growth after a warm-up; the server's own loop lag. Fails
(exit 1) if the server dies, a reply misses the deadline, a message breaks its protocol, any error
is counted (with `--max-errors 0`, the default), or `pocket_tts_sessions` does not return to 0.
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FIXTURES, VOICE, Server, finish, http_get, metric_at  # noqa: E402
from soak_protocols import PROTOCOLS, Churn, SoakFailure  # noqa: E402

# The protocols an uploaded voice is spoken in, one after the other (Deepgram names voices
# through its model names, so it speaks the served voice only).
UPLOAD_PROTOCOLS = ["openai", "native", "kyutai", "elevenlabs", "elevenlabs_multi", "wyoming"]


class Soak:
    def __init__(self, args, port: int, server: Server | None):
        self.args = args
        self.port = port
        self.server = server
        self.churn = Churn(port, server.wyoming_port if server else args.wyoming_port, args.deadline, args.final_weight)
        self.failures: list[str] = []
        self.turns_at_warm = 0
        self.rss_at_warm = 0
        self.warm_time = 0.0
        self.stop_at = 0.0

    @property
    def turns(self) -> int:
        return self.churn.turns()

    async def session(self, index: int) -> None:
        """Connection after connection of one protocol (`PROTOCOLS[index % 7]`)."""
        rng = random.Random(self.args.seed * 1000 + index)
        protocol = self.protocols[index % len(self.protocols)]
        while time.monotonic() < self.stop_at and not self.failures:
            try:
                await self.churn.play(protocol, rng, self.args.voice)
            except SoakFailure as failure:
                self.failures.append(str(failure))

    def upload(self) -> str:
        """`POST /v1/voices` with the fixtures' speech sample; the new voice's id (blocking)."""
        with open(os.path.join(FIXTURES, "reference", "voice.wav"), "rb") as file:
            audio = file.read()
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"me.wav\"\r\n"
                f"Content-Type: audio/wav\r\n\r\n").encode() + audio + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/v1/voices", data=body, method="POST",
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        with urllib.request.urlopen(request, timeout=self.args.deadline) as response:
            return json.loads(response.read())["voice_id"]

    def delete(self, voice: str) -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/v1/voices/{voice}", method="DELETE")
        with urllib.request.urlopen(request, timeout=self.args.deadline) as response:
            if not json.loads(response.read()).get("deleted"):
                self.failures.append(f"voice {voice} not deleted")

    async def upload_churn(self) -> None:
        """Every second: upload a voice, speak one turn in it on a protocol taken in turn, delete it
        (`--upload-churn`); counted as `upload`/`delete` under `voices`, the turn under its protocol."""
        rng = random.Random(self.args.seed * 7919)
        counts = self.churn.outcomes["voices"]
        number = 0
        while time.monotonic() < self.stop_at and not self.failures:
            protocol = UPLOAD_PROTOCOLS[number % len(UPLOAD_PROTOCOLS)]
            number += 1
            try:
                voice = await asyncio.to_thread(self.upload)
                counts["upload"] += 1
                try:
                    await self.churn.play(protocol, rng, voice, turns=1, only_final=True)
                finally:  # every uploaded voice is deleted
                    await asyncio.to_thread(self.delete, voice)
                    counts["delete"] += 1
            except urllib.error.HTTPError as error:
                self.churn.errors["voices"][f"http {error.code}"] += 1
            except (OSError, ValueError) as error:
                self.failures.append(f"voices: {type(error).__name__}: {error}")
            except SoakFailure as failure:
                self.failures.append(f"{failure} (in an uploaded voice)")
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
        self.protocols = [p for p in PROTOCOLS if p != "wyoming" or self.churn.wyoming_port]
        self.stop_at = time.monotonic() + self.args.minutes * 60
        churn = [self.upload_churn()] if self.args.upload_churn else []
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
    parser.add_argument("--wyoming-port", type=int, help="with --port: its Wyoming port (none: no Wyoming sessions)")
    parser.add_argument("--voice", default=VOICE)
    parser.add_argument("--sessions", type=int, default=14, help="WebSocket/TCP/HTTP sessions, protocol i mod 7")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=60, help="seconds before RSS is first measured")
    parser.add_argument("--final-weight", type=float, default=6, help="turns run to final per cancelled or dropped one")
    parser.add_argument("--deadline", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-errors", type=int, default=0, help="fail when more errors than this are counted")
    parser.add_argument("--upload-churn", action=argparse.BooleanOptionalAction, default=True,
                        help="beside the sessions: upload a voice, speak a turn in it, delete it, every second")
    args = parser.parse_args()
    args.warmup = min(args.warmup, args.minutes * 60 / 3)

    # Engine streams for every session twice over (a dropped turn's stream is freed a moment
    # after its socket) and the upload churn: at capacity is then rare (counted as an outcome).
    server = None if args.port else Server(args.binary, env={"POCKET_TTS_MAX_STREAMS": str(2 * args.sessions + 2)})
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
    churn = soak.churn
    errors = sum(sum(counter.values()) for counter in churn.errors.values())
    if errors > args.max_errors:
        soak.failures.append(f"{errors} errors (at most {args.max_errors})")
    turns_after_warm = soak.turns - soak.turns_at_warm
    growth = (rss_end - soak.rss_at_warm) / turns_after_warm if turns_after_warm and soak.rss_at_warm else float("nan")
    audio = [t for times in churn.first_audio.values() for t in times]
    print(f"soak: {args.sessions} sessions for {elapsed / 60:.1f} min: {soak.turns} turns ({soak.turns / elapsed:.1f}/s), "
          f"{errors} errors; voices {dict(churn.outcomes['voices'])}")
    for protocol in PROTOCOLS:
        times = churn.first_audio[protocol]
        print(f"  {protocol:17} {churn.turns(protocol):7} turns {dict(churn.outcomes[protocol])}, "
              f"errors {dict(churn.errors[protocol])}, first audio {latency(times)}")
    if churn.errors["voices"]:
        print(f"  voices errors: {dict(churn.errors['voices'])}")
    print(f"  first audio, all: {latency(audio)}")
    if server:
        print(f"  server RSS: {rss_start / 2**20:.1f} MB at start, {soak.rss_at_warm / 2**20:.1f} MB after {args.warmup:.0f} s warm-up, "
              f"{rss_end / 2**20:.1f} MB at the end: {growth:+.0f} bytes per turn over {turns_after_warm} turns")
        if soak.rss_at_warm:
            print(f"  RSS growth after the warm-up: {(rss_end - soak.rss_at_warm) / soak.rss_at_warm * 100:+.1f} %")
    print(f"  server's loop lag: {loop_lag_summary(port)}")
    return finish(server, soak.failures)


def latency(times: list[float]) -> str:
    if not times:
        return "none"
    return (f"p50 {percentile(times, 50) * 1000:.0f} ms, p99 {percentile(times, 99) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms ({len(times)})")


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
