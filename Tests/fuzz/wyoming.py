"""Fuzz scenarios for the Wyoming port (Home Assistant's protocol, raw TCP on wyoming_port). Used
by fuzz.py; standard library only, so events are written and read here by hand (a JSON header
line, `data_length` bytes of JSON data, `payload_length` bytes of payload).

Each scenario plays one connection: valid requests (describe, ping, synthesize, a streamed
synthesize-start … synthesize-stop with Home Assistant's legacy synthesize before the stop), junk
events each answered by one error event (the connection goes on: a ping's pong proves it), and
streams that cannot be split into events (answered by an error, then closed), mutated events and
abrupt ends.
"""
import asyncio
import json
import os

from harness import VOICE
import ssml

TEXTS = ["Hello there.", "Hi", "The river was calm today. It was.", "😀 3.14 é\u0301.", "", " ", "x" * 120 + ".",
         "你好。世界！", "\u0000\u0007 bell.", "Dr. J. R. R. Tolkien wrote. ", "?!?!... "]
CHUNKS = ["Hello ", "big ", "world. ", "The ", "river ", "was ", "calm", " today. ", "", "😀", "x" * 120, "é\u0301 "]


def event(kind: str, data: dict | None = None, payload: bytes = b"", inline: bool = False) -> bytes:
    """One event as the `wyoming` package writes it (or with its data in the header line)."""
    header = {"type": kind, "version": "1.10.2"}
    body = b""
    if data and inline:
        header["data"] = data
    elif data:
        body = json.dumps(data, ensure_ascii=False).encode()
        header["data_length"] = len(body)
    if payload:
        header["payload_length"] = len(payload)
    return json.dumps(header).encode() + b"\n" + body + payload


async def read_event(reader: asyncio.StreamReader, deadline: float) -> dict | None:
    """The next event as {"type", "data", "payload"}; None at the end of the stream."""
    line = await asyncio.wait_for(reader.readline(), deadline)
    if not line:
        return None
    header = json.loads(line)
    data = header.get("data") or {}
    if header.get("data_length"):
        data.update(json.loads(await asyncio.wait_for(reader.readexactly(header["data_length"]), deadline)))
    payload = b""
    if header.get("payload_length"):
        payload = await asyncio.wait_for(reader.readexactly(header["payload_length"]), deadline)
    return {"type": header["type"], "data": data, "payload": payload}


def junk(rng) -> tuple[bytes, str | None]:
    """An event answered by exactly one error event (its code), or by nothing (None)."""
    return rng.choice([
        (event("synthesize", {"text": 5}), "invalid_text"),
        (event("synthesize", {"voice": {"name": VOICE}}), "invalid_text"),
        (event("synthesize", {"text": "Hi.", "voice": {"name": "nobody"}}), "unknown_voice"),
        (event("synthesize", {"text": "Hi.", "voice": {"name": "../../etc/passwd"}}), "unknown_voice"),
        (event("synthesize", {"text": "Hi.", "voice": {"language": "xx"}}), "invalid_config"),
        (event("synthesize", {"text": "Hi.", "voice": "alba"}), "invalid_config"),
        (event("synthesize", {"text": "Hi.", "voice": {"name": 7}}), "invalid_config"),
        (event("synthesize-chunk", {"text": "Hi."}), "invalid_type"),
        (event("synthesize-stop"), "invalid_type"),
        (event("transcribe", {"language": "en"}), None),
        (event("audio-chunk", {"rate": 16000, "width": 2, "channels": 1}, payload=os.urandom(320)), None),
        (event("select-program", {"name": "whatever"}), None),
        (event("x" * 3000), None),
    ])


def broken(rng) -> bytes:
    """Bytes that cannot be split into events: an error event, then the close."""
    return rng.choice([
        b"not json\n", b"[1,2]\n", b'{"data":{}}\n', b"\xff\xfe\n", b"[" * 40 + b"\n",
        b'{"type":"ping","data_length":"7"}\n', b'{"type":"ping","data_length":99999999}\n',
        b'{"type":"ping","payload_length":1e30}\n', b"x" * 70_000,
        b'{"type":' * 40 + b"\n", b"#" + os.urandom(rng.randint(1, 64)) + b"\n",
    ])


async def expect(worker, reader, wanted: str, what: str, allow=("audio-start", "audio-chunk", "audio-stop"),
                 capacity_ends: bool = True) -> list:
    """Events up to one of type `wanted`; an error (other than at capacity, which ends the wait
    when `capacity_ends`) or a close fails."""
    seen = []
    while True:
        try:
            got = await read_event(reader, worker.deadline)
        except asyncio.TimeoutError:
            raise worker.failure(f"wyoming {what}: no {wanted} within {worker.deadline} s after {seen[-3:]}")
        if got is None:
            raise worker.failure(f"wyoming {what}: closed before {wanted} after {seen[-3:]}")
        seen.append(got["type"])
        if got["type"] == wanted:
            return seen
        if got["type"] == "error" and got["data"].get("code") == "at_capacity":
            worker.stats.errors["wyoming:at_capacity"] += 1
            if capacity_ends:
                return seen
            continue
        if got["type"] not in allow:
            raise worker.failure(f"wyoming {what}: unexpected {got['type']} {str(got['data'])[:120]}")
        if got["type"] == "audio-chunk" and len(got["payload"]) != 3840:
            raise worker.failure(f"wyoming {what}: an audio-chunk of {len(got['payload'])} bytes, not one frame")


