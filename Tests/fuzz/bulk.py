"""Big inputs for the fuzzer (fuzz.py), and the event loop's lag as a client sees it.

- `PingWatch`: a side connection in its own process pings the native protocol every 20 ms through
  the whole run and keeps every round trip; the fuzz fails when any pong takes longer than
  `--max-pong-ms`. The server's loop serves every client: no input may hold it.
- `bulk(worker)`: a scenario of inputs whose cost grows with their size, on every protocol:
  long words, long texts without spaces, ordinary long texts, 100,000-character HTTP bodies
  (OpenAI, the reference's /tts form, Deepgram's REST), Wyoming synthesize events, one to six at once.
"""
import asyncio
import gc
import json
import multiprocessing
import os
import queue
import time
import urllib.parse

from harness import VOICE, Closed, RawWebSocket, frame, text_frame
from protocols import msgpack_type, pack

PING = json.dumps({"type": "ping"})


def big_text(rng, size: int) -> str:
    """`size` characters whose segmenting costs the most: one word, no spaces, or prose."""
    return rng.choice([
        lambda: "x" * size,
        lambda: ("ab" * size)[:size],
        lambda: ("word," * size)[:size],  # clause marks, no spaces
        lambda: ("é\u0301漢" * size)[:size],
        lambda: ("The river was calm today, and the boats went by. " * (size // 40 + 1))[:size],
        lambda: ("https://example.com/" + "a1" * size)[:size],
    ])()


class PingWatch:
    """Round trips of native pings on a connection of its own, from a process of its own (the
    fuzzer's own work would otherwise delay the pongs it reads: one interpreter lock), run at the
    highest priority it may get (`raise_priority`): a pong late is the server's lateness."""

    def __init__(self, port: int, interval: float = 0.02):
        self.port = port
        self.interval = interval
        self._trips = multiprocessing.Queue()
        self._connected = multiprocessing.Value("b", 0)
        self._stop = multiprocessing.Event()
        self._seen: list[float] = []
        self.error: str | None = None
        self.priority = "unknown"  # the watch process's scheduling, once it runs
        self._process = multiprocessing.Process(target=_watch, args=(port, interval, self._trips, self._connected, self._stop),
                                                daemon=True)

    def start(self) -> "PingWatch":
        self._process.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._process.join(timeout=30)
        self.trips  # noqa: B018: collect the last ones

    @property
    def connected(self) -> bool:
        return bool(self._connected.value)

    @property
    def trips(self) -> list[float]:
        while True:
            try:
                item = self._trips.get_nowait()
            except queue.Empty:
                return self._seen
            if isinstance(item, str):
                self.error = item
            elif isinstance(item, tuple):
                self.priority = item[1]
            else:
                self._seen.append(item)

    @property
    def worst(self) -> float:
        return max(self.trips, default=0.0)

    def over(self, bound: float) -> list[float]:
        return [t for t in self.trips if t > bound]


def raise_priority() -> str:
    """Puts the calling process ahead of every other on the machine, as far as it may: real-time
    (SCHED_FIFO, as root), else a negative nice, else as it is. On 2 cores a pong the server sent
    in time could otherwise wait for a busy fuzzer or a build to give the watch a core (a single
    pong of 55-94 ms among 3,000 when the server's own timer saw no lag over 50 ms)."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
        return "SCHED_FIFO 10"
    except (AttributeError, PermissionError, OSError):
        pass
    try:
        os.nice(-10)
        return "nice -10"
    except PermissionError:
        return f"nice {os.nice(0)} (no privilege to raise it)"


def _watch(port, interval, trips, connected, stop) -> None:
    trips.put(("priority", raise_priority()))
    gc.disable()  # no collection pause inside a round trip (the watch keeps no garbage cycles)

    async def session() -> None:
        ws = await RawWebSocket.connect(port)
        connected.value = 1
        try:
            while not stop.is_set():
                started = time.monotonic()
                await ws.send(text_frame(PING))
                while True:
                    kind, payload = await ws.receive(60)
                    if kind == "text" and json.loads(payload).get("type") == "pong":
                        break
                trips.put(time.monotonic() - started)
                await asyncio.sleep(interval)
        finally:
            connected.value = 0
            ws.abort(reset=False)

    async def run() -> None:
        while not stop.is_set():
            try:
                await session()
            except Closed:
                continue  # the idle bound (pings alone keep a session for minutes): reconnect
            except Exception as error:  # noqa: BLE001: reported by the fuzzer as a failure
                trips.put(f"ping watch: {type(error).__name__}: {error}")
                return

    asyncio.run(run())


async def http_post(port: int, path: str, body: bytes, content_type: str, timeout: float) -> int:
    """Sends one request, reads the status line and the headers, leaves: the status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        return int(head.split(b" ", 2)[1])
    finally:
        writer.transport.abort()


async def one_http(worker, size: int) -> None:
    rng = worker.rng
    text = big_text(rng, size)
    path = rng.choice(["/v1/audio/speech", "/tts", "/v1/speak"])
    if path == "/v1/audio/speech":
        body = json.dumps({"model": "tts-1", "input": text, "voice": VOICE, "response_format": "pcm"}).encode()
        kind = "application/json"
    elif path == "/tts":
        body = urllib.parse.urlencode({"text": text, "voice_url": VOICE}).encode()
        kind = "application/x-www-form-urlencoded"
    else:
        path += f"?model={VOICE}&encoding=linear16"
        body = json.dumps({"text": text}).encode()
        kind = "application/json"
    status = await http_post(worker.port, path, body, kind, worker.deadline)
    worker.stats.turns[f"bulk_http_{status}"] += 1
    if status not in (200, 400, 413, 503):
        raise worker.failure(f"bulk {path} of {len(body)} bytes: status {status}")


async def read_until(ws, worker, reply_type: str) -> None:
    """Reads until a JSON text message whose "type" is `reply_type` (the worker's deadline bounds it)."""
    while True:
        kind, payload = await ws.receive(worker.deadline)
        if kind == "text" and json.loads(payload).get("type") == reply_type:
            return


async def one_native(worker, size: int) -> None:
    ws = await RawWebSocket.connect(worker.port)
    try:
        await ws.send(text_frame(json.dumps({"type": "config", "data": {"voice": VOICE}})))
        texts = [json.dumps({"type": "text", "data": {"text": big_text(worker.rng, size)}}) for _ in range(worker.rng.randint(1, 3))]
        await ws.send(b"".join(text_frame(t) for t in texts) + text_frame(json.dumps({"type": "cancel"})) + text_frame(PING))
        await read_until(ws, worker, "pong")
    finally:
        ws.abort(reset=False)


async def one_kyutai(worker, size: int) -> None:
    ws = await RawWebSocket.connect(worker.port, f"/api/tts_streaming?voice={VOICE}&format=PcmMessagePack")
    try:
        kind, payload = await ws.receive(worker.deadline)
        if msgpack_type(payload) != "Ready":
            return  # at capacity
        await ws.send(frame(2, pack({"type": "Text", "text": big_text(worker.rng, size)})))
        await asyncio.sleep(worker.rng.random() * 0.2)
    finally:
        ws.abort(reset=worker.rng.random() < 0.5)


async def one_deepgram(worker, size: int) -> None:
    ws = await RawWebSocket.connect(worker.port, f"/v1/speak?model={VOICE}")
    try:
        await ws.send(text_frame(json.dumps({"type": "Speak", "text": big_text(worker.rng, size)}))
                      + text_frame('{"type":"Clear"}'))
        await read_until(ws, worker, "Cleared")
    finally:
        ws.abort(reset=False)


async def one_wyoming(worker, size: int) -> None:
    """A big synthesize, or a streamed start with a big chunk, then a ping: its pong comes once the
    text is segmented (slice by slice, the other clients' work in between); then the client leaves."""
    from wyoming import event, read_event  # Tests/fuzz/wyoming.py
    reader, writer = await asyncio.open_connection("127.0.0.1", worker.wyoming_port)
    try:
        text = big_text(worker.rng, size)
        if worker.rng.random() < 0.5:
            writer.write(event("synthesize", {"text": text, "voice": {"name": VOICE}}) + event("ping"))
        else:
            writer.write(event("synthesize-start") + event("synthesize-chunk", {"text": text}) + event("ping"))
        await writer.drain()
        while (got := await read_event(reader, worker.deadline)) is not None and got["type"] != "pong":
            pass
    finally:
        writer.transport.abort()


async def bulk(worker) -> None:
    """One to six big inputs at once, each on a protocol of its own choosing."""
    rng = worker.rng
    jobs = []
    for _ in range(rng.choice([1, 1, 2, 6])):
        kind = rng.choice(["http", "native", "kyutai", "deepgram"] + (["wyoming"] if worker.wyoming_port else []))
        size = rng.choice([100_000, 50_000, 12_500]) if kind == "http" else rng.choice([10_000, 9_999, 5_000])
        jobs.append(globals()["one_" + kind](worker, size))
        worker.stats.messages += 1
    results = await asyncio.gather(*jobs, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, Closed):
            raise result if type(result).__name__ == "Failure" else worker.failure(f"bulk: {type(result).__name__}: {result}")
