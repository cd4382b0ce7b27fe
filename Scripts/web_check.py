#!/usr/bin/env python3
"""Headless-browser check of the page at `/` (`make web-check`, Scripts/web-check.sh).

Starts `pocket-tts serve` on the tiny fixture model with an API key (or uses --url), opens
http://HOST:PORT/?text=...&format=F&api_key=...&autostart=1 in headless Chromium over the
DevTools protocol, waits for the page to finish the turn, reads back the page's own measured
time to first audio (window.pocketTTSResult and the #first-audio element), and saves a
screenshot under Benchmarks/; then stops a long turn with the Stop button and checks that the
server counted it cancelled. Exit 0 only when every turn did what it should.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import websockets

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "Tests" / "PocketTTSTests" / "Fixtures"
API_KEY = "web-check-key"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"web-check: {url} did not answer 200 within {timeout:.0f} s")


def start_server(binary: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    settings = log.with_name("server.yaml")
    settings.write_text("")
    process = subprocess.Popen(
        [str(binary), "serve", "--no-download",
         "--config", str(FIXTURES / "reference" / "tiny.yaml"),
         "--weights", str(FIXTURES / "reference" / "tiny_weights.safetensors"),
         "--tokenizer", str(FIXTURES / "tokenizer" / "test_tokenizer.model"),
         "--voice", str(FIXTURES / "reference" / "voice_state.safetensors"),
         "--server-config", str(settings), "--host", "127.0.0.1", "--port", str(port), "--api-key", API_KEY],
        cwd=REPO, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/ready", 60)
    return process, base


def start_chromium(chromium: str, profile: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--autoplay-policy=no-user-gesture-required", "--window-size=900,760",
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


class DevTools:
    """Just enough of the Chrome DevTools protocol: numbered commands, replies by id."""

    def __init__(self, connection):
        self.connection = connection
        self.next_id = 0

    async def call(self, method: str, **params):
        self.next_id += 1
        await self.connection.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.connection.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")


async def run_turn(devtools: DevTools, base: str, text: str, audio_format: str, screenshot: Path | None,
                   timeout: float) -> dict:
    query = urllib.parse.urlencode({"text": text, "format": audio_format, "api_key": API_KEY, "autostart": "1"})
    await devtools.call("Page.navigate", url=f"{base}/?{query}")
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = await devtools.evaluate("document.body && document.body.dataset.state")
        if state in ("done", "error", "stopped"):
            break
        await asyncio.sleep(0.1)
    result = await devtools.evaluate("JSON.stringify(window.pocketTTSResult || null)")
    result = json.loads(result) if result else {}
    result = result or {}
    result["state"] = state
    result["format"] = audio_format
    result["shownFirstAudioMs"] = await devtools.evaluate("document.getElementById('first-audio').textContent")
    result["status"] = await devtools.evaluate("document.getElementById('status').textContent")
    if screenshot is not None:
        await asyncio.sleep(0.3)  # let the meter and numbers paint
        shot = await devtools.call("Page.captureScreenshot", format="png")
        screenshot.write_bytes(base64.b64decode(shot["data"]))
    return result


def cancelled_turns(base: str) -> float:
    """pocket_tts_turns_total{outcome="cancelled"} from /metrics."""
    request = urllib.request.Request(base + "/metrics", headers={"X-API-Key": API_KEY})
    with urllib.request.urlopen(request, timeout=5) as response:
        lines = response.read().decode().splitlines()
    # One series per protocol: pocket_tts_turns_total{outcome="cancelled",protocol="native"}.
    return sum(float(line.split()[-1]) for line in lines if line.startswith('pocket_tts_turns_total{outcome="cancelled"'))


async def stop_turn(devtools: DevTools, base: str, text: str, timeout: float) -> dict:
    """A long turn, stopped with the Stop button once audio plays: the server counts it cancelled."""
    before = cancelled_turns(base)
    query = urllib.parse.urlencode({"text": text, "format": "pcm", "api_key": API_KEY, "autostart": "1"})
    await devtools.call("Page.navigate", url=f"{base}/?{query}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await devtools.evaluate("document.getElementById('first-audio').textContent") not in ("–", None):
            break
        await asyncio.sleep(0.05)
    await devtools.evaluate("document.getElementById('stop').click()")
    state = None
    while time.monotonic() < deadline:
        state = await devtools.evaluate("document.body.dataset.state")
        if state != "running":
            break
        await asyncio.sleep(0.05)
    result = json.loads(await devtools.evaluate("JSON.stringify(window.pocketTTSResult || {})"))
    counted = before
    while time.monotonic() < deadline and counted == before:
        counted = cancelled_turns(base)
        await asyncio.sleep(0.1)
    result.update(format="stop", state=state, cancelledOnServer=counted - before,
                  status=await devtools.evaluate("document.getElementById('status').textContent"),
                  shownFirstAudioMs=await devtools.evaluate("document.getElementById('first-audio').textContent"))
    return result


async def check(chromium: str, base: str, formats: list[str], text: str, screenshot: Path, timeout: float) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="web-check-chromium-", ignore_cleanup_errors=True) as profile:
        browser, target = start_chromium(chromium, Path(profile))
        try:
            async with websockets.connect(target, max_size=None) as connection:
                devtools = DevTools(connection)
                await devtools.call("Page.enable")
                results = []
                for index, audio_format in enumerate(formats):
                    shot = screenshot if index == 0 else None
                    results.append(await run_turn(devtools, base, text, audio_format, shot, timeout))
                results.append(await stop_turn(devtools, base, " ".join([text] * 8), timeout))
                return results
        finally:
            browser.terminate()
            browser.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", type=Path, help="pocket-tts binary (default: $POCKET_TTS_BIN or .build/debug)")
    parser.add_argument("--url", help="use a running server at this http:// base URL (key: " + API_KEY + ")")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"))
    parser.add_argument("--formats", default="pcm,opus", help="comma-separated: pcm, opus")
    parser.add_argument("--text", default="Hello big world. The river was calm today.")
    parser.add_argument("--screenshot", type=Path, default=REPO / "Benchmarks" / "web-page.png")
    parser.add_argument("--json", type=Path, default=REPO / "Benchmarks" / "results" / "web_check.json")
    parser.add_argument("--timeout", type=float, default=60.0)
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
            server, base = start_server(binary, Path(scratch) / "server.log")
        try:
            formats = [name.strip() for name in args.formats.split(",") if name.strip()]
            results = asyncio.run(check(chromium, base, formats, args.text, args.screenshot, args.timeout))
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=20)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"chromium": subprocess.run([chromium, "--version"], capture_output=True,
                                                                  text=True).stdout.strip(),
                                     "text": args.text, "results": results}, indent=2) + "\n")
    failed = False
    for result in results:
        first = result.get("firstAudioMs")
        if result["format"] == "stop":
            ok = result["state"] == "stopped" and result.get("cancelledOnServer") == 1
            failed |= not ok
            print(f"web-check stop: {'ok' if ok else 'FAILED'}: state {result['state']} after "
                  f"{result.get('audioSeconds', 0):.2f} s of audio, turns cancelled on the server: "
                  f"{result.get('cancelledOnServer')}")
            continue
        # Played: the received audio (decoded, for Opus) was handed to Web Audio.
        ok = (result["state"] == "done" and isinstance(first, (int, float)) and result.get("audioSeconds", 0) > 0
              and result.get("scheduledSeconds", 0) > 0)
        failed |= not ok
        rtf = result.get("rtf")
        print(f"web-check {result['format']}: {'ok' if ok else 'FAILED'}: state {result['state']}, "
              f"first audio {first if first is None else f'{first:.1f}'} ms (page shows {result['shownFirstAudioMs']}), "
              f"rtf {rtf if rtf is None else f'{rtf:.3f}'}, {result.get('audioSeconds', 0):.2f} s of audio, "
              f"{result.get('scheduledSeconds', 0):.2f} s played (AudioContext {result.get('audioContext')}), "
              f"status '{result['status']}'")
    print(f"web-check: screenshot {args.screenshot.relative_to(REPO) if args.screenshot.is_relative_to(REPO) else args.screenshot}, "
          f"results {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
