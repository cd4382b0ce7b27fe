"""Malformed HTTP requests for the fuzzer (fuzz.py's `http_heads` scenario): every one must get a
JSON answer with its status (never libwebsockets' HTML page, never a silent close), as the first
request of a connection or after a good one on a keep-alive connection, sent after its answer or
pipelined behind it. README "Limits and failure behaviour"."""
import asyncio

REFUSALS = {400, 405, 411, 413, 414, 431, 501, 505}


def malformed(rng) -> tuple[bytes, int]:
    """A request the server must refuse, and the status it must give."""
    long = "a" * rng.choice([4097, 5000, 100_000])
    return rng.choice([
        (f"GET /health?q={long} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 414),
        (b"GET /health?x=%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /health?%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /health?x=%4 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(rng.choice([101, 1000]))) + b"\r\n", 431),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * rng.choice([8193, 100_000]) + b"\r\n\r\n", 431),
        (rng.choice([b"FROB", b"get", b"M-SEARCH", b"PROPFIND"]) + b" /health HTTP/1.1\r\nHost: x\r\n\r\n", 501),
        (b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 405),
        (b"TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
        (b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
        (b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n{\"input\":\"hi\"}", 411),
        (b"PUT /v1/voices HTTP/1.1\r\nHost: x\r\n\r\n", 411),
        (b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Length: " + rng.choice([b"abc", b"-5", b"1 2", b""]) + b"\r\n\r\n", 400),
        (b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400),
        (b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", 400),
        (b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"POST /v1/voices HTTP/1.1\r\nHost: x\r\nContent-Length: 900000000\r\n\r\n{", 413),
    ])


def good_first(rng) -> bytes:
    """A request the server answers and keeps the connection for."""
    return rng.choice([
        b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    ])


async def read_answer(reader, deadline: float) -> tuple[int, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), deadline)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await asyncio.wait_for(reader.readexactly(length), deadline)
    return int(head.split(b" ", 2)[1]), body


async def http_heads(worker) -> None:
    rng = worker.rng
    raw, status = malformed(rng)
    # Half of them after a good request on a keep-alive connection (libwebsockets 4.1's
    # HTTP_BODY_COMPLETION loop on such sequences is ended by the server: MalformedHTTPTests).
    first = good_first(rng) if rng.random() < 0.5 else None
    pipelined = rng.random() < 0.5
    reader, writer = await asyncio.open_connection("127.0.0.1", worker.port)
    try:
        if first:
            writer.write(first + (raw if pipelined else b""))
            await writer.drain()
            got, body = await read_answer(reader, worker.deadline)
            if got not in (200, 400) or b"<html" in body.lower():
                raise worker.failure(f"http_heads: the good first request got {got}: {body[:80]!r}")
            if not pipelined:
                writer.write(raw)
        else:
            writer.write(raw)
        await writer.drain()
        got, body = await read_answer(reader, worker.deadline)
        worker.stats.messages += 1 + bool(first)
        worker.stats.turns[f"http_head_{got}"] += 1
        if got != status or b"<html" in body.lower() or not body.startswith(b"{"):
            raise worker.failure(f"http_heads: {raw[:60]!r} (after a good request: {bool(first)}, pipelined: {pipelined}) "
                                 f"got {got} {body[:80]!r}, expected {status}")
    except (asyncio.IncompleteReadError, ConnectionResetError, asyncio.TimeoutError) as error:
        raise worker.failure(f"http_heads: {raw[:60]!r}: no answer ({type(error).__name__})")
    finally:
        writer.transport.abort()
