"""Shared pieces of the fuzzer (fuzz.py) and the soak (soak.py), standard library only.

- `Server`: starts `pocket-tts serve` on the tiny test model (the fixtures of PocketTTSTests),
  waits until /ready, watches the process, reads /metrics, stops it.
- `RawWebSocket`: an RFC 6455 client over asyncio streams that can also break the protocol
  (unmasked frames, reserved bits, bad opcodes, invalid UTF-8, lying lengths, TCP resets), which
  is why no WebSocket library is used.
"""
import asyncio
import base64
import os
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "PocketTTSTests", "Fixtures")
VOICE = "voice_state"  # the tiny model's voice, offered under its file name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metric_at(port: int, series: str) -> float | None:
    """The value of one /metrics series, e.g. `pocket_tts_sessions`: the sum of every series of
    that name whose labels include the given ones (all protocols), or None when none matches."""
    _, text = http_get(port, "/metrics")
    return metric_sum(text, series)


def series_parts(series: str) -> tuple[str, set[str]]:
    """`name{a="1",b="2"}` as its name and its `a="1"` parts."""
    name, _, labels = series.partition("{")
    return name, set(filter(None, labels.rstrip("}").split(",")))


def metric_sum(text: str, series: str) -> float | None:
    name, labels = series_parts(series)
    total = None
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        key, _, value = line.rpartition(" ")
        line_name, line_labels = series_parts(key)
        if line_name == name and labels <= line_labels:
            total = (total or 0.0) + float(value)
    return total


class Server:
    """`pocket-tts serve` on the tiny model, its stderr in a log file."""

    def __init__(self, binary: str, env: dict | None = None, log_level: str = "warning", nice: int = 0):
        """`nice`: the server's nice increment (negative needs root: a server measured on a shared
        machine then runs ahead of the other work there)."""
        self.port = free_port()
        self.wyoming_port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="pocket-tts-serve-", suffix=".log", delete=False)
        variables = dict(os.environ)
        variables.update({
            "POCKET_TTS_MAX_SESSIONS_PER_ADDRESS": "0",  # every client is 127.0.0.1
            "POCKET_TTS_METRICS_ACCESS": "open",
            "POCKET_TTS_WYOMING_PORT": str(self.wyoming_port),
        })
        variables.update(env or {})
        reference = os.path.join(FIXTURES, "reference")
        self.process = subprocess.Popen(
            [binary, "serve", "--no-download", "--port", str(self.port), "--log-level", log_level,
             "--config", os.path.join(reference, "tiny.yaml"),
             "--weights", os.path.join(reference, "tiny_weights.safetensors"),
             "--tokenizer", os.path.join(FIXTURES, "tokenizer", "test_tokenizer.model"),
             "--voice", os.path.join(reference, "voice_state.safetensors"),
             "--server-config", os.path.join(ROOT, "Configs", "server.yaml")],
            stdout=self.log, stderr=self.log, env=variables, cwd=ROOT, preexec_fn=(lambda: os.nice(nice)) if nice else None)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode} while starting:\n{self.log_tail()}")
            try:
                if self.http("/ready")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("server not ready after 60 s")
            time.sleep(0.1)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def http(self, path: str) -> tuple[int, str]:
        return http_get(self.port, path)

    def metric(self, series: str) -> float | None:
        return metric_at(self.port, series)

    def metrics(self, prefix: str) -> dict[str, float]:
        _, text = self.http("/metrics")
        values = {}
        for line in text.splitlines():
            if line.startswith(prefix) and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values

    def rss_bytes(self) -> int:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def log_tail(self, lines: int = 40) -> str:
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return "".join(f.readlines()[-lines:])

    def stop(self) -> int | None:
        """SIGTERM (graceful shutdown), then SIGKILL after 15 s; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def finish(server: "Server | None", failures: list[str]) -> int:
    """Stops the server (a non-zero exit on SIGTERM is a failure too), prints PASS or FAIL with
    the server log's tail, and returns the process exit status."""
    if server:
        status = server.stop()
        if status != 0:
            failures.append(f"the server exited with {status} on SIGTERM")
    if failures:
        print("FAIL: " + "\n  ".join(failures[:10]))
        if server:
            print("server log (tail):\n" + server.log_tail())
        return 1
    print("PASS")
    return 0


class Closed(Exception):
    """The server closed the connection: `code` from its close frame, None for EOF or reset."""

    def __init__(self, code: int | None, reason: str = ""):
        super().__init__(f"closed {code} {reason}")
        self.code = code
        self.reason = reason


def frame(opcode: int, payload: bytes, fin: bool = True, masked: bool = True, rsv: int = 0,
          declared_length: int | None = None) -> bytes:
    """One client frame; every rule of RFC 6455 can be broken on request."""
    length = len(payload) if declared_length is None else declared_length
    head = bytes([(0x80 if fin else 0) | (rsv & 7) << 4 | (opcode & 0xF)])
    mask_bit = 0x80 if masked else 0
    if length < 126:
        head += bytes([mask_bit | length])
    elif length < 65536:
        head += bytes([mask_bit | 126]) + struct.pack(">H", length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack(">Q", length)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + mask(payload, key)


def mask(payload: bytes, key: bytes) -> bytes:
    if not payload:
        return b""
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")).to_bytes(len(payload), "little")


def text_frame(text: str) -> bytes:
    return frame(1, text.encode())


class RawWebSocket:
    """A WebSocket client connection; messages come back as ("text", str), ("binary", bytes)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.closed: Closed | None = None

    @classmethod
    async def connect(cls, port: int, path: str = "/tts/ws", timeout: float = 10) -> "RawWebSocket":
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, limit=1 << 24), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status = head.split(b" ", 2)[1]
        if status != b"101":
            writer.close()
            raise ConnectionError(f"upgrade refused: {head.decode(errors='replace').splitlines()[0]}")
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def receive(self, timeout: float) -> tuple[str, object]:
        """The next data message; raises Closed on a close frame, EOF or reset."""
        if self.closed:
            raise self.closed
        try:
            while True:
                first, second = await asyncio.wait_for(self.reader.readexactly(2), timeout)
                length = second & 0x7F
                if length == 126:
                    length = struct.unpack(">H", await self.reader.readexactly(2))[0]
                elif length == 127:
                    length = struct.unpack(">Q", await self.reader.readexactly(8))[0]
                if second & 0x80:
                    raise RuntimeError("the server masked a frame")
                payload = await asyncio.wait_for(self.reader.readexactly(length), timeout)
                opcode = first & 0x0F
                if opcode == 8:
                    code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                    self.closed = Closed(code, payload[2:].decode(errors="replace"))
                    raise self.closed
                if opcode in (9, 10):
                    continue
                if opcode == 1:
                    return "text", payload.decode()
                return "binary", payload
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self.closed = Closed(None, "connection lost")
            raise self.closed

    async def close(self, code: int = 1000) -> None:
        """Sends a close frame and closes the socket (without waiting for the answer)."""
        try:
            self.writer.write(frame(8, struct.pack(">H", code)))
            await asyncio.wait_for(self.writer.drain(), 2)
        except (ConnectionError, OSError, asyncio.TimeoutError):
            pass
        self.abort(reset=False)

    def abort(self, reset: bool = True) -> None:
        """Drops the connection; with `reset`, a TCP RST (SO_LINGER 0) instead of a FIN."""
        transport = self.writer.transport
        sock = transport.get_extra_info("socket")
        if reset and sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        transport.abort() if reset else transport.close()
