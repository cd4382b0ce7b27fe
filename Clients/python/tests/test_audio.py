"""Audio decoding without a server: G.711 tables, Opus packet lengths, Ogg and WAV framing."""
import ctypes
import struct
import wave
import io

import numpy as np
import pytest

from pocket_tts_client.audio import (
    ALAW_TO_LINEAR, MULAW_TO_LINEAR, AudioFormatError, OggPacketReader, OpusUnavailable, StreamDecoder,
    WavHeaderReader, load_libopus, opus_packet_samples)


def test_g711_tables_match_the_itu_reference_values():
    # Values of the ITU-T G.711 reference decoder (g711.c ulaw2linear / alaw2linear).
    assert MULAW_TO_LINEAR[0xFF] == 0 and MULAW_TO_LINEAR[0x7F] == 0
    assert MULAW_TO_LINEAR[0x00] == -32124 and MULAW_TO_LINEAR[0x80] == 32124
    assert ALAW_TO_LINEAR[0xD5] == 8 and ALAW_TO_LINEAR[0x55] == -8
    assert ALAW_TO_LINEAR[0xAA] == 32256 and ALAW_TO_LINEAR[0x2A] == -32256
    # Both are odd-symmetric and monotonic within each sign half.
    assert np.all(np.diff(MULAW_TO_LINEAR[0x80:].astype(int)) < 0)
    assert np.array_equal(MULAW_TO_LINEAR[:0x80], -MULAW_TO_LINEAR[0x80:])
    assert np.array_equal(ALAW_TO_LINEAR[:0x80], -ALAW_TO_LINEAR[0x80:])


@pytest.mark.parametrize("toc, extra, samples_48k", [
    (0b11111_0_00, b"", 960),         # CELT 20 ms, one frame
    (0b11111_0_11, bytes([4]), 3840),  # CELT 20 ms, code 3 with 4 frames: the service's 80 ms packet
    (0b00011_0_01, b"", 5760),        # SILK 60 ms, two frames
    (0b01101_0_00, b"", 960),         # hybrid 20 ms
    (0b10000_0_10, b"", 240),         # CELT 2.5 ms, two frames
])
def test_opus_packet_samples_from_the_toc_byte(toc, extra, samples_48k):
    packet = bytes([toc]) + extra + b"\x00" * 10
    assert opus_packet_samples(packet) == samples_48k
    assert opus_packet_samples(packet, 24000) == samples_48k // 2


def test_empty_opus_packet_is_an_error():
    with pytest.raises(AudioFormatError):
        opus_packet_samples(b"")


def ogg_page(packets: list[bytes], granule: int, sequence: int) -> bytes:
    lacing = []
    for packet in packets:
        lacing += [255] * (len(packet) // 255) + [len(packet) % 255]
    header = b"OggS" + bytes([0, 0]) + struct.pack("<qIII", granule, 7, sequence, 0) + bytes([len(lacing)])
    return header + bytes(lacing) + b"".join(packets)


def test_ogg_reader_reassembles_packets_fed_byte_by_byte():
    long_packet = bytes(range(256)) * 3  # 768 bytes: lacing 255, 255, 255, 3
    stream = ogg_page([b"OpusHead-ish", b"tags"], 0, 0) + ogg_page([long_packet, b"x"], 960, 1)
    reader = OggPacketReader()
    packets = []
    for byte in stream:
        packets += reader.feed(bytes([byte]))
    assert packets == [b"OpusHead-ish", b"tags", long_packet, b"x"]
    assert reader.granule == 960


def test_ogg_reader_rejects_a_stream_out_of_sync():
    with pytest.raises(AudioFormatError):
        OggPacketReader().feed(b"NotOgg" + b"\x00" * 40)


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def test_wav_stream_split_anywhere_decodes_to_its_samples():
    samples = (np.sin(np.arange(1000) / 7) * 20000).astype(np.int16)
    stream = wav_bytes(samples, 16000)
    for split in (1, 20, 44, 45, 47, 501):
        decoder = StreamDecoder("wav", 24000)
        decoded = np.concatenate([decoder.decode(stream[:split]), decoder.decode(stream[split:])])
        assert np.array_equal(decoded, samples / 32768.0)
        assert decoder.sample_rate == 16000
    measurer = StreamDecoder("wav", 24000)
    assert sum(measurer.measure(stream[i:i + 100]) for i in range(0, len(stream), 100)) == pytest.approx(1000 / 16000)


def test_wav_reader_rejects_other_streams():
    with pytest.raises(AudioFormatError):
        WavHeaderReader().feed(b"RIFX" + b"\x00" * 40)


def test_pcm_durations_and_split_samples():
    decoder = StreamDecoder("pcm", 24000)
    data = np.arange(-5, 5, dtype="<i2").tobytes()
    decoded = np.concatenate([decoder.decode(data[:3]), decoder.decode(data[3:])])
    assert np.array_equal(decoded, np.arange(-5, 5) / 32768.0)
    assert StreamDecoder("pcm_f32", 8000).measure(b"\x00" * 32000) == 1.0
    assert StreamDecoder("mulaw", 8000).measure(b"\x00" * 4000) == 0.5


def test_a_decoder_measures_or_decodes_not_both():
    decoder = StreamDecoder("pcm", 24000)
    decoder.measure(b"\x00\x00")
    with pytest.raises(RuntimeError):
        decoder.decode(b"\x00\x00")


def test_opus_round_trip_through_libopus():
    try:
        lib = load_libopus()
    except OpusUnavailable as error:
        pytest.skip(str(error))
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.opus_encode_float.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_int,
                                      ctypes.c_char_p, ctypes.c_int32]
    lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
    error = ctypes.c_int(0)
    encoder = lib.opus_encoder_create(24000, 1, 2049, ctypes.byref(error))  # OPUS_APPLICATION_AUDIO
    assert error.value == 0
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(24000) / 24000)).astype(np.float32)
    decoder = StreamDecoder("opus", 24000)
    decoded, durations = [], []
    output = ctypes.create_string_buffer(4000)
    try:
        for start in range(0, 24000, 480):  # 20 ms frames
            frame = np.ascontiguousarray(tone[start:start + 480])
            size = lib.opus_encode_float(encoder, frame.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), 480, output, 4000)
            assert size > 0
            packet = output.raw[:size]
            durations.append(opus_packet_samples(packet, 24000))
            decoded.append(decoder.decode(packet))
    finally:
        lib.opus_encoder_destroy(encoder)
    signal = np.concatenate(decoded)
    assert durations == [480] * 50 and len(signal) == 24000
    # Past the codec's delay the decoded tone matches the input.
    lag = max(range(400), key=lambda k: float(np.dot(signal[k + 2400:k + 12000], tone[2400:12000])))
    assert np.corrcoef(signal[lag + 2400:lag + 12000], tone[2400:12000])[0, 1] > 0.99
