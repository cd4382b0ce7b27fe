"""pocket-tts-bench: N concurrent sessions against a speech server; latency and playout figures.

    pocket-tts-bench --url ws://127.0.0.1:8000/tts/ws --sessions 8 --style agent --json out.json
    pocket-tts-bench --url http://127.0.0.1:8000/tts --sessions 1          # the reference's POST /tts

Styles: `agent` (each sentence as one text message, then flush; sessions start together; first
audio timed from the flush), `caption` (word by word at --wps; first audio timed from the first
word), `poisson` (agent turns, sessions arriving at random with mean interval --arrival-mean-ms).
Per turn: time to first audio, gaps between audio messages, real-time factor (wall time from the
start to the last audio over audio duration: below 1 is faster than real time), and underruns of a
simulated playout buffer (playback starts after --buffer-ms of audio, then runs in real time).
"""
from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import websockets.exceptions

from .client import ServerError, TTSClient, Turn
from .http_stream import HTTPStatusError, post_tts
from .playout import simulate_playout
from . import report

DEFAULT_TEXT = ("Thanks for calling, I can help you with that. Your order shipped this morning and should "
                "arrive on Thursday. Is there anything else I can do for you today?")


@dataclass
class TurnResult:
    session: int
    turn: int
    arrived_at: float = 0.0  # seconds after the benchmark started that the turn began (t0)
    first_audio_ms: float | None = None
    audio_seconds: float = 0.0
    wall_seconds: float | None = None  # t0 -> last audio
    messages: int = 0
    gaps_ms: list[float] = field(default_factory=list)  # between consecutive audio messages
    underruns: int = 0
    stall_ms: float = 0.0
    playout_start_ms: float | None = None  # after t0
    levels: list[tuple[float, float]] = field(default_factory=list)  # (s after t0, buffered ms)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.messages > 0

    @property
    def rtf(self) -> float | None:
        if not self.audio_seconds or self.wall_seconds is None:
            return None
        return self.wall_seconds / self.audio_seconds

    @property
    def x_real_time(self) -> float | None:
        return 1 / self.rtf if self.rtf else None

    @property
    def max_gap_ms(self) -> float | None:
        return max(self.gaps_ms) if self.gaps_ms else None


def measure_turn(result: TurnResult, turn: Turn, t0: float, bench_start: float, buffer_seconds: float) -> None:
    """Fills `result` from the arrivals `turn` recorded, timed from `t0`."""
    result.arrived_at = t0 - bench_start
    result.messages = turn.messages
    result.audio_seconds = turn.seconds
    if not turn.arrivals:
        return
    times = [received for received, _ in turn.arrivals]
    result.first_audio_ms = (times[0] - t0) * 1000
    result.wall_seconds = times[-1] - t0
    result.gaps_ms = [(later - earlier) * 1000 for earlier, later in zip(times, times[1:])]
    playout = simulate_playout(turn.arrivals, buffer_seconds)
    result.underruns = playout.underruns
    result.stall_ms = playout.stall_seconds * 1000
    result.playout_start_ms = (playout.start_time - t0) * 1000
    result.levels = [(round(at - t0, 4), round(level * 1000, 1)) for at, level in playout.levels]


def sentences(text: str) -> list[str]:
    """The text cut after each sentence end, spaces kept, so the pieces join back to it."""
    pieces = re.findall(r".*?[.!?]+(?:\s+|$)|.+$", text, flags=re.S)
    return [piece for piece in pieces if piece]


def turn_config(args: argparse.Namespace) -> dict:
    return dict(voice=args.voice, format=args.format, sample_rate=args.sample_rate, decode=False,
                temperature=args.temperature, eos_threshold=args.eos_threshold, seed=args.seed,
                max_tokens=args.max_tokens, lsd_decode_steps=args.lsd_decode_steps, model=args.model)


async def feed(client: TTSClient, args: argparse.Namespace, text: str) -> float:
    """Sends one turn's text in the chosen style; returns t0 (flush, or the first word)."""
    if args.style == "caption":
        words = text.split()
        t0 = time.perf_counter()
        for i, word in enumerate(words):
            if i:
                await asyncio.sleep(max(0.0, t0 + i / args.wps - time.perf_counter()))
            await client.send_text(word + " ")
        await client.flush()
        return t0
    for sentence in sentences(text):
        await client.send_text(sentence)
    await client.flush()
    return time.perf_counter()


