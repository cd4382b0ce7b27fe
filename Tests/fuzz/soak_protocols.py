"""One connection of churn per wire protocol, for the soak (soak.py); standard library only.

Each player connects, plays a few turns and leaves. A turn ends one of three ways, as a client of
that protocol does it: `final` (spoken to its end), `cancel` (barge-in once audio has come: the
protocol's own stop, or a close where the protocol has none) or `drop` (the connection closed or
reset mid-turn). `Churn` counts outcomes, errors and first audio per protocol; a missed deadline
or a message the protocol does not allow raises `SoakFailure`.

| protocol | turn | cancel / barge-in |
|---|---|---|
| native (`/tts/ws`) | config, words, flush, audio, final | `cancel`, then a ping's pong |
| kyutai (`/api/tts_streaming`) | Ready, msgpack Text words, Eos, audio, close 1000 | close 1000 after the first audio |
| deepgram (`/v1/speak`) | Speak words, Flush, audio, Flushed | Clear, Cleared |
| elevenlabs (`stream-input`) | first message, words, `{"text":""}`, audio, isFinal, close 1000 | close 1000 after the first audio |
| elevenlabs_multi (`multi-stream-input`) | a context: words, flush, close_context, audio, isFinal | close_context with immediate, isFinal |
| wyoming (TCP) | synthesize (or synthesize-start/chunk/stop), audio-start/chunk/stop | close after the first audio-chunk |
| openai (`POST /v1/audio/speech`) | the body streamed to its end | close after the first bytes |
"""
import asyncio
import json
import random
import time
from collections import Counter, defaultdict

from harness import Closed, RawWebSocket, frame, text_frame
from protocols import msgpack_type, pack
from wyoming import event as wyoming_event, read_event

PROTOCOLS = ["native", "kyutai", "deepgram", "elevenlabs", "elevenlabs_multi", "wyoming", "openai"]
SENTENCES = ["Hello there, this is a soak test.", "The quick brown fox jumps over the lazy dog.",
             "How are you doing today?", "Numbers like 3.14 and 42 are spoken too.", "One more sentence, then we stop."]
NATIVE_FORMATS = ["pcm", "pcm_f32", "opus", "ogg", "mulaw", "wav"]


class SoakFailure(Exception):
    """A reply missed its deadline or broke its protocol: the soak fails."""


class Churn:
    """Counters per protocol, and what every player needs."""

    def __init__(self, port: int, wyoming_port: int | None, deadline: float, final_weight: float):
        self.port = port
        self.wyoming_port = wyoming_port
        self.deadline = deadline
        self.final_weight = final_weight
        self.outcomes: dict[str, Counter] = defaultdict(Counter)
        self.errors: dict[str, Counter] = defaultdict(Counter)
        self.first_audio: dict[str, list[float]] = defaultdict(list)

    def turns(self, protocol: str | None = None) -> int:
        names = [protocol] if protocol else list(self.outcomes)
        return sum(self.outcomes[p][k] for p in names for k in ("final", "cancel", "drop"))

    def action(self, rng: random.Random) -> str:
        return rng.choices(["final", "cancel", "drop"], [self.final_weight, 1, 1])[0]

    def text(self, rng: random.Random) -> str:
        return " ".join(rng.sample(SENTENCES, rng.randint(1, 3)))

    def fail(self, protocol: str, what: str) -> SoakFailure:
        return SoakFailure(f"{protocol}: {what}")

    async def play(self, protocol: str, rng: random.Random, voice: str, turns: int | None = None,
                   only_final: bool = False) -> None:
        """One connection of `protocol`; its unexpected closes are errors of that protocol."""
        try:
            await PLAYERS[protocol](self, rng, voice, turns or rng.randint(1, 4), only_final)
        except Closed as closed:
            self.errors[protocol][f"closed {closed.code} {closed.reason}"[:80]] += 1
        except (ConnectionError, OSError, asyncio.IncompleteReadError) as error:
            self.errors[protocol][f"connection: {type(error).__name__}"] += 1
        except asyncio.TimeoutError:
            raise self.fail(protocol, f"no reply within {self.deadline} s")


