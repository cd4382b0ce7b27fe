"""A live `pocket-tts serve` on loopback with the tiny fixture model of the Swift tests.

The binary is $POCKET_TTS_BIN, else .build/debug/pocket-tts, else .build/release/pocket-tts of
this repository (`make test` builds the debug one first); without one the live tests skip.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "Tests" / "PocketTTSTests" / "Fixtures"
VOICE = "voice_state"  # the default voice: the fixture voice state, named after its file


def server_binary() -> Path | None:
    candidates = [os.environ.get("POCKET_TTS_BIN")] if os.environ.get("POCKET_TTS_BIN") else [
        str(REPO / ".build" / "debug" / "pocket-tts"), str(REPO / ".build" / "release" / "pocket-tts")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One `pocket-tts serve` process on the tiny model; `stop()` sends SIGTERM."""

    def __init__(self, binary: Path, log: Path, *extra: str):
        self.port = free_port()
        self.wyoming_port = free_port()  # each server its own (the default, 10200, would be shared)
        self.log_path = log
        self._log = open(log, "wb")
        # The built-in defaults, whatever Configs/ says, except the capacity: pinned to 8 turns, not
        # measured (a debug build on a loaded machine measures fewer than the tests run at once).
        settings = log.with_name("server.yaml")
        settings.write_text("max_streams: 8\nmeasure_capacity: false\n")
        environment = {key: value for key, value in os.environ.items() if not key.startswith("POCKET_TTS_")}
        self.process = subprocess.Popen(
            [str(binary), "serve", "--no-download",
             "--config", str(FIXTURES / "reference" / "tiny.yaml"),
             "--weights", str(FIXTURES / "reference" / "tiny_weights.safetensors"),
             "--tokenizer", str(FIXTURES / "tokenizer" / "test_tokenizer.model"),
             "--voice", str(FIXTURES / "reference" / "voice_state.safetensors"),
             "--server-config", str(settings), "--host", "127.0.0.1", "--port", str(self.port),
             "--wyoming-port", str(self.wyoming_port), *extra],
            cwd=REPO, env=environment, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/tts/ws"

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pocket-tts serve exited ({self.process.returncode}):\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pocket-tts serve not ready after {timeout} s:\n{self.log_path.read_text()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


@pytest.fixture(scope="session")
def start_server(tmp_path_factory):
    """Starts a server with extra `serve` flags; every one is stopped at the end of the run."""
    binary = server_binary()
    if binary is None:
        pytest.skip("no pocket-tts binary: run `swift build --product pocket-tts` or set POCKET_TTS_BIN")
    started: list[Server] = []

    def start(*extra: str) -> Server:
        log = tmp_path_factory.mktemp("server") / "serve.log"
        server = Server(binary, log, *extra)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def server(start_server) -> Server:
    """The shared server: tiny model, default settings, no API keys."""
    return start_server()
