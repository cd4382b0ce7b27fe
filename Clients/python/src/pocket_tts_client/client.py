"""An asyncio client for the service's native protocol (`/tts/ws`, see the README).

    async with await TTSClient.connect("ws://127.0.0.1:8000/tts/ws", api_key=None) as client:
        await client.configure(voice="alba", format="pcm")
        await client.send_text("Hello there. ")
        await client.flush()
        async for audio in client.audio():        # until the turn's `final`
            play(audio.samples)                   # float32 numpy array, mono, [-1, 1]

    samples, turn = await client.speak("Hello there.")   # the same in one call

One turn at a time per socket: `configure` opens a turn; `text` and `flush` feed it; `cancel`
drops it (no `final`; `configure` again for the next one). A server `error` message raises
`ServerError` with its code.
"""
from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import AsyncIterator

import numpy as np
import websockets
from websockets.asyncio.client import ClientConnection

from .audio import StreamDecoder


class ServerError(Exception):
    """A `{"type":"error"}` message: `code` is e.g. `unknown_voice`, `invalid_config`, `at_capacity`;
    `retry_after`: seconds to wait before retrying (with `at_capacity`), else None."""

    def __init__(self, code: str, message: str, retry_after: float | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retry_after = retry_after


class ProtocolViolation(Exception):
    """The server sent something the protocol does not allow."""


@dataclass
class Audio:
    """One audio message of a turn."""

    data: bytes  # as received (base64 already undone)
    seconds: float  # audio it carries
    received_at: float  # time.perf_counter() when it arrived
    samples: np.ndarray | None = None  # float32 mono, when the turn decodes
    sample_rate: int = 24000


@dataclass
class Turn:
    """What `speak` and `audio` learnt about one turn."""

    request_id: str
    format: str
    sample_rate: int
    messages: int = 0
    seconds: float = 0.0
    started_at: float = 0.0  # perf_counter when `configure` was sent
    first_audio_at: float | None = None
    final_at: float | None = None
    arrivals: list[tuple[float, float]] = field(default_factory=list)  # (received_at, seconds)


class TTSClient:
    """One WebSocket session with the service. Not safe to share between tasks that both receive."""

    def __init__(self, connection: ClientConnection):
        self._ws = connection
        self.turn: Turn | None = None
        self._decoder: StreamDecoder | None = None
        self._decode = True

    @classmethod
    async def connect(cls, url: str, *, api_key: str | None = None, open_timeout: float = 10.0) -> "TTSClient":
        """Opens the socket (`X-API-Key` when `api_key` is given). HTTP refusals raise
        `websockets.exceptions.InvalidStatus` (401 without a valid key)."""
        headers = {"X-API-Key": api_key} if api_key else {}
        connection = await websockets.connect(
            url, additional_headers=headers, max_size=None, open_timeout=open_timeout, compression=None)
        return cls(connection)

    async def __aenter__(self) -> "TTSClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        await self._ws.close()

    @property
    def connection(self) -> ClientConnection:
        return self._ws

    async def send(self, message_type: str, data: dict | None = None) -> None:
        message = {"type": message_type}
        if data is not None:
            message["data"] = data
        await self._ws.send(json.dumps(message))

    async def configure(self, *, voice: str | None = None, format: str = "pcm", sample_rate: int = 24000,
                        binary: bool = True, decode: bool = True, **options) -> str:
        """Opens a turn and waits for `config_accepted`; returns its request id. `options` are
        further config keys (`temperature`, `eos_threshold`, `seed`, `max_tokens`, ...); None
        values are left out. Audio of a cancelled turn still in flight is skipped. With
        `decode=False` audio messages carry durations but no samples (no Opus decoder needed)."""
        config = {"format": format, "sample_rate": sample_rate, "binary": binary}
        if voice is not None:
            config["voice"] = voice
        config.update({key: value for key, value in options.items() if value is not None})
        started = time.perf_counter()
        await self.send("config", config)
        while True:
            message = await self._ws.recv()
            if isinstance(message, bytes):
                continue  # audio of a cancelled turn
            event = _parse(message)
            if event["type"] == "error":
                raise ServerError(event["data"].get("code", "?"), event["data"].get("message", ""), event["data"].get("retry_after"))
            if event["type"] == "event" and event["data"].get("event_type") == "config_accepted":
                break
        self.turn = Turn(request_id=event["data"].get("request_id", ""), format=format,
                         sample_rate=sample_rate, started_at=started)
        self._decoder = StreamDecoder(format, sample_rate)
        self._decode = decode
        return self.turn.request_id

    async def send_text(self, text: str) -> None:
        await self.send("text", {"text": text})

    async def flush(self) -> None:
        await self.send("flush")

    async def cancel(self) -> None:
        """Barge-in: the turn ends without `final`; call `configure` for the next one."""
        await self.send("cancel")
        self.turn = None

    async def ping(self) -> None:
        await self.send("ping")

    async def audio(self) -> AsyncIterator[Audio]:
        """The open turn's audio, message by message, until its `final`."""
        if self.turn is None or self._decoder is None:
            raise RuntimeError("no turn open: call configure() first")
        turn, decoder = self.turn, self._decoder
        while True:
            message = await self._ws.recv()
            received = time.perf_counter()
            if isinstance(message, str):
                event = _parse(message)
                kind = event["type"]
                if kind == "error":
                    raise ServerError(event["data"].get("code", "?"), event["data"].get("message", ""), event["data"].get("retry_after"))
                if kind == "event" and event["data"].get("event_type") == "final":
                    turn.final_at = received
                    return
                if kind != "audio":
                    continue  # pong, other events
                data = base64.b64decode(event["data"]["audio"])
            else:
                data = message
            if self._decode:
                samples = decoder.decode(data)
                seconds = len(samples) / decoder.sample_rate
            else:
                samples, seconds = None, decoder.measure(data)
            turn.messages += 1
            turn.seconds += seconds
            turn.arrivals.append((received, seconds))
            if turn.first_audio_at is None:
                turn.first_audio_at = received
            yield Audio(data=data, seconds=seconds, received_at=received, samples=samples,
                        sample_rate=decoder.sample_rate)

    async def speak(self, text: str, **config) -> tuple[np.ndarray, Turn]:
        """One whole turn: configure, the text, flush; all its samples and the turn's record."""
        await self.configure(**config)
        await self.send_text(text)
        await self.flush()
        pieces = [audio.samples async for audio in self.audio() if audio.samples is not None]
        samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
        return samples, self.turn


def _parse(message: str) -> dict:
    try:
        event = json.loads(message)
    except json.JSONDecodeError as error:
        raise ProtocolViolation(f"server sent a text frame that is not JSON: {message[:80]!r}") from error
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise ProtocolViolation(f"server message without a type: {message[:80]!r}")
    event.setdefault("data", {})
    return event