def drop(ws: RawWebSocket, rng: random.Random) -> None:
    ws.abort(reset=rng.random() < 0.5)


async def until_closed(receive) -> None:
    """Reads with `receive` until the server closes: a normal close (1000) ends it, any other raises."""
    while True:
        try:
            await receive()
        except Closed as closed:
            if closed.code != 1000:
                raise
            return


async def native(churn: Churn, rng: random.Random, voice: str, turns: int, only_final: bool) -> None:
    ws = await RawWebSocket.connect(churn.port)
    try:
        for _ in range(turns):
            config = {"voice": voice, "format": rng.choice(NATIVE_FORMATS), "binary": rng.random() < 0.8}
            await ws.send(text_frame(json.dumps({"type": "config", "data": config})))
            reply = await native_event(churn, ws)
            if reply.get("data", {}).get("code") == "at_capacity":
                churn.outcomes["native"]["at_capacity"] += 1
                await asyncio.sleep(0.2)
                continue
            if reply.get("data", {}).get("event_type") != "config_accepted":
                raise churn.fail("native", f"config {config}: {reply}")
            action = "final" if only_final else churn.action(rng)
            started = time.monotonic()
            for word in churn.text(rng).split(" "):
                await ws.send(text_frame(json.dumps({"type": "text", "data": {"text": word + " "}})))
            if action == "final":
                await ws.send(text_frame('{"type":"flush"}'))
            first = await native_audio_or_final(churn, ws)
            if first == "audio":
                churn.first_audio["native"].append(time.monotonic() - started)
            if action == "final":
                while first != "final":
                    first = await native_audio_or_final(churn, ws)
            elif action == "cancel":
                await ws.send(text_frame('{"type":"cancel"}') + text_frame('{"type":"ping"}'))
                while True:  # audio in flight, then the pong
                    kind, payload = await ws.receive(churn.deadline)
                    if kind == "text" and json.loads(payload)["type"] == "pong":
                        break
                    if kind == "text" and json.loads(payload)["type"] != "audio":
                        raise churn.fail("native", f"after cancel: {payload[:200]}")
            churn.outcomes["native"][action] += 1
            if action == "drop":
                drop(ws, rng)
                return
    finally:
        if ws.closed is None:
            await ws.close()


async def native_event(churn: Churn, ws: RawWebSocket) -> dict:
    while True:
        kind, payload = await ws.receive(churn.deadline)
        if kind == "text":
            message = json.loads(payload)
            if message["type"] == "error" and message["data"].get("code") != "at_capacity":
                churn.errors["native"][message["data"].get("code")] += 1
            return message


async def native_audio_or_final(churn: Churn, ws: RawWebSocket) -> str:
    kind, payload = await ws.receive(churn.deadline)
    if kind == "binary":
        return "audio"
    message = json.loads(payload)
    if message["type"] == "audio":
        return "audio"
    if message.get("data", {}).get("event_type") == "final":
        return "final"
    raise churn.fail("native", f"during a turn: {payload[:200]}")


def kyutai_message(payload: bytes) -> str | None:
    """A server msgpack message's type (Ready, Error, Audio), None for raw audio."""
    return msgpack_type(payload) if payload[:1] and 0x80 <= payload[0] <= 0x8F and payload[1:6] == b"\xa4type" else None


