#!/usr/bin/env python3
"""Fuzzes the native WebSocket protocol (/tts/ws) of `pocket-tts serve` on the tiny test model.

    python3 Tests/fuzz/fuzz.py --binary .build/debug/pocket-tts --messages 20000      # make test
    python3 Tests/fuzz/fuzz.py --binary .build/release/pocket-tts --messages 1000000  # make fuzz
    python3 Tests/fuzz/fuzz.py --port 8000 ...   # a server already running (tiny model not needed)

Workers open connections and play scenarios: ping floods, config/cancel storms, batches of
wrong messages (text before config, binary frames, unknown types, out-of-range and extreme
configs, hostile voice names, over-long text), randomly mutated frames, deep nesting, invalid
UTF-8, protocol violations (reserved bits, bad opcodes, oversized and lying frames), real turns
with extreme settings and hostile text that end in final, cancel, close or a TCP reset, and
abrupt disconnects. Kyutai (/api/tts_streaming, msgpack), Deepgram (/v1/speak) and ElevenLabs (/v1/text-to-speech/…) sessions
play their own scenarios (Tests/fuzz/protocols.py), and so do Wyoming connections on the raw TCP port (Tests/fuzz/wyoming.py).
SSML documents (Tests/fuzz/ssml.py: valid, malformed, mutated) go to every protocol that carries SSML:
native `ssml: true` turns, Wyoming `text_format: ssml`, ElevenLabs `enable_ssml_parsing=true`, and
`<speak>` texts to `/v1/audio/speech` and `/tts`; a valid one must end in audio, a malformed one in
`invalid_ssml` (HTTP 400), and the session go on. Every batch ends with a ping whose pong proves the server handled it all.
Big inputs (long words, texts without spaces, 100,000-character HTTP bodies, up to six at once,
on every protocol: Tests/fuzz/bulk.py) check that no input holds the event loop: a side
connection pings every 20 ms through the run and no pong may take over --max-pong-ms.

Pass: the server process never dies; every message gets its documented reply (or close) within
--deadline seconds; a normal turn works after every round; `pocket_tts_sessions` returns to 0.
Exit status 0 on pass, 1 on failure (the first failures are printed, with the server log tail).
"""
import argparse
import asyncio
import json
import os
import random
import sys
import time
import urllib.parse
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import VOICE, Closed, RawWebSocket, Server, finish, frame, metric_at, text_frame  # noqa: E402
import protocols  # noqa: E402  (Kyutai's /api/tts_streaming and Deepgram's /v1/speak)
import bulk  # noqa: E402  (big inputs on every protocol, and the loop's lag as pongs show it)
import http_heads  # noqa: E402  (malformed HTTP requests, first or after a good one on a keep-alive connection)
import wyoming  # noqa: E402  (Home Assistant's Wyoming, raw TCP on the server's wyoming_port)
import ssml  # noqa: E402  (SSML documents: valid, malformed, mutated)

PING = json.dumps({"type": "ping"})
CANCEL = json.dumps({"type": "cancel"})
FLUSH = json.dumps({"type": "flush"})
FORMATS = ["pcm", "pcm_f32", "opus", "ogg", "mulaw", "alaw", "wav"]
OPUS_RATES = [8000, 12000, 16000, 24000, 48000]
MAX_MESSAGE_BYTES = 65536
HOSTILE_VOICES = ["../../etc/passwd", "/etc/passwd", "voice_state/../voice_state", "nul\u0000byte", "upload:0123456789abcdef",
                  "upload:", "CON", " ", "\u202e" + "evil", "x" * 128, "🎤", "alba\n", "%00", "voices/alba"]
SHORT_TEXTS = ["Hi.", "👩‍👩‍👧‍👦 family.", "e\u0301\u0301 accents.", "你好。", "\u0000\u0007 bell.", "?!?! ", "3.14. ",
               "ǅ ß ŉ ﬁ.", "\u200b.", "", " ", "مرحبا."]
