"""The reference server's HTTP form API: `POST /tts` with form fields `text` and optional
`voice_url`; the answer is a WAV stream (16-bit PCM, chunked), read here as it arrives.

    async for audio in post_tts("http://127.0.0.1:8000/tts", "Hello there."):
        ...  # Audio messages, one per network read, as the WebSocket client yields them

Plain asyncio streams, HTTP/1.1, no dependency: `http://` only.
"""
from __future__ import annotations

import time
import uuid
from typing import AsyncIterator
from urllib.parse import urlsplit

import asyncio

from .audio import StreamDecoder
from .client import Audio, Turn


class HTTPStatusError(Exception):
    """The server answered with a status other than 200."""

    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status
        self.body = body


def multipart_form(fields: dict[str, str]) -> tuple[bytes, str]:
    """A multipart/form-data body of text fields, and its Content-Type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    status_line = (await reader.readline()).decode("latin-1").strip()
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise HTTPStatusError(0, f"not an HTTP response: {status_line!r}")
    headers = {}
    while True:
        line = (await reader.readline()).decode("latin-1")
        if line in ("\r\n", "\n", ""):
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def _body(reader: asyncio.StreamReader, headers: dict[str, str]) -> AsyncIterator[bytes]:
    """The response body as it arrives: chunked, sized, or until the server closes."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = await reader.readline()
            if not size_line:
                raise HTTPStatusError(200, "connection closed inside a chunked body")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readline()
                return
            remaining = size
            while remaining:
                piece = await reader.read(remaining)
                if not piece:
                    raise HTTPStatusError(200, "connection closed inside a chunk")
                remaining -= len(piece)
                yield piece
            await reader.readexactly(2)
    elif "content-length" in headers:
        remaining = int(headers["content-length"])
        while remaining:
            piece = await reader.read(min(remaining, 65536))
            if not piece:
                return
            remaining -= len(piece)
            yield piece
    else:
        while piece := await reader.read(65536):
            yield piece


async def post_tts(url: str, text: str, *, voice_url: str | None = None, api_key: str | None = None,
                   decode: bool = True, turn: Turn | None = None) -> AsyncIterator[Audio]:
    """Posts the form and yields the WAV's audio as it arrives. `turn`, when given, records the
    timings as `TTSClient.audio` does (`started_at` is when the request was sent)."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ValueError(f"post_tts speaks http:// only, not {url!r}")
    fields = {"text": text}
    if voice_url:
        fields["voice_url"] = voice_url
    body, content_type = multipart_form(fields)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    head = [f"POST {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1",
            f"Host: {parts.netloc}", f"Content-Type: {content_type}", f"Content-Length: {len(body)}",
            "Accept: audio/wav", "Connection: close"]
    if api_key:
        head.append(f"X-API-Key: {api_key}")
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()
        if turn is not None:
            turn.started_at = time.perf_counter()
        status, headers = await _read_head(reader)
        if status != 200:
            text_body = b"".join([piece async for piece in _body(reader, headers)]).decode(errors="replace")
            raise HTTPStatusError(status, text_body)
        decoder = StreamDecoder("wav", 24000)
        async for piece in _body(reader, headers):
            received = time.perf_counter()
            if decode:
                samples = decoder.decode(piece)
                seconds = len(samples) / decoder.sample_rate
            else:
                samples, seconds = None, decoder.measure(piece)
            if seconds <= 0:
                continue  # header bytes only
            if turn is not None:
                turn.messages += 1
                turn.seconds += seconds
                turn.arrivals.append((received, seconds))
                if turn.first_audio_at is None:
                    turn.first_audio_at = received
            yield Audio(data=piece, seconds=seconds, received_at=received, samples=samples,
                        sample_rate=decoder.sample_rate)
        if turn is not None:
            turn.final_at = time.perf_counter()
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