async def kyutai(churn: Churn, rng: random.Random, voice: str, turns: int, only_final: bool) -> None:
    """One utterance per connection (the protocol's rule)."""
    fmt = rng.choice(["Pcm", "PcmMessagePack", "OggOpus", "OggOpusMessagePack"])
    ws = await RawWebSocket.connect(churn.port, f"/api/tts_streaming?voice={voice}&format={fmt}")
    try:
        kind, payload = await ws.receive(churn.deadline)
        if kind != "binary" or kyutai_message(payload) != "Ready":
            if kind == "binary" and kyutai_message(payload) == "Error":
                churn.outcomes["kyutai"]["at_capacity"] += 1
                return
            raise churn.fail("kyutai", f"first message {payload[:80]!r}")
        action = "final" if only_final else churn.action(rng)
        started = time.monotonic()
        words = [frame(2, pack({"type": "Text", "text": word})) for word in churn.text(rng).split(" ")]
        await ws.send(b"".join(words) + (frame(2, pack({"type": "Eos"})) if action != "drop" else b""))
        if action == "drop":
            await asyncio.sleep(rng.random() * 0.2)
            churn.outcomes["kyutai"]["drop"] += 1
            drop(ws, rng)
            return
        audio = 0
        while True:
            try:
                kind, payload = await ws.receive(churn.deadline)
            except Closed as closed:
                if closed.code != 1000 or not audio:
                    raise
                break
            message = kyutai_message(payload) if kind == "binary" else "text"
            if message in ("Error", "text"):
                raise churn.fail("kyutai", f"during a turn: {payload[:120]!r}")
            if message in (None, "Audio", "OggOpus"):  # raw, PcmMessagePack, OggOpusMessagePack
                audio += 1
                if audio == 1:
                    churn.first_audio["kyutai"].append(time.monotonic() - started)
                if action == "cancel":
                    await ws.close()
                    break
        churn.outcomes["kyutai"][action] += 1
    finally:
        ws.abort(reset=False)


async def json_event(churn: Churn, ws: RawWebSocket, protocol: str) -> tuple[str, dict | None]:
    """("audio", None) for a binary message, else ("json", the message)."""
    kind, payload = await ws.receive(churn.deadline)
    if kind == "binary":
        return "audio", None
    return "json", json.loads(payload)


async def deepgram(churn: Churn, rng: random.Random, voice: str, turns: int, only_final: bool) -> None:
    query = rng.choice([f"model=aura-2-{voice}-en", f"model=aura-2-{voice}-en&encoding=mulaw&sample_rate=8000",
                        f"model=aura-2-{voice}-en&container=wav"])
    ws = await RawWebSocket.connect(churn.port, "/v1/speak?" + query)
    try:
        kind, first = await json_event(churn, ws, "deepgram")
        if kind != "json" or first["type"] != "Metadata":
            raise churn.fail("deepgram", f"first message {first}")
        for _ in range(turns):
            action = "final" if only_final else churn.action(rng)
            started = time.monotonic()
            await ws.send(b"".join(text_frame(json.dumps({"type": "Speak", "text": word}))
                                   for word in churn.text(rng).split(" ")) + text_frame('{"type":"Flush"}'))
            wanted, audio, refused = "Flushed", 0, False
            while True:
                kind, message = await json_event(churn, ws, "deepgram")
                if kind == "audio":
                    audio += 1
                    if audio == 1:
                        churn.first_audio["deepgram"].append(time.monotonic() - started)
                        if action == "cancel":
                            await ws.send(text_frame('{"type":"Clear"}'))
                            wanted = "Cleared"
                        elif action == "drop":
                            break
                    continue
                if message["type"] == "Warning":
                    if message.get("code") == "AT_CAPACITY":
                        churn.outcomes["deepgram"]["at_capacity"] += 1
                        refused = True
                    elif refused:  # the turn's later words, with no turn open
                        churn.outcomes["deepgram"]["after_capacity"] += 1
                    else:
                        churn.errors["deepgram"][message.get("code")] += 1
                    continue
                if message["type"] == wanted:
                    break
                if message["type"] not in ("Flushed", "Cleared"):
                    raise churn.fail("deepgram", f"during a turn: {message}")
            churn.outcomes["deepgram"][action] += 1
            if action == "drop":
                drop(ws, rng)
                return
        await ws.send(text_frame('{"type":"Close"}'))
        await until_closed(lambda: json_event(churn, ws, "deepgram"))
    finally:
        ws.abort(reset=False)


