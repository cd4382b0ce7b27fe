"""Fuzz scenarios for the other WebSocket protocols on the port: Kyutai's /api/tts_streaming
(msgpack), Deepgram's /v1/speak (JSON) and ElevenLabs' /v1/text-to-speech/{voice_id}/stream-input
and multi-stream-input (JSON). Used by fuzz.py; standard library only, so msgpack
is written here by hand (a few lines: the client side of a test, not the server's codec).
"""
import asyncio
import json
import os
import struct

from harness import VOICE, Closed, RawWebSocket, frame, text_frame

KYUTAI_FORMATS = ["OggOpus", "OggOpusMessagePack", "Pcm", "PcmMessagePack"]
WORDS = ["Hello", "big", "world.", "The", "river", "was", "calm", "today.", "😀", "3.14", "", "x" * 300, "é\u0301"]


def pack(value) -> bytes:
    """msgpack for None, bool, int, float, str, bytes, list and dict (enough for a client)."""
    if value is None:
        return b"\xc0"
    if isinstance(value, bool):
        return b"\xc3" if value else b"\xc2"
    if isinstance(value, int):
        return b"\xd3" + struct.pack(">q", value) if value < 0 else b"\xcf" + struct.pack(">Q", value)
    if isinstance(value, float):
        return b"\xcb" + struct.pack(">d", value)
    if isinstance(value, str):
        data = value.encode()
        return b"\xdb" + struct.pack(">I", len(data)) + data
    if isinstance(value, bytes):
        return b"\xc6" + struct.pack(">I", len(value)) + value
    if isinstance(value, list):
        return b"\xdd" + struct.pack(">I", len(value)) + b"".join(pack(v) for v in value)
    return b"\xdf" + struct.pack(">I", len(value)) + b"".join(pack(k) + pack(v) for k, v in value.items())


def msgpack_type(payload: bytes) -> str | None:
    """The "type" of a server message: every one starts with the fixmap key "type" and a fixstr."""
    prefix = b"\xa4type"
    at = payload.find(prefix)
    if at < 0 or at + 5 >= len(payload):
        return None
    length = payload[at + 5] & 0x1F
    return payload[at + 6:at + 6 + length].decode(errors="replace")


def hostile_msgpack(rng) -> bytes:
    """One message the server must answer with an Error and a close."""
    return rng.choice([
        b"\xc1", b"\x81\xa4", b"\xdd\xff\xff\xff\xff", b"\xdf\x7f\xff\xff\xff\x00", b"\xdb\xff\xff\xff\xf0abc",
        b"\x91" * 40 + b"\x01",  # nesting deeper than the bound
        pack({"type": "Dance"}), pack({"text": "no type"}), pack([1, 2, 3]), pack({"type": "Text", "text": 5}),
        pack({"type": "Text", "text": "x" * 10_001}), os.urandom(rng.randint(2, 64)) + b"\xc1",
    ])


async def expect_close(worker, ws: RawWebSocket, codes: set, what: str, allow=("binary",)) -> list:
    """Messages until the server's close; its code must be in `codes`."""
    seen = []
    while True:
        try:
            kind, payload = await ws.receive(worker.deadline)
        except Closed as closed:
            worker.stats.closes[closed.code] += 1
            if closed.code not in codes:
                raise worker.failure(f"{what}: closed with {closed.code} {closed.reason!r}, expected {codes} after {seen[-3:]}")
            return seen
        except asyncio.TimeoutError:
            raise worker.failure(f"{what}: not closed within {worker.deadline} s")
        if kind not in allow:
            raise worker.failure(f"{what}: unexpected {kind} {str(payload)[:100]}")
        seen.append(msgpack_type(payload) if kind == "binary" else payload)


async def kyutai(worker) -> None:
    """One utterance: Ready, words (msgpack or text frames, with junk the server ignores), then
    Eos (audio, close 1000), a hostile message (Error, close 1008), or the client leaving."""
    rng = worker.rng
    query = f"voice={rng.choice([VOICE, f'expresso/{VOICE}.wav'])}&format={rng.choice(KYUTAI_FORMATS)}"
    query += rng.choice(["", "&cfg_alpha=1.5", "&temperature=0", "&temperature=hot", "&seed=-3", "&seed=7&top_k=5"])
    ws = await RawWebSocket.connect(worker.port, "/api/tts_streaming?" + query)
    try:
        kind, payload = await ws.receive(worker.deadline)
        if kind != "binary" or msgpack_type(payload) not in ("Ready", "Error"):
            raise worker.failure(f"kyutai {query}: first message {payload[:60]!r}")
        if msgpack_type(payload) == "Error":  # at capacity
            worker.stats.turns["kyutai_busy"] += 1
            await expect_close(worker, ws, {1013}, "kyutai at capacity")
            return
        frames = []
        for _ in range(rng.randint(1, 12)):
            word = rng.choice(WORDS)
            choice = rng.randrange(5)
            if choice == 0:
                frames.append(text_frame(word))
            elif choice == 1:
                frames.append(frame(2, pack({"type": "Voice", "embeddings": [0.5] * rng.randint(0, 64), "shape": [1, 8]})))
            else:
                frames.append(frame(2, pack({"type": "Text", "text": word})))
        worker.stats.messages += len(frames) + 1
        ending = rng.choices(["eos", "hostile", "leave"], [5, 3, 1])[0]
        worker.stats.turns["kyutai_" + ending] += 1
        if ending == "eos":
            eos = frame(2, b"\x00") if rng.random() < 0.5 else frame(2, pack({"type": "Eos"}))
            await ws.send(b"".join(frames) + eos)
            seen = await expect_close(worker, ws, {1000}, f"kyutai {query}")
            if "Error" in seen:
                raise worker.failure(f"kyutai {query}: an Error in a valid utterance")
        elif ending == "hostile":
            await ws.send(b"".join(frames) + frame(2, hostile_msgpack(rng)))
            seen = await expect_close(worker, ws, {1008}, f"kyutai {query} hostile")
            if not seen or seen[-1] != "Error":
                raise worker.failure(f"kyutai {query}: no Error before the close ({seen[-3:]})")
        else:
            await ws.send(b"".join(frames))
            await asyncio.sleep(rng.random() * 0.2)
            ws.abort(reset=rng.random() < 0.5)
    finally:
        ws.abort(reset=False)


