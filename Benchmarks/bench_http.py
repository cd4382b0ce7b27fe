"""Small helpers the HTTP benchmarks share (stdlib only): a free port, a process's RSS, and the time
from sending one HTTP/1.1 request to the first audio byte of its chunked response."""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_body_byte(port: int, path: str, content_type: str, body: bytes) -> float:
    """Seconds from the request's send to its first chunk of body (a WAV's first chunk carries its
    header and the first frame); the rest of the response is read and dropped. Asserts a 200."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        started = time.perf_counter()
        sock.sendall(head + body)
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(65536)
        header, rest = received.split(b"\r\n\r\n", 1)
        assert b" 200 " in header.split(b"\r\n")[0], header
        while b"\r\n" not in rest or len(rest) < 64:  # first chunk: "size\r\n" + data
            chunk = sock.recv(65536)
            assert chunk, "connection closed before audio"
            rest += chunk
        first = time.perf_counter() - started
        while sock.recv(65536):
            pass
        return first


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of a bench that starts its own server on random full-size weights."""
    parser.add_argument("--binary", type=Path, default=REPO / ".build/release/pocket-tts")
    parser.add_argument("--config", type=Path, default=REPO / "Configs/models/english_2026-01.yaml")
    parser.add_argument("--speech", type=Path, default=REPO.parent / "shared/assets/speech_48k.wav")
    parser.add_argument("--tokenizer", type=Path, default=REPO.parent / "shared/assets/tokenizer.model")


def random_weights(args: argparse.Namespace) -> Path:
    """Seeded random bf16 weights of `args.config` (made once, in .build/bench-weights)."""
    weights = REPO / ".build/bench-weights" / f"{args.config.stem}-seed1-bf16.safetensors"
    if not weights.exists():
        weights.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(args.binary), "make-random-weights", "--config", str(args.config), "--seed", "1",
                        "--dtype", "bf16", "--out", str(weights)], check=True, stdout=sys.stderr)
    return weights