HOSTILE_TEXTS = ["👩‍👩‍👧‍👦 family.", "e\u0301\u0301\u0301\u0301 accents. ", "مرحبا بالعالم. ", "你好。世界！", "\u0000\u0007 bell. ",
                 "\u200b\u200b\u200b zero width. ", "?!?!?!... ", ". . . . . . ", "a" * 3000 + " ", "3.14159 is pi. ",
                 "Dr. J. R. R. Tolkien wrote. ", "\n\n\n", "\t\t tabs.\t", "ǅ ß ŉ ﬁ upper. ", "A" * 200 + "! ",
                 "Hello", " there", ". ", "", " ", "(\"quoted.\") ", "U.S.A. e.g. ", "\ufeff bom. ", "\ufffd replacement. "]


def config_message(data: dict) -> str:
    return json.dumps({"type": "config", "data": data})


def text_message(text: str) -> str:
    return json.dumps({"type": "text", "data": {"text": text}})


def extreme_config(rng: random.Random) -> dict:
    """A config every value of which is valid, many at their extremes."""
    fmt = rng.choice(FORMATS)
    data = {"voice": VOICE, "format": fmt, "binary": rng.random() < 0.7,
            "sample_rate": rng.choice(OPUS_RATES) if fmt == "opus" else rng.choice([8000, 11025, 16000, 22050, 24000, 44100, 48000]),
            "temperature": rng.choice([0, 1e-30, 0.7, 5, 1e10, 1e38]),
            "lsd_decode_steps": rng.choice([1, 2, 32]),
            "eos_threshold": rng.choice([-1e30, -4, 0, 3]),
            "noise_clamp": rng.choice([None, 1e-30, 0.5, 1e30]),
            "seed": rng.choice([0, 2**63 - 1, rng.randrange(2**63)]),
            "max_tokens": rng.choice([1, 50, 100]),  # 100: the server's max_tokens_per_chunk
            "speed": rng.choice([0.25, 1, 1.7, 4]),
            "unknown_key": rng.choice([None, [1, 2], {"a": "b"}])}
    for key in rng.sample(list(data), rng.randrange(0, 4)):
        if key != "voice":
            del data[key]
    return data


def invalid_config(rng: random.Random) -> tuple[dict, str]:
    """A config with one bad value, and the error code it must get."""
    key, value = rng.choice([
        ("sample_rate", 1e300), ("sample_rate", -1), ("sample_rate", 7999), ("sample_rate", 48001), ("sample_rate", 24000.5),
        ("sample_rate", "24000"), ("seed", -1), ("seed", 1e300), ("seed", 2**64), ("max_tokens", 0), ("max_tokens", 10**20),
        ("lsd_decode_steps", 0), ("lsd_decode_steps", 10**9), ("temperature", -1), ("temperature", 1e300), ("temperature", "hot"),
        ("eos_threshold", 1e300), ("noise_clamp", 0), ("noise_clamp", -1), ("noise_clamp", 1e-300), ("format", "mp3"),
        ("speed", 0.2), ("speed", 4.01), ("speed", 1e300), ("speed", "fast"), ("format", "flac"), ("format", "x" * 5000), ("format", 3), ("binary", "yes"), ("voice", ""), ("voice", "v" * 129), ("voice", 5),
        ("voice", rng.choice(HOSTILE_VOICES)),
    ])
    data = {"voice": VOICE, key: value}
    if key == "sample_rate" and isinstance(value, (int, float)) and not isinstance(value, bool) and 8000 <= value <= 48000 \
            and value == int(value):
        data["format"] = "opus"  # 8000...48000 but not an Opus rate
    code = "unknown_voice" if key == "voice" and isinstance(value, str) and 0 < len(value) <= 128 else "invalid_config"
    return data, code