def deepgram_junk(rng) -> str:
    """A message answered by exactly one Warning (the session goes on)."""
    return rng.choice([
        "{", "[]", "null", '{"type":"Speak"}', '{"type":"Speak","text":5}', '{"type":"speak","text":"hi"}',
        json.dumps({"type": "Speak", "text": "x" * 10_001}), json.dumps({"type": "x" * 3000}), '{"type":"Dance"}',
        '{"type":' * 40,
    ])


async def deepgram(worker) -> None:
    """Warnings for junk (counted), then Speak/Flush turns with Clear barge-ins, then Close."""
    rng = worker.rng
    query = rng.choice([f"model=aura-2-{VOICE}-en", f"model={VOICE}&encoding=mulaw&sample_rate=8000", "model=aura-zeus-en",
                        "encoding=alaw&sample_rate=16000", f"model={VOICE}&container=wav&sample_rate=48000", ""])
    ws = await RawWebSocket.connect(worker.port, "/v1/speak?" + query)
    try:
        events = []

        async def event() -> dict:
            while True:
                kind, payload = await ws.receive(worker.deadline)
                if kind == "text":
                    return json.loads(payload)

        first = await event()
        if first["type"] != "Metadata":
            raise worker.failure(f"deepgram {query}: first {first}")
        junk = [deepgram_junk(rng) for _ in range(rng.randint(0, 20))]
        await ws.send(b"".join(text_frame(j) for j in junk) + text_frame('{"type":"Flush"}'))
        worker.stats.messages += len(junk) + 1
        while (message := await event())["type"] != "Flushed":
            events.append(message)
        warnings = sum(1 for m in events if m["type"] == "Warning" and m["code"] != "UNKNOWN_MODEL")
        if warnings != len(junk):
            raise worker.failure(f"deepgram: {len(junk)} junk messages, {warnings} warnings: {events[-3:]}")
        for _ in range(rng.randint(1, 2)):
            words = [rng.choice(WORDS[:8]) for _ in range(rng.randint(1, 4))]
            await ws.send(b"".join(text_frame(json.dumps({"type": "Speak", "text": w})) for w in words)
                          + text_frame('{"type":"Flush"}'))
            worker.stats.messages += len(words) + 1
            if rng.random() < 0.3:
                await asyncio.sleep(rng.random() * 0.1)
                await ws.send(text_frame('{"type":"Clear"}'))
                worker.stats.messages += 1
                wanted = {"Cleared"}
            else:
                wanted = {"Flushed"}
            while (message := await event())["type"] not in wanted:
                if message["type"] not in ("Flushed", "Warning"):
                    raise worker.failure(f"deepgram: unexpected {message}")
        worker.stats.turns["deepgram"] += 1
        await ws.send(text_frame('{"type":"Close"}'))
        worker.stats.messages += 1
        await expect_close(worker, ws, {1000}, "deepgram close", allow=("binary", "text"))
    finally:
        ws.abort(reset=False)


ELEVENLABS_QUERIES = ["", "output_format=pcm_24000", "output_format=ulaw_8000&model_id=eleven_flash_v2_5",
                      "output_format=pcm_16000&auto_mode=true", "output_format=mp3_22050_32&apply_text_normalization=off",
                      "output_format=opus_48000_64&inactivity_timeout=5", "output_format=pcm_44100&sync_alignment=true"]


def elevenlabs_junk(rng, multi: bool) -> str:
    """A message the server answers with a close 1008 (ElevenLabs' errors are closes)."""
    context = ',"context_id":"new"' if multi else ""
    return rng.choice([
        "{", "[]", "null", '{"text":5' + context + "}", '{"dance":true' + context + "}", '{"text":' * 40,
        json.dumps({"text": "x" * 10_001, "context_id": "c"}),
    ] + (['{"text":"hi","context_id":7}', '{"text":" ","voice_settings":{"speed":"fast"}' + context + "}"] if multi else []))