async def ws_session(index: int, args: argparse.Namespace, text: str, bench_start: float,
                     ready: asyncio.Event, go: asyncio.Event, delay: float) -> list[TurnResult]:
    results: list[TurnResult] = []
    client = None
    try:
        if delay:
            await asyncio.sleep(delay)
        client = await TTSClient.connect(args.url, api_key=args.api_key, open_timeout=args.timeout)
        for turn_index in range(args.turns):
            result = TurnResult(session=index, turn=turn_index)
            results.append(result)
            await client.configure(**turn_config(args))
            if turn_index == 0:
                ready.set()
                await go.wait()
            turn = client.turn
            receiver = asyncio.create_task(_drain(client.audio(), args.timeout))
            t0 = None
            try:
                t0 = await feed(client, args, text)
                await receiver
            finally:
                receiver.cancel()
                if t0 is not None:  # what arrived counts, even when the turn then failed
                    measure_turn(result, turn, t0, bench_start, args.buffer_ms / 1000)
    except ServerError as error:
        _fail(results, index, str(error))
    except asyncio.TimeoutError:
        _fail(results, index, f"timeout: nothing received for {args.timeout} s")
    except websockets.exceptions.InvalidStatus as error:
        _fail(results, index, f"refused: HTTP {error.response.status_code}")
    except (websockets.exceptions.ConnectionClosed, OSError) as error:
        _fail(results, index, f"connection: {error}")
    finally:
        ready.set()
        if client is not None:
            await client.close()
    return results


async def _drain(stream, idle_timeout: float) -> None:
    """Consumes an audio stream to its end; TimeoutError after `idle_timeout` s without a message."""
    iterator = stream.__aiter__()
    while True:
        try:
            await asyncio.wait_for(iterator.__anext__(), timeout=idle_timeout)
        except StopAsyncIteration:
            return


def _fail(results: list[TurnResult], index: int, message: str) -> None:
    """Marks the turn in progress (or, before the first, a new one) as failed."""
    if not results:
        results.append(TurnResult(session=index, turn=0))
    results[-1].error = message


async def http_session(index: int, args: argparse.Namespace, text: str, bench_start: float,
                       ready: asyncio.Event, go: asyncio.Event, delay: float) -> list[TurnResult]:
    ready.set()
    await go.wait()
    if delay:
        await asyncio.sleep(delay)
    results = []
    for turn_index in range(args.turns):
        result = TurnResult(session=index, turn=turn_index)
        results.append(result)
        turn = Turn(request_id="", format="wav", sample_rate=24000)
        try:
            stream = post_tts(args.url, text, voice_url=args.voice, api_key=args.api_key, decode=False, turn=turn)
            await _drain(stream, args.timeout)
        except asyncio.TimeoutError:  # before OSError: TimeoutError is one
            result.error = f"timeout: nothing received for {args.timeout} s"
        except (HTTPStatusError, OSError, ValueError) as error:
            result.error = f"{type(error).__name__}: {error}"
        if turn.started_at:
            measure_turn(result, turn, turn.started_at, bench_start, args.buffer_ms / 1000)
        if result.error:
            break
    return results


def arrival_delays(args: argparse.Namespace) -> list[float]:
    """Seconds after the start at which each session begins."""
    if args.style != "poisson":
        return [0.0] * args.sessions
    rng = random.Random(args.arrival_seed)
    delays, at = [], 0.0
    for i in range(args.sessions):
        delays.append(at)
        at += rng.expovariate(1000 / args.arrival_mean_ms)
    return delays


