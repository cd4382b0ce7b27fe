"""The native-protocol client against a live server (tiny model, temperature 0: deterministic)."""
from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
import websockets.exceptions

from pocket_tts_client import ServerError, TTSClient

TEXT = "Hello world."  # one sentence: a debug build of the tiny model runs near real time
FRAME = 1920  # samples of one 80 ms frame at 24 kHz


def same_audio(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to float noise: temperature 0 is deterministic, but the engine's arithmetic may
    differ in the last bits between runs (threads, batching), so a sample can differ by an LSB."""
    return a.shape == b.shape and float(np.max(np.abs(a - b))) <= 1e-3


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=60))


def speak(url: str, **config):
    async def go():
        async with await TTSClient.connect(url) as client:
            return await client.speak(TEXT, temperature=0, seed=3, **config)
    return run(go())


@pytest.fixture(scope="module")
def reference_pcm(server) -> np.ndarray:
    samples, _ = speak(server.url)
    return samples


def test_turn_yields_whole_frames_of_pcm(server, reference_pcm):
    async def go():
        async with await TTSClient.connect(server.url) as client:
            request_id = await client.configure(temperature=0, seed=3)
            await client.send_text(TEXT)
            await client.flush()
            return request_id, [audio async for audio in client.audio()], client.turn

    request_id, messages, turn = run(go())
    assert request_id and turn.request_id == request_id
    assert len(messages) >= 2 and turn.final_at is not None
    for audio in messages:
        assert audio.samples.dtype == np.float32 and audio.samples.shape == (FRAME,)
        assert len(audio.data) == 2 * FRAME and audio.seconds == pytest.approx(0.08)
        assert np.all(np.abs(audio.samples) <= 1.0)
    samples = np.concatenate([audio.samples for audio in messages])
    assert turn.seconds == pytest.approx(len(samples) / 24000)
    assert same_audio(samples, reference_pcm)  # temperature 0: the same audio every time
    assert np.sqrt(np.mean(samples ** 2)) > 0.01  # not silence


@pytest.mark.parametrize("speed", [0.5, 2.0])
def test_speed_stretches_the_turn(server, reference_pcm, speed):
    """`speed` (a config key): the same audio time-stretched, round(samples / speed) of them."""
    samples, _ = speak(server.url, speed=speed)
    assert len(samples) == round(len(reference_pcm) / speed)
    assert np.sqrt(np.mean(samples ** 2)) > 0.01


def test_sample_rate_keeps_the_duration(server, reference_pcm):
    samples, turn = speak(server.url, sample_rate=16000)
    assert len(samples) == len(reference_pcm) * 2 // 3
    assert turn.seconds == pytest.approx(len(reference_pcm) / 24000)


def test_lossless_formats_agree_with_pcm(server, reference_pcm):
    f32, _ = speak(server.url, format="pcm_f32")
    wav, _ = speak(server.url, format="wav")
    assert same_audio(wav, reference_pcm)
    assert f32.shape == reference_pcm.shape
    # s16 is f32 clamped to [-1, 1] and rounded.
    assert same_audio(np.clip(f32, -1, 1), reference_pcm)


def test_base64_audio_equals_binary(server, reference_pcm):
    samples, turn = speak(server.url, binary=False)
    assert same_audio(samples, reference_pcm)
    assert turn.messages == len(reference_pcm) // FRAME


@pytest.mark.parametrize("format", ["mulaw", "alaw"])
def test_g711_decodes_close_to_pcm(server, reference_pcm, format):
    samples, _ = speak(server.url, format=format)
    assert samples.shape == reference_pcm.shape
    error = samples - reference_pcm
    snr = 10 * np.log10(np.sum(reference_pcm ** 2) / np.sum(error ** 2))
    assert snr > 30  # G.711 companding: about 38 dB on this signal


def test_opus_packets_decode_to_the_same_signal(server, reference_pcm):
    from pocket_tts_client.audio import OpusUnavailable, load_libopus
    try:
        load_libopus()
    except OpusUnavailable as error:
        pytest.skip(str(error))
    samples, turn = speak(server.url, format="opus")
    assert abs(len(samples) - len(reference_pcm)) <= FRAME  # 80 ms packets; the encoder's tail may add one
    # Raw packets keep the decoder's delay: align, then compare.
    usable = len(reference_pcm) - 400
    lag = max(range(400), key=lambda k: float(np.dot(samples[k:k + usable], reference_pcm[:usable])))
    assert np.corrcoef(samples[lag:lag + usable], reference_pcm[:usable])[0, 1] > 0.8


def test_ogg_pages_decode_without_delay(server, reference_pcm):
    from pocket_tts_client.audio import OpusUnavailable, load_libopus
    try:
        load_libopus()
    except OpusUnavailable as error:
        pytest.skip(str(error))
    samples, turn = speak(server.url, format="ogg")
    assert turn.seconds == pytest.approx(len(samples) / 24000, abs=1e-3)
    usable = len(reference_pcm) - FRAME
    assert np.corrcoef(samples[:usable], reference_pcm[:usable])[0, 1] > 0.7  # pre-skip removed: no lag


def test_cancel_stops_the_turn_without_final_and_the_socket_goes_on(server, reference_pcm):
    async def go():
        async with await TTSClient.connect(server.url) as client:
            # EOS disabled: each sentence runs to its frame budget, far longer than one frame.
            await client.configure(temperature=0, eos_threshold=1e9, decode=False)
            await client.send_text("One long sentence that keeps going. And another one after it. ")
            await client.flush()
            async for _ in client.audio():
                break  # the first audio arrived: barge in
            await client.cancel()
            after = []
            try:
                while True:
                    after.append(await asyncio.wait_for(client.connection.recv(), timeout=1.5))
            except asyncio.TimeoutError:
                pass
            samples, turn = await client.speak(TEXT, temperature=0, seed=3)
            return after, samples

    after, samples = run(go())
    events = [json.loads(message) for message in after if isinstance(message, str)]
    assert not [event for event in events if event.get("data", {}).get("event_type") == "final"]
    assert len(after) < 40  # at most the frames already in flight, not the rest of the turn
    assert same_audio(samples, reference_pcm)


def test_errors_are_typed_and_the_session_survives(server, reference_pcm):
    async def go():
        async with await TTSClient.connect(server.url) as client:
            codes = []
            for config in ({"voice": "nobody"}, {"format": "mp3"}, {"sample_rate": 44100, "format": "opus"},
                           {"temperature": -1}):
                with pytest.raises(ServerError) as refused:
                    await client.configure(**config)
                codes.append(refused.value.code)
            samples, _ = await client.speak(TEXT, temperature=0, seed=3)
            return codes, samples

    codes, samples = run(go())
    assert codes == ["unknown_voice", "invalid_config", "invalid_config", "invalid_config"]
    assert same_audio(samples, reference_pcm)


def test_text_before_config_is_an_invalid_type_error(server):
    async def go():
        async with await TTSClient.connect(server.url) as client:
            await client.send_text("Hello.")
            return json.loads(await client.connection.recv())

    reply = run(go())
    assert reply["type"] == "error" and reply["data"]["code"] == "invalid_type"


def test_not_json_is_a_parse_error_then_a_close(server):
    async def go():
        async with await TTSClient.connect(server.url) as client:
            await client.connection.send("{not json")
            reply = json.loads(await client.connection.recv())
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                await client.connection.recv()
            return reply, closed.value.rcvd.code

    reply, code = run(go())
    assert reply["data"]["code"] == "parse_error"
    assert code == 1008


def test_ping_is_answered(server):
    async def go():
        async with await TTSClient.connect(server.url) as client:
            await client.ping()
            return json.loads(await client.connection.recv())

    assert run(go()) == {"type": "pong"}


def test_api_key_is_required_when_configured(start_server):
    keyed = start_server("--api-key", "secret-1")

    async def refused():
        await TTSClient.connect(keyed.url)

    with pytest.raises(websockets.exceptions.InvalidStatus) as rejection:
        run(refused())
    assert rejection.value.response.status_code == 401

    async def accepted():
        async with await TTSClient.connect(keyed.url, api_key="secret-1") as client:
            return await client.speak(TEXT, temperature=0, seed=3, decode=False)

    _, turn = run(accepted())
    assert turn.messages > 0 and turn.final_at is not None
