"""ElevenLabs' API on the live server with the real `elevenlabs` SDK: REST `convert` and `stream`,
`voices.get_all`, and WebSocket input streaming (the SDK's `convert_realtime`, and the messages
Pipecat's / LiveKit's ElevenLabs services send on multi-stream-input, over `websockets`)."""
from __future__ import annotations

import asyncio
import base64
import json

import pytest

elevenlabs = pytest.importorskip("elevenlabs")
websockets = pytest.importorskip("websockets")
from elevenlabs.client import ElevenLabs  # noqa: E402
from elevenlabs.core.api_error import ApiError  # noqa: E402

from conftest import VOICE  # noqa: E402

TEXT = "Hello world. How are you today? The river was calm."
KEY = "secret"


@pytest.fixture(scope="module")
def keyed(start_server):
    return start_server("--api-key", KEY)


def client_for(server, key: str = KEY) -> ElevenLabs:
    client = ElevenLabs(api_key=key, base_url=f"http://127.0.0.1:{server.port}")
    # convert_realtime forces wss:// on the base URL; the test server speaks plain ws://.
    client.text_to_speech._ws_base_url = f"ws://127.0.0.1:{server.port}"
    return client


def test_rest_convert_and_stream(keyed):
    client = client_for(keyed)
    pcm = b"".join(client.text_to_speech.convert(VOICE, text=TEXT, model_id="eleven_multilingual_v2",
                                                  output_format="pcm_24000"))
    assert len(pcm) >= 4 * 3840 and len(pcm) % 3840 == 0  # whole 80 ms frames of 16-bit samples
    mp3 = b"".join(client.text_to_speech.stream("21m00Tcm4TlvDq8ikWAM", text=TEXT, model_id="eleven_flash_v2_5"))
    assert mp3[0] == 0xFF and mp3[1] & 0xE0 == 0xE0  # mp3_44100_128, the SDK's default: MPEG frames
    with pytest.raises(ApiError) as refused:
        b"".join(client_for(keyed, key="wrong").text_to_speech.convert(VOICE, text=TEXT))
    assert refused.value.status_code == 401
    with pytest.raises(ApiError) as bad:
        b"".join(client.text_to_speech.convert(VOICE, text=TEXT, output_format="wav_44100"))
    assert bad.value.status_code == 400


def test_voices(keyed):
    voices = client_for(keyed).voices.get_all().voices
    assert VOICE in [voice.voice_id for voice in voices]


def test_convert_realtime(keyed):
    def words():
        yield from ["Hello ", "world. ", "How are ", "you today? ", "The river ", "was calm."]

    audio = b"".join(client_for(keyed).text_to_speech.convert_realtime(
        VOICE, text=words(), model_id="eleven_flash_v2_5", output_format="pcm_16000"))
    assert len(audio) >= 4 * 2560 and len(audio) % 2 == 0


def test_multi_stream_input_as_agent_frameworks_send_it(keyed):
    async def run():
        url = (f"ws://127.0.0.1:{keyed.port}/v1/text-to-speech/{VOICE}/multi-stream-input"
               "?model_id=eleven_flash_v2_5&output_format=pcm_24000&auto_mode=true&sync_alignment=true")
        async with websockets.connect(url, additional_headers={"xi-api-key": KEY}) as socket:
            await socket.send(json.dumps({"text": " ", "context_id": "c1",
                                          "voice_settings": {"stability": 0.5, "similarity_boost": 0.8, "speed": 1.0}}))
            await socket.send(json.dumps({"text": TEXT + " ", "context_id": "c1"}))
            await socket.send(json.dumps({"context_id": "c1", "flush": True}))
            audio, chars = b"", ""
            while len(audio) < 4 * 3840 or not chars:  # the turn's audio, then its timings
                message = json.loads(await socket.recv())
                assert message["contextId"] == "c1"
                audio += base64.b64decode(message["audio"] or "")
                if message.get("alignment"):
                    chars += "".join(message["alignment"]["chars"])
            assert chars == TEXT
            # Barge-in: close the context, then a new one; close_socket ends after its audio.
            await socket.send(json.dumps({"context_id": "c1", "close_context": True}))
            await socket.send(json.dumps({"text": "See you soon, my friend. ", "context_id": "c2"}))
            await socket.send(json.dumps({"close_socket": True}))
            finals, second = [], b""
            async for raw in socket:
                message = json.loads(raw)
                if message.get("isFinal"):
                    finals.append(message["contextId"])
                elif message["contextId"] == "c2":
                    second += base64.b64decode(message["audio"] or "")
            assert finals == ["c1", "c2"] and len(second) >= 3840
            assert socket.close_code == 1000

    asyncio.run(run())
