"""A stand-in for the reference's `POST /tts` (FastAPI `pocket-tts serve`), for the HTTP client
tests: it reads the multipart form, then answers a WAV stream in HTTP chunks, one 80 ms frame
per chunk, as the reference's StreamingResponse does. Our service has no `POST /tts` yet."""
from __future__ import annotations

import asyncio
import io
import wave

import numpy as np

FRAME = 1920


def tone(frames: int) -> np.ndarray:
    return (np.sin(np.arange(frames * FRAME) / 5.0) * 10000).astype(np.int16)


def wav_header(rate: int) -> bytes:
    buffer = io.BytesIO()
    writer = wave.open(buffer, "wb")
    writer.setnchannels(1)
    writer.setsampwidth(2)
    writer.setframerate(rate)
    writer.setnframes(1_000_000_000)
    writer.writeframesraw(b"")
    return buffer.getvalue()


class FakeTTSServer:
    def __init__(self, frames: int = 5, frame_delay: float = 0.01, stall_after: int | None = None, stall: float = 0.0):
        self.frames = frames
        self.frame_delay = frame_delay
        self.stall_after = stall_after  # frames sent before one long pause of `stall` seconds
        self.stall = stall
        self.forms: list[bytes] = []
        self.server: asyncio.base_events.Server | None = None
        self._handlers: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/tts"

    async def start(self) -> "FakeTTSServer":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        self.server.close()
        for handler in self._handlers:
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._handlers.add(task)
        try:
            await self._answer(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        lines = request.decode().split("\r\n")
        length = next(int(line.split(":")[1]) for line in lines if line.lower().startswith("content-length"))
        body = await reader.readexactly(length)
        self.forms.append(body)
        if not lines[0].startswith("POST /tts ") or b'name="text"\r\n\r\n\r\n' in body:
            message = b'{"detail":"Text cannot be empty"}'
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(message)).encode() + b"\r\n\r\n" + message)
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nTransfer-Encoding: chunked\r\n\r\n")
            samples = tone(self.frames).tobytes()
            pieces = [wav_header(24000)] + [samples[i * 2 * FRAME:(i + 1) * 2 * FRAME] for i in range(self.frames)]
            for sent, piece in enumerate(pieces):
                writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                await writer.drain()
                await asyncio.sleep(self.stall if sent == self.stall_after else self.frame_delay)
            writer.write(b"0\r\n\r\n")
        await writer.drain()
