"""Client of the PocketTTS-Swift speech service: an asyncio client for the native WebSocket
protocol (`TTSClient`), the reference's `POST /tts` (`post_tts`), audio decoding
(`StreamDecoder`), and the `pocket-tts-bench` latency benchmark (`pocket_tts_client.bench`)."""

__version__ = "0.1.0"

from .audio import AudioFormatError, OpusUnavailable, StreamDecoder
from .client import Audio, ProtocolViolation, ServerError, Turn, TTSClient
from .http_stream import HTTPStatusError, post_tts
from .playout import Playout, simulate_playout

__all__ = [
    "Audio", "AudioFormatError", "HTTPStatusError", "OpusUnavailable", "Playout", "ProtocolViolation",
    "ServerError", "StreamDecoder", "TTSClient", "Turn", "post_tts", "simulate_playout",
]
