"""The HTTP API of the live server with real third-party clients: the `openai` package's
streaming speech call, and this package's `post_tts` / `pocket-tts-bench` against `POST /tts`."""
from __future__ import annotations

import asyncio
import json

import pytest

from pocket_tts_client import bench, post_tts

openai = pytest.importorskip("openai")

TEXT = "Hello world. How are you today? The river was calm."


def http_base(server) -> str:
    return f"http://127.0.0.1:{server.port}"


def test_openai_streams_mp3_by_default(server):
    client = openai.OpenAI(base_url=http_base(server) + "/v1", api_key="unused")
    pieces = []
    with client.audio.speech.with_streaming_response.create(model="tts-1", voice="alloy", input=TEXT,
                                                            instructions="Speak calmly.") as response:
        assert response.headers["content-type"] == "audio/mpeg"
        assert response.headers["x-ignored-parameters"] == "instructions"
        for piece in response.iter_bytes():
            pieces.append(piece)
    audio = b"".join(pieces)
    assert audio[0] == 0xFF and audio[1] & 0xE0 == 0xE0  # an MPEG frame first: no ID3 tag
    # No ID3 tag at either end and no Xing/Info header in the first frame (a search of the whole
    # stream for "ID3" would match random MPEG data now and then).
    assert not audio.startswith(b"ID3") and audio[-128:-125] != b"TAG"
    assert b"Xing" not in audio[:2048] and b"Info" not in audio[:2048]


@pytest.mark.parametrize("response_format,check", [
    ("pcm", lambda audio: len(audio) % 3840 == 0 and len(audio) > 0),
    ("wav", lambda audio: audio[:4] == b"RIFF" and (len(audio) - 44) % 3840 == 0),
    ("opus", lambda audio: audio[:4] == b"OggS"),
    ("flac", lambda audio: audio[:4] == b"fLaC" and audio.find(b"fLaC", 4) == -1),
])
def test_openai_formats(server, response_format, check):
    client = openai.OpenAI(base_url=http_base(server) + "/v1", api_key="unused")
    with client.audio.speech.with_streaming_response.create(
            model="tts-1", voice="voice_state", input=TEXT, response_format=response_format) as response:
        audio = response.read()
    assert check(audio)


def test_openai_errors_are_openai_errors(server):
    client = openai.OpenAI(base_url=http_base(server) + "/v1", api_key="unused")
    with pytest.raises(openai.BadRequestError) as caught:  # a model nobody serves: the served ones listed
        client.audio.speech.create(model="anything", voice="alloy", input=TEXT)
    assert caught.value.body["param"] == "model" and "tiny" in caught.value.body["message"]
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="aac")
    assert caught.value.body["param"] == "response_format"
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, speed=4.5)
    assert caught.value.body["param"] == "speed"


@pytest.mark.parametrize("speed", [0.25, 1.5, 4.0])
def test_openai_speed_is_honoured(server, speed):
    """The engine makes whole 80 ms frames (1920 samples); speed s gives round(k * 1920 / s)."""
    client = openai.OpenAI(base_url=http_base(server) + "/v1", api_key="unused")
    audio = client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, speed=speed, response_format="pcm").read()
    frames = len(audio) / 2 * speed / 1920
    assert len(audio) > 0 and abs(frames - round(frames)) * 1920 / speed < 1


def test_openai_needs_the_servers_key(start_server):
    keyed = start_server("--api-key", "sesame")
    wrong = openai.OpenAI(base_url=http_base(keyed) + "/v1", api_key="nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.audio.speech.create(model="tts-1", voice="alloy", input=TEXT)
    right = openai.OpenAI(base_url=http_base(keyed) + "/v1", api_key="sesame")
    with right.audio.speech.with_streaming_response.create(model="tts-1", voice="alloy", input=TEXT,
                                                           response_format="pcm") as response:
        assert len(response.read()) > 0
    assert [model.id for model in right.models.list()] == ["pocket-tts", "tts-1", "tiny"]  # + the served model


def test_post_tts_client_against_ours(server):
    async def run():
        return [audio async for audio in post_tts(http_base(server) + "/tts", TEXT)]
    pieces = asyncio.run(run())
    assert pieces and sum(piece.seconds for piece in pieces) > 0


def test_bench_speaks_post_tts(server, tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = bench.main(["--url", http_base(server) + "/tts", "--sessions", "1", "--turns", "1", "--json", str(out)])
    capsys.readouterr()
    assert code == 0
    turns = json.loads(out.read_text())["turns"]
    assert turns and all(turn["error"] is None and turn["messages"] > 0 for turn in turns)