async def elevenlabs(churn: Churn, rng: random.Random, voice: str, turns: int, only_final: bool) -> None:
    """stream-input: one utterance per connection (the protocol's rule)."""
    fmt = rng.choice(["pcm_24000", "pcm_16000", "ulaw_8000", "mp3_44100_128", "opus_48000_64"])
    ws = await RawWebSocket.connect(churn.port, f"/v1/text-to-speech/{voice}/stream-input?output_format={fmt}")
    try:
        action = "final" if only_final else churn.action(rng)
        started = time.monotonic()
        frames = [text_frame(json.dumps({"text": " ", "generation_config": {"chunk_length_schedule": [50]}}))]
        frames += [text_frame(json.dumps({"text": word + " "})) for word in churn.text(rng).split(" ")]
        await ws.send(b"".join(frames) + (text_frame('{"text":""}') if action != "drop" else b""))
        if action == "drop":
            await asyncio.sleep(rng.random() * 0.2)
            churn.outcomes["elevenlabs"]["drop"] += 1
            drop(ws, rng)
            return
        audio, final = 0, False
        while True:
            try:
                kind, payload = await ws.receive(churn.deadline)
            except Closed as closed:
                if closed.code == 1013:
                    churn.outcomes["elevenlabs"]["at_capacity"] += 1
                    return
                if closed.code != 1000 or not final:
                    raise
                break
            message = json.loads(payload) if kind == "text" else {}
            if message.get("audio"):
                audio += 1
                if audio == 1:
                    churn.first_audio["elevenlabs"].append(time.monotonic() - started)
                    if action == "cancel":
                        await ws.close()
                        break
            elif message.get("isFinal"):
                final = True
            elif "audio" not in message:
                raise churn.fail("elevenlabs", f"during a turn: {payload[:200]!r}")
        churn.outcomes["elevenlabs"][action] += 1
    finally:
        ws.abort(reset=False)


async def elevenlabs_multi(churn: Churn, rng: random.Random, voice: str, turns: int, only_final: bool) -> None:
    """multi-stream-input: a context per turn, as LiveKit and Pipecat use it; barge-in closes the
    speaking context with `immediate`."""
    ws = await RawWebSocket.connect(churn.port, f"/v1/text-to-speech/{voice}/multi-stream-input?output_format=pcm_24000")
    try:
        await ws.send(text_frame(json.dumps({"text": " ", "context_id": "c0"})))
        for number in range(turns):
            context = f"c{number}"
            action = "final" if only_final else churn.action(rng)
            started = time.monotonic()
            frames = [text_frame(json.dumps({"text": word + " ", "context_id": context})) for word in churn.text(rng).split(" ")]
            frames.append(text_frame(json.dumps({"context_id": context, "flush": True})))
            if action == "final":
                frames.append(text_frame(json.dumps({"context_id": context, "close_context": True})))
            await ws.send(b"".join(frames))
            audio = 0
            while True:
                try:
                    kind, payload = await ws.receive(churn.deadline)
                except Closed as closed:
                    if closed.code == 1013:
                        churn.outcomes["elevenlabs_multi"]["at_capacity"] += 1
                        return
                    raise
                message = json.loads(payload) if kind == "text" else {}
                if message.get("contextId") not in (context, None):
                    continue  # the end of an earlier context
                if message.get("audio"):
                    audio += 1
                    if audio == 1:
                        churn.first_audio["elevenlabs_multi"].append(time.monotonic() - started)
                        if action == "cancel":
                            await ws.send(text_frame(json.dumps({"context_id": context, "close_context": True, "immediate": True})))
                        elif action == "drop":
                            break
                elif message.get("isFinal"):
                    break
                elif "audio" not in message:
                    raise churn.fail("elevenlabs_multi", f"during a turn: {payload[:200]!r}")
            churn.outcomes["elevenlabs_multi"][action] += 1
            if action == "drop":
                drop(ws, rng)
                return
        await ws.send(text_frame('{"close_socket":true}'))
        await until_closed(lambda: ws.receive(churn.deadline))
    finally:
        ws.abort(reset=False)


