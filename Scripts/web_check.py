#!/usr/bin/env python3
"""Headless-browser check of the page at `/` (`make web-check`, Scripts/web-check.sh).

Starts `pocket-tts serve` with demo weights of two copies of the tiny fixture model (one English,
one French) and an API key (or uses --url), and drives the page in headless Chromium over the
DevTools protocol (Scripts/web_check_steps.py): the key prompt (no error before the key is
given), the demo banner, language and model choice, a voice upload (a generated WAV file) and a
microphone recording (Chromium's fake device), speed, replay and the WAV download, a
20,000-character text, "speak as I type", a PCM and an Opus turn with the page's own time to
first audio, and a long turn stopped with Stop (the server counts it cancelled). Screenshots at
900 px and 375 px go to Benchmarks/. Exit 0 only when every step did what it should.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web_check_steps import API_KEY, Page, run_steps  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "Tests" / "PocketTTSTests" / "Fixtures"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"web-check: the server exited ({process.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"web-check: {url} did not answer 200 within {timeout:.0f} s")


def start_server(binary: Path, scratch: Path) -> tuple[subprocess.Popen, str]:
    """Demo weights of the tiny model twice: `english_tiny` and `french_tiny` (the language is the name's)."""
    port = free_port()
    # The French model's default voice, `estelle`, from the voices directory (demo weights of a
    # config file have no predefined voices); no Wyoming port; a fixed capacity, no measurement.
    voices = scratch / "voices"
    (voices / "french_tiny").mkdir(parents=True)
    shutil.copy(FIXTURES / "reference" / "voice_state.safetensors", voices / "french_tiny" / "estelle.safetensors")
    settings = scratch / "server.yaml"
    settings.write_text(f"wyoming_port: 0\nvoices_dir: {voices}\nmeasure_capacity: false\nmax_streams: 8\n")
    models = []
    for name in ("english_tiny", "french_tiny"):
        path = scratch / f"{name}.yaml"
        shutil.copy(FIXTURES / "reference" / "tiny.yaml", path)
        models += ["--model", str(path)]
    log = scratch / "server.log"
    process = subprocess.Popen(
        [str(binary), "serve", "--no-download", "--demo", *models,
         "--tokenizer", str(FIXTURES / "tokenizer" / "test_tokenizer.model"),
         "--voice", str(FIXTURES / "reference" / "voice_state.safetensors"),
         "--server-config", str(settings), "--host", "127.0.0.1", "--port", str(port), "--api-key", API_KEY],
        cwd=REPO, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/ready", 120, process)
    except SystemExit:
        sys.stderr.write(log.read_text(errors="replace")[-4000:])
        raise
    return process, base


def start_chromium(chromium: str, profile: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--autoplay-policy=no-user-gesture-required", "--window-size=900,1000",
         "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("web-check: chromium did not start its DevTools endpoint")
        time.sleep(0.1)
    port = port_file.read_text().splitlines()[0]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as response:
        pages = [target for target in json.load(response) if target["type"] == "page"]
    return process, pages[0]["webSocketDebuggerUrl"]


async def check(chromium: str, base: str, args: argparse.Namespace, scratch: Path) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="web-check-chromium-", ignore_cleanup_errors=True) as profile:
        browser, target = start_chromium(chromium, Path(profile))
        try:
            async with websockets.connect(target, max_size=None) as connection:
                page = Page(connection, base, scratch, args.timeout)
                await page.start()
                return await run_steps(page, args)
        finally:
            browser.terminate()
            browser.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", type=Path, help="pocket-tts binary (default: $POCKET_TTS_BIN or .build/debug)")
    parser.add_argument("--url", help="use a running server at this http:// base URL (key: " + API_KEY
                        + "; two models of different languages, demo weights)")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"))
    parser.add_argument("--text", default="Hello big world. The river was calm today.")
    parser.add_argument("--long-characters", type=int, default=20_000)
    parser.add_argument("--screenshot", type=Path, default=REPO / "Benchmarks" / "web-page.png")
    parser.add_argument("--narrow-screenshot", type=Path, default=REPO / "Benchmarks" / "web-page-375.png")
    parser.add_argument("--json", type=Path, default=REPO / "Benchmarks" / "results" / "web_check.json")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per step")
    parser.add_argument("--long-timeout", type=float, default=900.0, help="seconds for the long text to be spoken")
    args = parser.parse_args()

    chromium = shutil.which(args.chromium)
    if chromium is None:
        print(f"web-check: SKIPPED: no {args.chromium} on PATH (Debian: apt-get install chromium)")
        return 0
    server = None
    with tempfile.TemporaryDirectory(prefix="web-check-") as scratch:
        if args.url:
            base = args.url.rstrip("/")
        else:
            binary = args.binary or Path(os.environ.get("POCKET_TTS_BIN", REPO / ".build" / "debug" / "pocket-tts"))
            if not binary.is_file():
                raise SystemExit(f"web-check: no server binary at {binary} (swift build first)")
            server, base = start_server(binary, Path(scratch))
        try:
            results = asyncio.run(check(chromium, base, args, Path(scratch)))
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=20)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    version = subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout.strip()
    args.json.write_text(json.dumps({"chromium": version, "results": list(results)}, indent=2) + "\n")
    failed = False
    for result in results:  # each printed as it came
        failed |= not result["ok"]
    shots = ", ".join(str(p.relative_to(REPO) if p.is_relative_to(REPO) else p)
                      for p in (args.screenshot, args.narrow_screenshot))
    print(f"web-check: {sum(not r['ok'] for r in results)} of {len(results)} steps failed; screenshots {shots}, results {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
