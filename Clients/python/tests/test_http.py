"""The `POST /tts` client against a stand-in of the reference server."""
import asyncio

import numpy as np
import pytest

from pocket_tts_client import HTTPStatusError, Turn, post_tts

from fake_http_tts import FRAME, FakeTTSServer, tone


def test_post_tts_streams_the_wav_as_it_arrives():
    async def go():
        server = await FakeTTSServer(frames=6).start()
        try:
            turn = Turn(request_id="", format="wav", sample_rate=24000)
            pieces = [audio async for audio in post_tts(server.url, "Hello world.", voice_url="alba", turn=turn)]
            return pieces, turn, server.forms
        finally:
            await server.stop()

    pieces, turn, forms = asyncio.run(go())
    samples = np.concatenate([piece.samples for piece in pieces])
    assert np.array_equal(samples, tone(6) / 32768.0)
    assert len(pieces) >= 2  # frame by frame, not one body at the end
    assert turn.seconds == pytest.approx(6 * FRAME / 24000) and turn.messages == len(pieces)
    assert turn.first_audio_at is not None and turn.final_at >= turn.first_audio_at >= turn.started_at
    form = forms[0]
    assert b'name="text"\r\n\r\nHello world.\r\n' in form and b'name="voice_url"\r\n\r\nalba\r\n' in form


def test_post_tts_raises_the_status_and_body_of_a_refusal():
    async def go():
        server = await FakeTTSServer().start()
        try:
            return [audio async for audio in post_tts(server.url, "")]
        finally:
            await server.stop()

    with pytest.raises(HTTPStatusError) as refusal:
        asyncio.run(go())
    assert refusal.value.status == 400 and "Text cannot be empty" in refusal.value.body


def test_post_tts_speaks_http_only():
    async def go():
        return [audio async for audio in post_tts("https://example.com/tts", "Hi")]

    with pytest.raises(ValueError):
        asyncio.run(go())
