"""Audio of the service's formats: how long a message plays, and its samples.

One `StreamDecoder` per turn (Ogg pages, a WAV header and Opus state span messages), used
either to measure or to decode, not both:

    decoder = StreamDecoder("opus", 24000)
    seconds = decoder.measure(message)   # cheap: no decoding (the benchmark uses this)
    samples = decoder.decode(message)    # float32 mono in [-1, 1]

Formats: `pcm` (s16le), `pcm_f32`, `mulaw`, `alaw`, `wav` (16-bit PCM after a header), `opus`
(one raw packet per message) and `ogg` (Ogg Opus pages). Decoding Opus needs libopus (Debian
`libopus0`), loaded with ctypes; without it `decode` raises `OpusUnavailable` and `measure` still
works (packet durations come from the packets' table-of-contents bytes and Ogg granule positions).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import struct

import numpy as np

FORMATS = ("pcm", "pcm_f32", "mulaw", "alaw", "wav", "opus", "ogg")
OPUS_SAMPLE_RATES = (8000, 12000, 16000, 24000, 48000)


class AudioFormatError(ValueError):
    """A message that is not valid audio of its format."""


class OpusUnavailable(RuntimeError):
    """libopus could not be loaded, so Opus audio cannot be decoded."""


# MARK: G.711


def _mulaw_table() -> np.ndarray:
    """ITU-T G.711 μ-law byte -> 16-bit sample."""
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def _alaw_table() -> np.ndarray:
    """ITU-T G.711 A-law byte -> 16-bit sample."""
    codes = np.arange(256, dtype=np.int32) ^ 0x55
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = np.where(exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0))
    return np.where(sign != 0, magnitude, -magnitude).astype(np.int16)


MULAW_TO_LINEAR = _mulaw_table()
ALAW_TO_LINEAR = _alaw_table()


# MARK: Opus


def opus_packet_samples(packet: bytes, sample_rate: int = 48000) -> int:
    """Samples (at `sample_rate`) in one Opus packet, from its TOC byte (RFC 6716, 3.1)."""
    if not packet:
        raise AudioFormatError("empty Opus packet")
    toc = packet[0]
    config = toc >> 3
    if config < 12:  # SILK: 10, 20, 40, 60 ms
        frame_48k = (480, 960, 1920, 2880)[config & 3]
    elif config < 16:  # hybrid: 10, 20 ms
        frame_48k = (480, 960)[config & 1]
    else:  # CELT: 2.5, 5, 10, 20 ms
        frame_48k = (120, 240, 480, 960)[config & 3]
    code = toc & 3
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    else:
        if len(packet) < 2:
            raise AudioFormatError("Opus code-3 packet without a frame count")
        frames = packet[1] & 0x3F
    return frames * frame_48k * sample_rate // 48000


_libopus = None


def load_libopus() -> ctypes.CDLL:
    """libopus through ctypes, loaded once; `OpusUnavailable` with what to install otherwise."""
    global _libopus
    if _libopus is None:
        name = ctypes.util.find_library("opus") or "libopus.so.0"
        try:
            lib = ctypes.CDLL(name)
        except OSError as error:
            raise OpusUnavailable(
                f"cannot decode Opus: libopus not found ({error}); install it (Debian: apt-get install libopus0)"
                " or ask for format 'pcm'") from None
        lib.opus_decoder_create.restype = ctypes.c_void_p
        lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        lib.opus_decode_float.restype = ctypes.c_int
        lib.opus_decode_float.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32,
                                          ctypes.POINTER(ctypes.c_float), ctypes.c_int, ctypes.c_int]
        lib.opus_decoder_destroy.restype = None
        lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
        _libopus = lib
    return _libopus


class OpusDecoder:
    """A mono libopus decoder at `sample_rate` (8, 12, 16, 24 or 48 kHz)."""

    MAX_PACKET_MS = 120

    def __init__(self, sample_rate: int):
        if sample_rate not in OPUS_SAMPLE_RATES:
            raise ValueError(f"Opus decodes at {OPUS_SAMPLE_RATES} Hz, not {sample_rate}")
        self._lib = load_libopus()
        error = ctypes.c_int(0)
        self._state = self._lib.opus_decoder_create(sample_rate, 1, ctypes.byref(error))
        if not self._state or error.value != 0:
            raise OpusUnavailable(f"opus_decoder_create({sample_rate}) failed: {error.value}")
        self.sample_rate = sample_rate
        self._capacity = sample_rate * self.MAX_PACKET_MS // 1000
        self._buffer = (ctypes.c_float * self._capacity)()

    def decode(self, packet: bytes) -> np.ndarray:
        count = self._lib.opus_decode_float(self._state, packet, len(packet), self._buffer, self._capacity, 0)
        if count < 0:
            raise AudioFormatError(f"opus_decode_float failed: {count}")
        return np.ctypeslib.as_array(self._buffer)[:count].copy()

    def __del__(self):
        state = getattr(self, "_state", None)
        if state:
            self._lib.opus_decoder_destroy(state)
            self._state = None


# MARK: Ogg


class OggPacketReader:
    """Splits an Ogg stream, fed in arbitrary pieces, into packets (RFC 3533)."""

    def __init__(self):
        self._pending = bytearray()
        self._partial = bytearray()
        self.granule = 0  # granule position of the last complete page that set one

    def feed(self, data: bytes) -> list[bytes]:
        """The packets completed by `data`, in order."""
        self._pending.extend(data)
        packets = []
        while True:
            if len(self._pending) < 27:
                break
            if self._pending[:4] != b"OggS":
                raise AudioFormatError("Ogg stream out of sync: no 'OggS' capture pattern")
            segments = self._pending[26]
            header = 27 + segments
            if len(self._pending) < header:
                break
            lacing = self._pending[27:header]
            end = header + sum(lacing)
            if len(self._pending) < end:
                break
            granule = struct.unpack_from("<q", self._pending, 6)[0]
            offset = header
            for size in lacing:
                self._partial.extend(self._pending[offset:offset + size])
                offset += size
                if size < 255:
                    packets.append(bytes(self._partial))
                    self._partial.clear()
            if granule != -1:
                self.granule = granule
            del self._pending[:end]
        return packets


# MARK: WAV


class WavHeaderReader:
    """Reads a RIFF/WAVE header off the front of a stream; then passes its data through."""

    def __init__(self):
        self._pending = bytearray()
        self.sample_rate: int | None = None
        self.channels = 1
        self.bits = 16
        self.in_data = False

    def feed(self, data: bytes) -> bytes:
        """The sample bytes in `data` (none while the header is incomplete)."""
        if self.in_data:
            return data
        self._pending.extend(data)
        if len(self._pending) < 12:
            return b""
        if self._pending[:4] != b"RIFF" or self._pending[8:12] != b"WAVE":
            raise AudioFormatError("not a RIFF/WAVE stream")
        offset = 12
        while len(self._pending) >= offset + 8:
            chunk_id = bytes(self._pending[offset:offset + 4])
            size = struct.unpack_from("<I", self._pending, offset + 4)[0]
            if chunk_id == b"data":
                self.in_data = True
                if self.sample_rate is None:
                    raise AudioFormatError("WAV data chunk before its fmt chunk")
                rest = bytes(self._pending[offset + 8:])
                self._pending.clear()
                return rest
            if len(self._pending) < offset + 8 + size:
                return b""
            if chunk_id == b"fmt ":
                audio_format, self.channels, self.sample_rate = struct.unpack_from("<HHI", self._pending, offset + 8)
                self.bits = struct.unpack_from("<H", self._pending, offset + 22)[0]
                if audio_format != 1 or self.bits != 16:
                    raise AudioFormatError(f"WAV format {audio_format} with {self.bits} bits: only 16-bit PCM is read")
            offset += 8 + size + (size & 1)
        return b""


# MARK: One turn's audio


class StreamDecoder:
    """Durations and samples of one turn's audio messages, in order."""

    def __init__(self, format: str, sample_rate: int):
        if format not in FORMATS:
            raise ValueError(f"unknown audio format {format!r}; expected one of {', '.join(FORMATS)}")
        self.format = format
        self.sample_rate = sample_rate  # of the decoded samples (a WAV header may change it)
        self._opus: OpusDecoder | None = None
        self._ogg = OggPacketReader() if format == "ogg" else None
        self._ogg_seconds = 0.0
        self._ogg_preskip = 0
        self._ogg_packets = 0  # packets seen (the first two are headers)
        self._wav = WavHeaderReader() if format == "wav" else None
        self._carry = b""  # an odd trailing byte of 16/32-bit PCM split across messages
        self._mode: str | None = None  # "measure" or "decode": stream state serves one of them

    def _use(self, mode: str) -> None:
        if self._mode not in (None, mode):
            raise RuntimeError(f"this StreamDecoder is used to {self._mode}; make another to {mode}")
        self._mode = mode

    def measure(self, data: bytes) -> float:
        """Seconds of audio in this message, without decoding it."""
        self._use("measure")
        if self.format == "pcm":
            return len(data) / 2 / self.sample_rate
        if self.format == "pcm_f32":
            return len(data) / 4 / self.sample_rate
        if self.format in ("mulaw", "alaw"):
            return len(data) / self.sample_rate
        if self.format == "wav":
            samples = self._wav.feed(data)
            rate = self._wav.sample_rate or self.sample_rate
            return len(samples) / 2 / self._wav.channels / rate
        if self.format == "opus":
            return opus_packet_samples(data) / 48000
        for packet in self._ogg.feed(data):
            self._note_ogg_header(packet)
        end = max(0, self._ogg.granule - self._ogg_preskip) / 48000
        seconds, self._ogg_seconds = end - self._ogg_seconds, max(end, self._ogg_seconds)
        return max(seconds, 0.0)

    def decode(self, data: bytes) -> np.ndarray:
        """This message's samples: float32, mono, in [-1, 1], at `self.sample_rate`."""
        self._use("decode")
        if self.format in ("pcm", "wav", "pcm_f32"):
            if self.format == "wav":
                data = self._wav.feed(data)
                if self._wav.sample_rate:
                    self.sample_rate = self._wav.sample_rate
            width = 4 if self.format == "pcm_f32" else 2
            data = self._carry + data
            usable = len(data) - len(data) % width
            self._carry = data[usable:]
            if width == 4:
                return np.frombuffer(data[:usable], dtype="<f4").astype(np.float32)
            return np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0
        if self.format in ("mulaw", "alaw"):
            table = MULAW_TO_LINEAR if self.format == "mulaw" else ALAW_TO_LINEAR
            return table[np.frombuffer(data, dtype=np.uint8)].astype(np.float32) / 32768.0
        if self.format == "opus":
            return self._opus_decoder(self.sample_rate).decode(data)
        return self._decode_ogg(data)

    def _opus_decoder(self, sample_rate: int) -> OpusDecoder:
        if self._opus is None:
            self._opus = OpusDecoder(sample_rate)
        return self._opus

    def _note_ogg_header(self, packet: bytes) -> bool:
        """True for the two header packets (OpusHead, OpusTags); reads the pre-skip."""
        self._ogg_packets += 1
        if self._ogg_packets == 1:
            if not packet.startswith(b"OpusHead") or len(packet) < 19:
                raise AudioFormatError("Ogg stream does not start with an OpusHead packet")
            self._ogg_preskip = struct.unpack_from("<H", packet, 10)[0]
            return True
        return self._ogg_packets == 2

    def _decode_ogg(self, data: bytes) -> np.ndarray:
        # An Ogg Opus stream decodes at any Opus rate; the configured rate when it is one.
        rate = self.sample_rate if self.sample_rate in OPUS_SAMPLE_RATES else 48000
        decoder = self._opus_decoder(rate)
        self.sample_rate = rate
        pieces = []
        for packet in self._ogg.feed(data):
            if self._note_ogg_header(packet):
                continue
            samples = decoder.decode(packet)
            skip = min(len(samples), self._ogg_preskip * rate // 48000)
            self._ogg_preskip -= skip * 48000 // rate
            pieces.append(samples[skip:])
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