async def wyoming(churn: Churn, rng: random.Random, voice: str, turns: int, only_final: bool) -> None:
    if churn.wyoming_port is None:
        return
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", churn.wyoming_port), churn.deadline)
    try:
        for _ in range(turns):
            action = "final" if only_final else churn.action(rng)
            text = churn.text(rng)
            started = time.monotonic()
            if rng.random() < 0.5:
                events = [wyoming_event("synthesize", {"text": text, "voice": {"name": voice}})]
                wanted = "audio-stop"
            else:  # as Home Assistant streams a reply
                events = [wyoming_event("synthesize-start", {"voice": {"name": voice}})]
                events += [wyoming_event("synthesize-chunk", {"text": word + " "}) for word in text.split(" ")]
                events += [wyoming_event("synthesize", {"text": text}), wyoming_event("synthesize-stop")]
                wanted = "synthesize-stopped"
            writer.write(b"".join(events))
            await writer.drain()
            if action == "drop":
                await asyncio.sleep(rng.random() * 0.2)
                churn.outcomes["wyoming"]["drop"] += 1
                writer.transport.abort()
                return
            audio = 0
            while True:
                got = await read_event(reader, churn.deadline)
                if got is None:
                    raise Closed(None, "closed by the server")
                if got["type"] == "audio-chunk":
                    audio += 1
                    if audio == 1:
                        churn.first_audio["wyoming"].append(time.monotonic() - started)
                        if action == "cancel":  # Wyoming has no cancel: Home Assistant closes
                            break
                elif got["type"] == "error":
                    if got["data"].get("code") == "at_capacity":
                        churn.outcomes["wyoming"]["at_capacity"] += 1
                    else:
                        churn.errors["wyoming"][got["data"].get("code")] += 1
                    if wanted == "audio-stop":
                        break
                elif got["type"] == wanted:
                    break
                elif got["type"] not in ("audio-start", "audio-stop", "synthesize-stopped"):
                    raise churn.fail("wyoming", f"during a turn: {got['type']} {str(got['data'])[:120]}")
            churn.outcomes["wyoming"][action] += 1
            if action == "cancel":
                return
    finally:
        writer.transport.abort()


async def openai(churn: Churn, rng: random.Random, voice: str, turns: int, only_final: bool) -> None:
    """`POST /v1/audio/speech` on a raw socket (one request per connection), so a turn can be
    dropped after its first bytes."""
    action = "final" if only_final else churn.action(rng)
    body = json.dumps({"model": "tts-1", "input": churn.text(rng), "voice": voice,
                       "response_format": rng.choice(["pcm", "wav", "opus"])}).encode()
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", churn.port), churn.deadline)
    try:
        started = time.monotonic()
        writer.write(b"POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), churn.deadline)
        status = head.split(b" ", 2)[1].decode()
        if status != "200":
            rest = await asyncio.wait_for(reader.read(2000), churn.deadline)
            if status == "503":
                churn.outcomes["openai"]["at_capacity"] += 1
            else:
                churn.errors["openai"][f"http {status}"] += 1
                raise churn.fail("openai", f"HTTP {status}: {rest[:200]!r}")
            return
        first = await asyncio.wait_for(reader.read(4096), churn.deadline)
        if not first:
            raise churn.fail("openai", "no body")
        churn.first_audio["openai"].append(time.monotonic() - started)
        if action == "final":
            while await asyncio.wait_for(reader.read(1 << 16), churn.deadline):
                pass
        churn.outcomes["openai"][action] += 1  # cancel and drop: the client goes away mid-body
        if action == "drop" and rng.random() < 0.5:
            import socket as socket_module
            import struct
            sock = writer.transport.get_extra_info("socket")
            sock.setsockopt(socket_module.SOL_SOCKET, socket_module.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        writer.transport.abort()


PLAYERS = {"native": native, "kyutai": kyutai, "deepgram": deepgram, "elevenlabs": elevenlabs,
           "elevenlabs_multi": elevenlabs_multi, "wyoming": wyoming, "openai": openai}