def deep(rng: random.Random) -> str:
    n = rng.choice([33, 100, 513, 2000, 10000])  # under max_message_bytes: the JSON limits answer, not the frame limit
    return rng.choice(["[" * n, '[{"a":' * (n // 2) + "[", '{"type":"ping","x":' + "[" * n, '{"a":' * n])


def mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        i = rng.randrange(len(data) + 1)
        if op == 0 and data:
            data[min(i, len(data) - 1)] = rng.randrange(256)
        elif op == 1:
            data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 2 and data:
            del data[i:i + rng.randint(1, 8)]
        elif op == 3:
            data[i:i] = rng.choice([b"[", b"{", b"]", b"}", b'"', b"\\", b",", b":", b"1e999", b"NaN", b"null", b"\xff", b"\xc0\x80"])
        elif op == 4:
            data = data[:i]
        else:
            data = data + data[: rng.randint(0, len(data))]
    return bytes(data)


class Failure(Exception):
    pass


class Stats:
    def __init__(self):
        self.messages = 0
        self.scenarios = Counter()
        self.seconds = Counter()
        self.closes = Counter()
        self.errors = Counter()
        self.turns = Counter()
        self.failures: list[str] = []


class Worker:
    def __init__(self, port: int, rng: random.Random, stats: Stats, deadline: float, turn_weight: float = 1):
        self.turn_weight = turn_weight
        self.port = port
        self.rng = rng
        self.stats = stats
        self.deadline = deadline
        self.wyoming_port: int | None = None  # the server's Wyoming port (fuzz.py sets it)

    def failure(self, text: str) -> "Failure":
        return Failure(text)

    async def connect(self) -> RawWebSocket:
        return await RawWebSocket.connect(self.port)

    async def send(self, ws: RawWebSocket, texts: list[str], raw: bytes = b"") -> None:
        self.stats.messages += len(texts)
        await ws.send(b"".join(text_frame(t) for t in texts) + raw)

    async def replies_until_pong(self, ws: RawWebSocket, allow_audio: bool) -> Counter:
        """Reads up to the barrier's pong: the replies by kind ("error:<code>", "event:<type>", "audio")."""
        seen = Counter()
        while True:
            try:
                kind, payload = await ws.receive(self.deadline)
            except asyncio.TimeoutError:
                raise Failure(f"no reply within {self.deadline} s (replies so far: {dict(seen)})")
            if kind == "binary":
                seen["audio"] += 1
                continue
            message = json.loads(payload)
            if message["type"] == "pong":
                if seen["audio"] and not allow_audio:
                    raise Failure(f"audio without a turn: {dict(seen)}")
                return seen
            if message["type"] == "audio":
                seen["audio"] += 1
            elif message["type"] == "error":
                seen["error:" + message["data"]["code"]] += 1
                self.stats.errors[message["data"]["code"]] += 1
            else:
                seen["event:" + message["data"]["event_type"]] += 1

    async def expect_close(self, ws: RawWebSocket, codes: set, what: str) -> None:
        """Reads until the server closes; the close code must be in `codes` (None: EOF/reset)."""
        while True:
            try:
                await ws.receive(self.deadline)
            except Closed as closed:
                self.stats.closes[closed.code] += 1
                if closed.code not in codes:
                    raise Failure(f"{what}: closed with {closed.code} {closed.reason!r}, expected one of {codes}")
                return
            except asyncio.TimeoutError:
                raise Failure(f"{what}: not closed within {self.deadline} s")

    # MARK: scenarios (each on its own connection)

    async def ping_flood(self, ws: RawWebSocket) -> None:
        n = self.rng.randint(50, 1000)
        await self.send(ws, [PING] * (n - 1))
        await self.send(ws, [PING])
        for _ in range(n - 1):
            kind, payload = await ws.receive(self.deadline)
            if payload != '{"type":"pong"}':
                raise Failure(f"ping flood: got {payload!r}")
        await self.replies_until_pong(ws, allow_audio=False)

    async def cancel_storm(self, ws: RawWebSocket) -> None:
        n = self.rng.randint(10, 200)
        await self.send(ws, [config_message({"voice": VOICE}), CANCEL] * n + [PING])
        seen = await self.replies_until_pong(ws, allow_audio=False)
        answered = seen["event:config_accepted"] + seen["error:at_capacity"]
        if answered != n or sum(seen.values()) != n:
            raise Failure(f"cancel storm of {n}: {dict(seen)}")

    async def wrong_messages(self, ws: RawWebSocket) -> None:
        """Messages refused with exactly one error each, whatever the order (no turn is open)."""
        texts, expected = [], Counter()
        for _ in range(self.rng.randint(10, 100)):
            choice = self.rng.randrange(9)
            if choice == 0:
                texts.append(text_message(self.rng.choice(HOSTILE_TEXTS)))  # text before config
                expected["error:invalid_type"] += 1
            elif choice == 1:
                texts.append(FLUSH)
                expected["error:invalid_type"] += 1
            elif choice == 2:
                texts.append(json.dumps({"type": self.rng.choice(["speak", "", "PING", "x" * 3000, "config "])}))
                expected["error:invalid_type"] += 1
            elif choice == 3:
                texts.append(self.rng.choice(["[1]", '"ping"', "{}", '{"type":3}', "null", "42", '{"data":{}}']))
                expected["error:invalid_type"] += 1
            elif choice == 4:
                data, code = invalid_config(self.rng)
                texts.append(config_message(data))
                expected["error:" + code] += 1
            elif choice == 5:
                texts.append(self.rng.choice([text_message("x" * 10_001), '{"type":"text","data":{"text":5}}',
                                              '{"type":"text"}', '{"type":"text","data":"hi"}']))
                expected["error:invalid_text"] += 1
            elif choice == 6:
                texts.append(CANCEL)  # no turn: nothing
            elif choice == 7:
                texts.append(PING)  # answered in order: ends a stretch of replies
            else:
                texts.append(json.dumps({"type": "config", "data": self.rng.choice([[], "x", 5, True])}))
                expected["error:invalid_config"] += 1
        binaries = self.rng.randint(0, 3)
        pings = texts.count(PING)
        await self.send(ws, texts, raw=b"".join(frame(2, os.urandom(self.rng.randint(0, 64))) for _ in range(binaries)))
        self.stats.messages += binaries
        expected["error:invalid_type"] += binaries
        seen = Counter()
        for _ in range(pings):  # each inner ping ends a stretch of replies
            seen += await self.replies_until_pong(ws, allow_audio=False)
        await self.send(ws, [PING])
        seen += await self.replies_until_pong(ws, allow_audio=False)
        if seen != +expected:
            raise Failure(f"wrong messages: expected {dict(+expected)}, got {dict(seen)}")
        if self.rng.random() < 0.5:
            await self.closing_frame(ws)

    async def closing_frame(self, ws: RawWebSocket) -> None:
        """One frame after which the server must close the connection."""
        choice = self.rng.randrange(8)
        self.stats.messages += 1
        if choice == 0:
            await ws.send(text_frame(deep(self.rng)))
            await self.expect_parse_error_close(ws, "deep nesting")
        elif choice == 1:
            await ws.send(text_frame(self.rng.choice(["{", "hello", '{"type":"ping"', "NaN", "1e999", '{"type":"config","data":{"seed":NaN}}'])))
            await self.expect_parse_error_close(ws, "invalid JSON")
        elif choice == 2:
            await ws.send(frame(1, self.rng.choice([b"\xff\xfe", b"abc\xc0\x80", b"\xed\xa0\x80", b'{"type":"ping"}\x80'])))
            await self.expect_close(ws, {1007}, "invalid UTF-8")
        elif choice == 3:
            await ws.send(frame(2, os.urandom(self.rng.choice([MAX_MESSAGE_BYTES + 1, 200_000]))))
            await self.expect_close(ws, {1009}, "oversized message")
        elif choice == 4:
            await ws.send(frame(1, PING.encode(), rsv=self.rng.randint(1, 7)))
            await self.expect_close(ws, {1002, None}, "reserved bits")
        elif choice == 5:
            await ws.send(frame(self.rng.choice([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), b"x"))
            await self.expect_close(ws, {1002, None}, "unknown opcode")
        elif choice == 6:
            await ws.send(frame(9, b"x" * 126))  # a control frame longer than 125 bytes
            await self.expect_close(ws, {1002, None}, "long control frame")
        else:
            await ws.send(frame(0, b"orphan continuation"))
            await self.expect_close(ws, {1002, None}, "continuation without a start")

    async def expect_parse_error_close(self, ws: RawWebSocket, what: str) -> None:
        kind, payload = await ws.receive(self.deadline)
        if kind != "text" or json.loads(payload)["data"].get("code") != "parse_error":
            raise Failure(f"{what}: expected parse_error, got {payload!r}")
        self.stats.errors["parse_error"] += 1
        await self.expect_close(ws, {1008}, what)

    async def mutated(self, ws: RawWebSocket) -> None:
        """Mutated valid messages, one at a time: any one reply (a turn is cancelled), or a close."""
        seeds = [PING, FLUSH, CANCEL, text_message("Hello there. "), config_message(extreme_config(self.rng))]
        for _ in range(self.rng.randint(1, 20)):
            data = mutate(self.rng.choice(seeds).encode(), self.rng)
            self.stats.messages += 1
            await ws.send(frame(1, data) + text_frame(PING))
            self.stats.messages += 1
            try:
                seen = await self.replies_until_pong(ws, allow_audio=True)
            except Closed as closed:
                self.stats.closes[closed.code] += 1
                if closed.code not in (1007, 1008):
                    raise Failure(f"mutated {data[:80]!r}: closed with {closed.code} {closed.reason!r}")
                return
            if seen["event:config_accepted"]:
                await self.send(ws, [CANCEL])

    async def turn(self, ws: RawWebSocket) -> None:
        """A real turn with extreme settings and hostile text; ends in final, cancel, close or reset."""
        config = extreme_config(self.rng)
        await self.send(ws, [config_message(config)])
        kind, payload = await ws.receive(self.deadline)
        reply = json.loads(payload)
        if reply["type"] == "error" and reply["data"]["code"] == "at_capacity":
            self.stats.turns["at_capacity"] += 1
            return
        if reply.get("data", {}).get("event_type") != "config_accepted":
            raise Failure(f"turn config {config}: {payload!r}")
        # Settings that may never reach EOS (huge temperature or threshold), and long texts, run
        # to the frame limit: such turns end early, the others run to their final.
        slow = config.get("temperature", 0.7) >= 1e10 or config.get("eos_threshold", -4) >= 0
        pieces = [self.rng.choice(HOSTILE_TEXTS) for _ in range(self.rng.randint(1, 6))]
        if not slow and self.rng.random() < 0.8:
            pieces = [self.rng.choice(SHORT_TEXTS) for _ in range(self.rng.randint(1, 2))]
            slow = False
        else:
            slow = True
        await self.send(ws, [text_message(p) for p in pieces])
        ending = self.rng.choices(["final", "cancel", "close", "reset"], [0 if slow else 6, 2, 1, 1])[0]
        self.stats.turns[ending] += 1
        if ending == "final":
            await self.send(ws, [FLUSH])
            await self.until_final(ws, config)
        elif ending == "cancel":
            await asyncio.sleep(self.rng.random() * 0.3)
            await self.send(ws, [CANCEL, PING])
            await self.replies_until_pong(ws, allow_audio=True)
        elif ending == "close":
            await self.send(ws, [FLUSH])
            await asyncio.sleep(self.rng.random() * 0.3)
            await ws.close()
        else:
            await self.send(ws, [FLUSH])
            await asyncio.sleep(self.rng.random() * 0.3)
            ws.abort(reset=True)

    async def ssml_turn(self, ws: RawWebSocket) -> None:
        """An `ssml: true` turn: a valid document ends in final, a malformed one in invalid_ssml
        (then the session takes another turn), a mutated one in either."""
        source, outcome = ssml.document(self.rng)
        config = {"voice": VOICE, "ssml": True, "temperature": 0, "format": self.rng.choice(FORMATS)}
        if config["format"] == "opus":
            config["sample_rate"] = 24000
        await self.send(ws, [config_message(config)])
        reply = json.loads((await ws.receive(self.deadline))[1])
        if reply["type"] == "error" and reply["data"]["code"] == "at_capacity":
            self.stats.turns["at_capacity"] += 1
            return
        if reply.get("data", {}).get("event_type") != "config_accepted":
            raise Failure(f"ssml config {config}: {reply}")
        await self.send(ws, [text_message(piece) for piece in ssml.pieces(self.rng, source)] + [FLUSH])
        while True:
            try:
                kind, payload = await ws.receive(self.deadline)
            except asyncio.TimeoutError:
                raise Failure(f"ssml {source[:200]!r}: no final or error within {self.deadline} s")
            if kind == "binary":
                continue
            message = json.loads(payload)
            if message["type"] == "audio":
                continue
            got = "ok" if message.get("data", {}).get("event_type") == "final" else message["data"].get("code")
            if got not in ("ok", "invalid_ssml", "invalid_text") or (outcome and got != outcome and got != "invalid_text"):
                raise Failure(f"ssml {source[:300]!r}: expected {outcome}, got {payload[:200]!r}")
            self.stats.turns["ssml_" + got] += 1
            break
        await self.send(ws, [PING])  # the session goes on
        await self.replies_until_pong(ws, allow_audio=True)

    async def ssml_http(self) -> None:
        """An SSML document to OpenAI's endpoint or the reference form (text starting with <speak>):
        200 for a valid one, 400 invalid_ssml for a malformed one (503 at capacity)."""
        source, outcome = ssml.document(self.rng)
        if not ssml.looks_like_ssml(source):  # else plain text to these endpoints
            source = "<speak>" + source + "</speak>"
            outcome = outcome if outcome == "ok" else None
        if self.rng.random() < 0.5:
            path, kind = "/v1/audio/speech", "application/json"
            body = json.dumps({"model": "tts-1", "input": source, "voice": VOICE, "response_format": "pcm"}).encode()
        else:
            path, kind = "/tts", "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode({"text": source, "voice_url": VOICE}).encode()
        self.stats.messages += 1
        status = await bulk.http_post(self.port, path, body, kind, self.deadline)
        allowed = {"ok": {200, 503}, "invalid_ssml": {400, 503}, None: {200, 400, 503}}[outcome]
        if status not in allowed:
            raise Failure(f"ssml {path} {source[:200]!r}: expected {outcome}, got HTTP {status}")
        self.stats.turns[f"ssml_http_{status}"] += 1

    async def until_final(self, ws: RawWebSocket, config: dict) -> int:
        frames = 0
        while True:
            try:
                kind, payload = await ws.receive(self.deadline)
            except asyncio.TimeoutError:
                raise Failure(f"turn {config}: no final within {self.deadline} s after {frames} audio messages")
            if kind == "binary":
                frames += 1
                continue
            message = json.loads(payload)
            if message["type"] == "audio":
                frames += 1
            elif message.get("data", {}).get("event_type") == "final":
                return frames
            elif message["type"] == "error" and message["data"]["code"] == "invalid_text":
                continue  # the turn's text limit
            else:
                raise Failure(f"turn {config}: unexpected {payload[:200]!r}")

    async def abrupt(self) -> None:
        """Connections dropped at awkward moments."""
        choice = self.rng.randrange(5)
        self.stats.messages += 1
        if choice == 4:
            ws = await self.connect()
            await ws.send(os.urandom(self.rng.randint(1, 512)))  # random bytes, not frames
            await asyncio.sleep(0.01)
            ws.abort(reset=self.rng.random() < 0.5)
        elif choice == 0:
            ws = await self.connect()
            ws.abort(reset=True)
        elif choice == 1:
            ws = await self.connect()
            await ws.send(frame(1, b'{"type":"text","data":{"text":"half"}}')[:12])
            ws.abort(reset=self.rng.random() < 0.5)
        elif choice == 2:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.write(b"GET /tts/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
            await writer.drain()
            writer.transport.abort()
        else:
            ws = await self.connect()
            await ws.send(frame(1, b"x" * 100, declared_length=1 << 40)[:200])  # a lying length
            ws.abort(reset=True)

    async def run_one(self) -> None:
        scenario = self.rng.choices(
            ["ping_flood", "cancel_storm", "wrong_messages", "mutated", "turn", "abrupt", "closing_frame", "kyutai", "deepgram",
             "bulk", "elevenlabs", "wyoming", "ssml_turn", "ssml_http", "elevenlabs_ssml", "http_heads"],
            [3, 2, 4, 2, self.turn_weight, 1, 1, self.turn_weight / 2, self.turn_weight / 2, 0.3, self.turn_weight / 2,
             self.turn_weight if self.wyoming_port else 0, self.turn_weight / 2, self.turn_weight / 4, self.turn_weight / 4, 1])[0]
        self.stats.scenarios[scenario] += 1
        started = time.monotonic()
        try:
            await self.run_scenario(scenario)
        finally:
            self.stats.seconds[scenario] += time.monotonic() - started

    async def run_scenario(self, scenario: str) -> None:
        if scenario == "abrupt":
            await self.abrupt()
            return
        if scenario == "ssml_http":
            await self.ssml_http()
            return
        if scenario in ("kyutai", "deepgram", "elevenlabs", "elevenlabs_ssml"):
            await getattr(protocols, scenario)(self)
            return
        if scenario == "wyoming":
            await wyoming.wyoming(self)
            return
        if scenario == "bulk":
            await bulk.bulk(self)
            return
        if scenario == "http_heads":
            await http_heads.http_heads(self)
            return
        ws = await self.connect()
        try:
            await getattr(self, scenario)(ws)
        except Closed as closed:
            if scenario not in ("turn", "mutated"):
                raise Failure(f"{scenario}: connection closed unexpectedly ({closed.code} {closed.reason!r})")
        finally:
            if ws.closed is None and self.rng.random() < 0.5:
                await ws.close()
            else:
                ws.abort(reset=self.rng.random() < 0.3)


async def canary(port: int, deadline: float) -> None:
    """A normal turn on a fresh connection."""
    ws = await RawWebSocket.connect(port)
    try:
        for attempt in range(100):
            await ws.send(text_frame(config_message({"voice": VOICE, "temperature": 0})))
            reply = json.loads((await ws.receive(deadline))[1])
            if reply.get("data", {}).get("event_type") == "config_accepted":
                break
            if reply["data"].get("code") != "at_capacity":
                raise Failure(f"canary config: {reply}")
            await asyncio.sleep(0.1)
        else:
            raise Failure("canary: at capacity for 10 s")
        await ws.send(text_frame(text_message("Hello world.")) + text_frame(FLUSH))
        frames = await Worker(port, random.Random(0), Stats(), deadline).until_final(ws, {"canary": True})
        if frames == 0:
            raise Failure("canary: no audio")
    finally:
        await ws.close()


async def wait_sessions_zero(server_metric, deadline: float, watch: "bulk.PingWatch") -> float:
    """Until no session is open but the ping watch's own."""
    end = time.monotonic() + deadline
    while True:
        value = await asyncio.to_thread(server_metric, "pocket_tts_sessions")
        if value == (1 if watch.connected else 0):
            return value
        if time.monotonic() > end:
            raise Failure(f"pocket_tts_sessions is {value}, not 0, {deadline} s after the round")
        await asyncio.sleep(0.05)


def print_server_loop_lag(port: int, bound_ms: float) -> None:
    """The server's own measure beside the pongs: its timer every 25 ms, how late it ran
    (`pocket_tts_event_loop_lag_seconds`; a pong adds the watch's and the kernel's delays)."""
    try:
        count = metric_at(port, "pocket_tts_event_loop_lag_seconds_count")
        within = metric_at(port, 'pocket_tts_event_loop_lag_seconds_bucket{le="0.05"}' if bound_ms <= 50
                           else 'pocket_tts_event_loop_lag_seconds_bucket{le="+Inf"}')
    except Exception:  # noqa: BLE001: a server that is gone has no figure; the run says why
        return
    if count and within is not None:
        print(f"  server's own loop lag: {count:.0f} samples, {count - within:.0f} over "
              f"{50 if bound_ms <= 50 else bound_ms:.0f} ms")


def check_pongs(watch: "bulk.PingWatch", bound_ms: float) -> None:
    late = [(i, t) for i, t in enumerate(watch.trips) if t > bound_ms / 1000]
    if watch.error:
        raise Failure(watch.error)
    if late:
        raise Failure(f"event loop stalled: {len(late)} of {len(watch.trips)} pongs over {bound_ms:.0f} ms "
                      f"(worst {watch.worst * 1000:.0f} ms; ping numbers {[i for i, _ in late[:10]]})")


async def fuzz(args, server: Server | None, port: int, stats: Stats, watch: "bulk.PingWatch") -> None:
    rng = random.Random(args.seed)
    workers = [Worker(port, random.Random(rng.random()), stats, args.deadline, args.turn_weight) for _ in range(args.workers)]
    for worker in workers:
        worker.wyoming_port = server.wyoming_port if server else args.wyoming_port
    started = time.monotonic()
    round_size = max(1000, args.messages // args.rounds)
    rounds = 0
    metric = server.metric if server else (lambda series: metric_at(port, series))
    while stats.messages < args.messages:
        if time.monotonic() - started > args.time_limit:
            raise Failure(f"time limit: {stats.messages} of {args.messages} messages in {args.time_limit} s")
        target = min(args.messages, stats.messages + round_size)

        async def play(worker: Worker) -> None:
            while stats.messages < target:
                await worker.run_one()

        results = await asyncio.gather(*(play(w) for w in workers), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result if isinstance(result, Failure) else Failure(f"{type(result).__name__}: {result}")
        if server and not server.alive:
            raise Failure(f"the server died (exit status {server.process.returncode})")
        check_pongs(watch, args.max_pong_ms)
        await canary(port, args.deadline)
        await wait_sessions_zero(metric, args.deadline, watch)
        rounds += 1
        if args.verbose:
            print(f"round {rounds}: {stats.messages} messages, {time.monotonic() - started:.1f} s", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/debug/pocket-tts", help="pocket-tts to start on the tiny model")
    parser.add_argument("--port", type=int, help="fuzz a server already listening on 127.0.0.1:PORT instead")
    parser.add_argument("--wyoming-port", type=int, help="with --port: its Wyoming port (none: no Wyoming scenarios)")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=10, help="a canary turn and the sessions check after each")
    parser.add_argument("--deadline", type=float, default=15, help="seconds any reply may take")
    parser.add_argument("--time-limit", type=float, default=float("inf"))
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--turn-weight", type=float, default=1, help="how often a worker plays a real turn (others: 1 to 4)")
    parser.add_argument("--max-pong-ms", type=float, default=50,
                        help="fail when a side connection's ping waits longer for its pong (the event loop's lag)")
    parser.add_argument("--client-nice", type=int, default=5,
                        help="nice increment of the fuzzer's own process once the server and the ping watch run")
    parser.add_argument("--server-nice", type=int, default=0,
                        help="the server's nice increment (e.g. -5 as root on a machine shared with builds: "
                             "its loop's lag is then its own work's, not the machine's)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    stats = Stats()
    server = None if args.port else Server(args.binary, env={"POCKET_TTS_MAX_STREAMS": "4"}, nice=args.server_nice)
    port = args.port or server.port
    rss_before = server.rss_bytes() if server else 0
    started = time.monotonic()
    failure = None
    watch = bulk.PingWatch(port).start()
    # The load generator yields the cores to what it measures (the server it started before this,
    # and the ping watch's own process): on a 2-core machine a busy fuzzer at the same priority
    # would otherwise be what delays a pong now and then, not the server's event loop.
    os.nice(args.client_nice)
    try:
        asyncio.run(fuzz(args, server, port, stats, watch))
    except Failure as error:
        failure = str(error)
    except Exception as error:  # noqa: BLE001: any crash of the fuzzer is a failure too
        failure = f"{type(error).__name__}: {error}"
    watch.stop()
    elapsed = time.monotonic() - started
    trips = sorted(watch.trips)
    rss_after = server.rss_bytes() if server and server.alive else 0
    print(f"fuzz: seed {args.seed}, {stats.messages} messages in {elapsed:.1f} s ({stats.messages / max(elapsed, 1e-9):.0f}/s), "
          f"{args.workers} workers")
    print(f"  scenarios: {dict(stats.scenarios)}")
    print(f"  worker seconds per scenario: { {k: round(v, 1) for k, v in stats.seconds.items()} }")
    print(f"  turns: {dict(stats.turns)}")
    print(f"  errors received: {dict(stats.errors)}")
    print(f"  closes received: {dict(stats.closes)}")
    if trips:
        print(f"  side pings: {len(trips)}, round trip p50 {trips[len(trips) // 2] * 1000:.1f} ms, "
              f"p99 {trips[len(trips) * 99 // 100] * 1000:.1f} ms, worst {trips[-1] * 1000:.1f} ms (bound {args.max_pong_ms:.0f} ms; "
              f"the watch at {watch.priority})")
    if server:
        print(f"  server RSS: {rss_before / 2**20:.0f} MB before, {rss_after / 2**20:.0f} MB after")
    print_server_loop_lag(port, args.max_pong_ms)
    return finish(server, [failure] if failure else [])


if __name__ == "__main__":
    sys.exit(main())