async def elevenlabs(worker) -> None:
    """stream-input or multi-stream-input: a first message, words (some with flush), barge-ins by
    close_context, then the end (isFinal, close 1000), a hostile message (close 1008) or leaving."""
    rng = worker.rng
    multi = rng.random() < 0.5
    path = f"/v1/text-to-speech/{rng.choice([VOICE, '21m00Tcm4TlvDq8ikWAM'])}/{'multi-stream-input' if multi else 'stream-input'}"
    query = rng.choice(ELEVENLABS_QUERIES)
    if rng.random() < 0.05:  # refused before the upgrade
        try:
            ws = await RawWebSocket.connect(worker.port, f"{path}?output_format=wav_{rng.randint(1, 99999)}")
        except ConnectionError as refused:
            if "400" not in str(refused):
                raise worker.failure(f"elevenlabs: bad output_format got {refused}")
            return
        ws.abort(reset=False)
        raise worker.failure("elevenlabs: a bad output_format was upgraded")
    ws = await RawWebSocket.connect(worker.port, f"{path}?{query}")
    try:
        contexts = ["a"]

        def message(**fields) -> bytes:
            if multi:
                fields.setdefault("context_id", contexts[-1])
            return text_frame(json.dumps(fields))

        long_word = False
        frames = [message(text=" ", voice_settings={"speed": rng.choice([0.8, 1.0, 1.2])},
                          generation_config={"chunk_length_schedule": [rng.choice([50, 120, 500])]})]
        for _ in range(rng.randint(1, 10)):
            choice = rng.randrange(8)
            if choice == 0 and multi:
                frames.append(message(close_context=True))
                contexts.append(f"c{len(contexts)}")
            elif choice == 1:
                frames.append(message(text=rng.choice(WORDS[:8]) + " ", flush=True))
            elif choice == 2 and multi:
                frames.append(message(text=""))  # a keep-alive
            else:
                word = rng.choice(WORDS)
                if len(word) > 100:  # one long word at most: many take minutes in a debug build under load
                    word, long_word = (word[:40] if long_word else word), True
                frames.append(message(text=word + " ", try_trigger_generation=True))
        worker.stats.messages += len(frames) + 1
        ending = rng.choices(["end", "hostile", "leave"], [5, 2, 1])[0]
        worker.stats.turns["elevenlabs_" + ending] += 1
        if ending == "end":
            end = text_frame('{"close_socket":true}') if multi else message(text="")
            await ws.send(b"".join(frames) + end)
            seen = await expect_close(worker, ws, {1000, 1013}, f"elevenlabs {path}?{query}", allow=("text",))
            replies = [json.loads(payload) for payload in seen]
            if ws.closed is not None and ws.closed.code == 1000 and not (replies and replies[-1].get("isFinal")):
                raise worker.failure(f"elevenlabs {path}?{query}: no isFinal before the close ({seen[-2:]})")
        elif ending == "hostile":
            await ws.send(b"".join(frames) + text_frame(elevenlabs_junk(rng, multi)))
            await expect_close(worker, ws, {1008, 1009, 1013}, f"elevenlabs {path}?{query} hostile", allow=("text",))
        else:
            await ws.send(b"".join(frames))
            await asyncio.sleep(rng.random() * 0.2)
            ws.abort(reset=rng.random() < 0.5)
    finally:
        ws.abort(reset=False)


async def elevenlabs_ssml(worker) -> None:
    """stream-input with enable_ssml_parsing=true: an SSML document (Tests/fuzz/ssml.py) in a few
    messages, then the end: a valid document ends in isFinal and close 1000, a malformed one in an
    error and close 1008 (1013 at capacity either way)."""
    import ssml
    rng = worker.rng
    source, outcome = ssml.document(rng)
    ws = await RawWebSocket.connect(worker.port, f"/v1/text-to-speech/{VOICE}/stream-input?enable_ssml_parsing=true&output_format=pcm_24000")
    try:
        frames = [text_frame(json.dumps({"text": " "}))]
        frames += [text_frame(json.dumps({"text": piece})) for piece in ssml.pieces(rng, source)]
        frames.append(text_frame(json.dumps({"text": ""})))
        worker.stats.messages += len(frames)
        await ws.send(b"".join(frames))
        codes = {"ok": {1000, 1013}, "invalid_ssml": {1008, 1013}, None: {1000, 1008, 1013}}[outcome]
        seen = await expect_close(worker, ws, codes, f"elevenlabs ssml {source[:120]!r}", allow=("text",))
        if ws.closed is not None and ws.closed.code == 1008 and "SSML" not in (ws.closed.reason or ""):
            raise worker.failure(f"elevenlabs ssml {source[:120]!r}: closed 1008, not for SSML: {ws.closed.reason!r}")
        worker.stats.turns[f"elevenlabs_ssml_{ws.closed.code if ws.closed else None}"] += 1
    finally:
        ws.abort(reset=False)
