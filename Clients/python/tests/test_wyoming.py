"""The Wyoming port (Home Assistant's protocol) on the live server with the `wyoming` package's own
`AsyncTcpClient`: describe, synthesize, a streamed synthesize-start … synthesize-stop as Home
Assistant sends it, and an unknown voice (an error event; the connection goes on)."""
from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("wyoming")
from wyoming.audio import AudioChunk, AudioStart, AudioStop  # noqa: E402
from wyoming.client import AsyncTcpClient  # noqa: E402
from wyoming.error import Error  # noqa: E402
from wyoming.info import Describe, Info  # noqa: E402
from wyoming.ping import Ping, Pong  # noqa: E402
from wyoming.tts import (Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop,  # noqa: E402
                         SynthesizeStopped, SynthesizeVoice)

from conftest import VOICE  # noqa: E402

TEXT = "Hello world. How are you today? The river was calm."
FRAME_BYTES = 1920 * 2  # one 80 ms frame at 24 kHz, 16-bit mono


async def read_until(client: AsyncTcpClient, last: str, timeout: float = 60) -> list:
    events = []
    while True:
        event = await asyncio.wait_for(client.read_event(), timeout)
        assert event is not None, f"closed before {last}: {[e.type for e in events]}"
        events.append(event)
        if event.type == last:
            return events


def groups(events: list) -> list[list[bytes]]:
    """The audio of each audio-start … audio-stop group, checking the format and the framing."""
    found, current = [], None
    for event in events:
        if AudioStart.is_type(event.type):
            assert current is None, "audio-start inside a group"
            start = AudioStart.from_event(event)
            assert (start.rate, start.width, start.channels) == (24000, 2, 1)
            current = []
        elif AudioChunk.is_type(event.type):
            assert current is not None, "audio-chunk outside a group"
            chunk = AudioChunk.from_event(event)
            assert (chunk.rate, chunk.width, chunk.channels) == (24000, 2, 1)
            assert len(chunk.audio) == FRAME_BYTES  # one decoded frame per chunk
            current.append(chunk.audio)
        elif AudioStop.is_type(event.type):
            assert current is not None, "audio-stop outside a group"
            found.append(current)
            current = None
    assert current is None, "a group without audio-stop"
    return found


def run(coroutine):
    return asyncio.run(coroutine)


def test_describe_and_ping(server):
    async def go():
        async with AsyncTcpClient("127.0.0.1", server.wyoming_port) as client:
            await client.write_event(Describe().event())
            info = Info.from_event((await read_until(client, "info"))[-1])
            await client.write_event(Ping(text="hello").event())
            pong = Pong.from_event((await read_until(client, "pong"))[-1])
            return info, pong

    info, pong = run(go())
    assert pong.text == "hello"
    assert len(info.tts) == 1 and not info.asr
    program = info.tts[0]
    assert program.supports_synthesize_streaming and program.installed
    assert program.attribution.name == "Kyutai" and "huggingface.co/kyutai" in program.attribution.url
    voice = next(voice for voice in program.voices if voice.name == VOICE)
    assert voice.languages == ["en"]


def test_synthesize(server):
    async def go():
        async with AsyncTcpClient("127.0.0.1", server.wyoming_port) as client:
            await client.write_event(Synthesize(TEXT, voice=SynthesizeVoice(name=VOICE)).event())
            return await read_until(client, "audio-stop")

    events = run(go())
    found = groups(events)
    assert len(found) == 1 and len(found[0]) >= 4


def test_streamed_synthesis(server):
    async def go():
        async with AsyncTcpClient("127.0.0.1", server.wyoming_port) as client:
            # As Home Assistant sends it: the start, the chunks, the whole text again as a legacy
            # synthesize (ignored while streaming), the stop.
            await client.write_event(SynthesizeStart(voice=SynthesizeVoice(language="en")).event())
            for piece in ["Hello world. ", "How are ", "you today? ", "The river ", "was calm."]:
                await client.write_event(SynthesizeChunk(piece).event())
            await client.write_event(Synthesize(TEXT).event())
            await client.write_event(SynthesizeStop().event())
            events = await read_until(client, "synthesize-stopped")
            # The connection serves the next request.
            await client.write_event(Synthesize("Again.").event())
            return events, await read_until(client, "audio-stop")

    events, again = run(go())
    found = groups(events[:-1])
    assert found and all(found), "a group per released piece, each with audio"
    assert SynthesizeStopped.is_type(events[-1].type)
    assert not any(Error.is_type(event.type) for event in events)
    assert len(groups(again)) == 1


def test_unknown_voice_is_an_error_and_the_connection_goes_on(server):
    async def go():
        async with AsyncTcpClient("127.0.0.1", server.wyoming_port) as client:
            await client.write_event(Synthesize("Hi.", voice=SynthesizeVoice(name="nobody")).event())
            error = Error.from_event((await read_until(client, "error"))[-1])
            await client.write_event(Synthesize("Hi.", voice=SynthesizeVoice(name=VOICE)).event())
            return error, await read_until(client, "audio-stop")

    error, audio = run(go())
    assert error.code == "unknown_voice" and "nobody" in error.text
    assert len(groups(audio)) == 1