async def run(args: argparse.Namespace, text: str) -> list[TurnResult]:
    session = http_session if args.protocol == "http" else ws_session
    if args.warmup:
        warm = argparse.Namespace(**{**vars(args), "turns": 1, "style": "agent"})
        event = asyncio.Event()
        event.set()
        await session(-1, warm, text, time.perf_counter(), asyncio.Event(), event, 0.0)
    bench_start = time.perf_counter()
    readies = [asyncio.Event() for _ in range(args.sessions)]
    go = asyncio.Event()
    tasks = [asyncio.create_task(session(i, args, text, bench_start, readies[i], go, delay))
             for i, delay in enumerate(arrival_delays(args))]
    if args.style == "poisson":
        go.set()  # sessions connect when they arrive
    else:
        await asyncio.gather(*(ready.wait() for ready in readies))
        go.set()  # everyone connected and configured: start together
    per_session = await asyncio.gather(*tasks)
    return [result for results in per_session for result in results]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pocket-tts-bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="ws://HOST:PORT/tts/ws (native) or http://HOST:PORT/tts (POST form, WAV)")
    parser.add_argument("--sessions", type=int, default=1, help="concurrent sessions (default 1)")
    parser.add_argument("--turns", type=int, default=1, help="turns per session, one after another (WebSocket; HTTP: requests)")
    parser.add_argument("--style", choices=("agent", "caption", "poisson"), default="agent")
    parser.add_argument("--wps", type=float, default=3.0, help="caption style: words per second (default 3)")
    parser.add_argument("--arrival-mean-ms", type=float, default=1000.0, help="poisson style: mean interval between sessions")
    parser.add_argument("--arrival-seed", type=int, default=0, help="poisson style: seed of the arrival times")
    parser.add_argument("--text", help="the text of every turn (default: three sentences)")
    parser.add_argument("--text-file", type=Path, help="read the text of every turn from this file")
    parser.add_argument("--format", default="pcm", help="pcm, pcm_f32, opus, ogg, mulaw, alaw, wav (WebSocket only)")
    parser.add_argument("--sample-rate", type=int, default=24000)
    parser.add_argument("--voice", help="voice name (WebSocket) or voice_url (HTTP); default: the server's")
    parser.add_argument("--model", help="the model of every turn, for a service serving several (the config's "
                                        "\"model\" key, WebSocket only); default: the server's")
    parser.add_argument("--api-key", help="sent as X-API-Key")
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--eos-threshold", type=float,
                        help="1e9 never ends a sentence early: fixed lengths on random (demo) weights")
    parser.add_argument("--max-tokens", type=int, help="tokens per generated chunk (server default 50)")
    parser.add_argument("--lsd-decode-steps", type=int)
    parser.add_argument("--seed", type=int, help="sampling seed sent in every config")
    parser.add_argument("--buffer-ms", type=float, default=300.0, help="simulated playout buffer before playback starts (default 300)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds a turn may wait for its next message (connecting too) before it fails (default 60)")
    parser.add_argument("--warmup", action="store_true", help="one unmeasured turn before the sessions")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--plot", type=Path, help="PNG: first-audio histogram and buffer levels (needs matplotlib)")
    parser.add_argument("--per-turn", action="store_true", help="print one line per turn")
    args = parser.parse_args(argv)
    scheme = urlsplit(args.url).scheme
    if scheme in ("ws", "wss"):
        args.protocol = "ws"
    elif scheme == "http":
        args.protocol = "http"
        if args.style == "caption":
            parser.error("--style caption needs the WebSocket protocol (ws://.../tts/ws): POST /tts takes the whole text")
        if args.format != "pcm":
            parser.error("POST /tts answers WAV (16-bit PCM); --format applies to ws:// URLs only")
        if args.model:
            parser.error("--model is sent in the WebSocket config (ws://.../tts/ws); POST /tts has no model field")
    else:
        parser.error(f"--url must start with ws://, wss:// or http://, not {args.url!r}")
    if args.sessions < 1 or args.turns < 1:
        parser.error("--sessions and --turns must be at least 1")
    if args.wps <= 0 or args.arrival_mean_ms <= 0 or args.buffer_ms < 0:
        parser.error("--wps and --arrival-mean-ms must be positive, --buffer-ms not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    text = args.text_file.read_text().strip() if args.text_file else (args.text or DEFAULT_TEXT)
    if not text.strip():
        print("pocket-tts-bench: the text is empty", file=sys.stderr)
        return 2
    if args.plot:
        try:
            import matplotlib  # noqa: F401  (checked before the run, not after it)
        except ImportError:
            print("pocket-tts-bench: --plot needs matplotlib (pip install 'pocket-tts-client[plot]')", file=sys.stderr)
            return 2
    wall_start = time.time()
    started = time.perf_counter()
    results = asyncio.run(run(args, text))
    elapsed = time.perf_counter() - started
    document = report.document(args, text, results, wall_start, elapsed)
    print(report.render(document, per_turn=args.per_turn))
    if args.json:
        report.write_json(document, args.json)
        print(f"wrote {args.json}")
    if args.plot:
        try:
            report.plot(results, args.plot, title=report.title(args))
            print(f"wrote {args.plot}")
        except ImportError:
            print("pocket-tts-bench: --plot needs matplotlib (pip install 'pocket-tts-client[plot]')", file=sys.stderr)
            return 2
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