async def expect_ssml(worker, reader, source: str, outcome: str | None) -> None:
    """Audio up to audio-stop for valid SSML, an invalid_ssml error for malformed SSML (either for a mutation)."""
    while True:
        try:
            got = await read_event(reader, worker.deadline)
        except asyncio.TimeoutError:
            raise worker.failure(f"wyoming ssml {source[:60]!r}: no answer within {worker.deadline} s")
        if got is None:
            raise worker.failure(f"wyoming ssml {source[:60]!r}: closed")
        code = got["data"].get("code") if got["type"] == "error" else None
        if code == "at_capacity":
            return
        result = "ok" if got["type"] == "audio-stop" else code if got["type"] == "error" else None
        if result is None:
            if got["type"] not in ("audio-start", "audio-chunk"):
                raise worker.failure(f"wyoming ssml {source[:60]!r}: unexpected {got['type']}")
            continue
        if result not in ("ok", "invalid_ssml") or (outcome is not None and result != outcome):
            raise worker.failure(f"wyoming ssml {source[:120]!r}: expected {outcome}, got {got['type']} {code}")
        worker.stats.turns["wyoming_ssml_" + result] += 1
        return


async def wyoming(worker) -> None:
    rng = worker.rng
    reader, writer = await asyncio.open_connection("127.0.0.1", worker.wyoming_port)
    try:
        ending = rng.choices(["requests", "junk", "broken", "mutated", "leave"], [4, 3, 1, 1, 1])[0]
        worker.stats.turns["wyoming_" + ending] += 1
        if ending in ("requests", "leave"):
            for _ in range(rng.randint(1, 3)):
                choice = rng.randrange(5)
                if choice == 0:
                    writer.write(event("describe") + event("ping", {"text": "p"}))
                    worker.stats.messages += 2
                    await writer.drain()
                    await expect(worker, reader, "info", "describe", allow=())
                    await expect(worker, reader, "pong", "ping", allow=())
                elif choice == 1:
                    text = rng.choice(TEXTS)
                    voice = rng.choice([None, {"name": VOICE}, {"language": "en_US"}, {"name": VOICE, "speaker": "x"}])
                    writer.write(event("synthesize", {"text": text, **({"voice": voice} if voice else {})},
                                       inline=rng.random() < 0.3))
                    worker.stats.messages += 1
                    await writer.drain()
                    if ending == "leave":
                        break
                    await expect(worker, reader, "audio-stop", f"synthesize {text[:20]!r}")
                elif choice == 4:  # text_format: ssml (README "SSML")
                    source, outcome = ssml.document(rng)
                    writer.write(event("synthesize", {"text": source, "text_format": "ssml"}))
                    worker.stats.messages += 1
                    await writer.drain()
                    if ending == "leave":
                        break
                    await expect_ssml(worker, reader, source, outcome)
                else:
                    chunks = [rng.choice(CHUNKS) for _ in range(rng.randint(0, 8))]
                    events = [event("synthesize-start", rng.choice([{}, {"voice": {"name": VOICE}}]))]
                    events += [event("synthesize-chunk", {"text": chunk}) for chunk in chunks]
                    events += [event("synthesize", {"text": "".join(chunks)})] if rng.random() < 0.7 else []
                    events.append(event("synthesize-stop"))
                    writer.write(b"".join(events))
                    worker.stats.messages += len(events)
                    await writer.drain()
                    if ending == "leave":
                        break
                    await expect(worker, reader, "synthesize-stopped", f"streamed {chunks}", capacity_ends=False)
            if ending == "leave":
                await asyncio.sleep(rng.random() * 0.2)
        elif ending == "junk":
            cases = [junk(rng) for _ in range(rng.randint(1, 12))]
            writer.write(b"".join(bytes_ for bytes_, _ in cases) + event("ping", {"text": "barrier"}))
            worker.stats.messages += len(cases) + 1
            await writer.drain()
            wanted = [code for _, code in cases if code]
            codes = []
            while True:
                got = await read_event(reader, worker.deadline)
                if got is None:
                    raise worker.failure(f"wyoming junk: closed after {codes}")
                if got["type"] == "pong":
                    break
                if got["type"] != "error":
                    raise worker.failure(f"wyoming junk: unexpected {got['type']}")
                codes.append(got["data"].get("code"))
            if codes != wanted:
                raise worker.failure(f"wyoming junk: errors {codes}, expected {wanted}")
        elif ending == "broken":
            writer.write(event("ping") + broken(rng) + event("describe"))
            worker.stats.messages += 2
            await writer.drain()
            await expect(worker, reader, "pong", "broken", allow=())
            got = await read_event(reader, worker.deadline)
            if got is None or got["type"] != "error" or got["data"].get("code") != "parse_error":
                raise worker.failure(f"wyoming broken: expected a parse_error, got {got}")
            if await read_event(reader, worker.deadline) is not None:
                raise worker.failure("wyoming broken: not closed after the error")
        else:  # a valid event with a few bytes changed: answered or not, the server must go on
            data = bytearray(event("synthesize", {"text": rng.choice(TEXTS), "voice": {"name": VOICE}}))
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            writer.write(bytes(data))
            worker.stats.messages += 1
            await writer.drain()
            await asyncio.sleep(rng.random() * 0.1)
    except (ConnectionError, asyncio.IncompleteReadError) as error:
        raise worker.failure(f"wyoming: connection lost ({type(error).__name__}: {error})")
    finally:
        writer.transport.abort()
