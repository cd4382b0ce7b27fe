"""The steps of `make web-check` (Scripts/web_check.py): each drives the page at `/` in Chromium
over the DevTools protocol and returns {"step", "ok", "summary", ...}."""
from __future__ import annotations

import asyncio
import base64
import json
import math
import time
import urllib.parse
import urllib.request
import wave
from pathlib import Path

API_KEY = "web-check-key"
TURN_END = "['done','error','stopped'].includes(document.body.dataset.state)"


class Page:
    """Just enough of the Chrome DevTools protocol: numbered commands, replies by id; events are
    dropped except console errors, kept for the report."""

    def __init__(self, connection, base: str, scratch: Path, timeout: float):
        self.connection, self.base, self.scratch, self.timeout = connection, base, scratch, timeout
        self.next_id = 0
        self.console_errors: list[str] = []

    async def start(self) -> None:
        await self.call("Page.enable")
        await self.call("Runtime.enable")

    async def call(self, method: str, **params):
        self.next_id += 1
        wanted = self.next_id
        await self.connection.send(json.dumps({"id": wanted, "method": method, "params": params}))
        while True:
            message = json.loads(await self.connection.recv())
            if message.get("method") == "Runtime.exceptionThrown":
                self.console_errors.append(message["params"]["exceptionDetails"].get("exception", {}).get("description")
                                           or message["params"]["exceptionDetails"].get("text", "exception"))
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    async def evaluate(self, expression: str, promise: bool = False):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=promise)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails'].get('exception', {}).get('description')}")
        return result["result"].get("value")

    async def wait_until(self, expression: str, timeout: float | None = None, interval: float = 0.1):
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(interval)
        return None

    async def open(self, **query) -> None:
        url = self.base + "/" + ("?" + urllib.parse.urlencode(query) if query else "")
        await self.call("Page.navigate", url=url)
        await asyncio.sleep(0.2)
        await self.wait_until("document.readyState === 'complete'")

    async def turn(self, timeout: float | None = None) -> dict:
        """Clicks Speak and waits for the turn to end: window.pocketTTSResult and the shown state."""
        await self.evaluate("window.pocketTTSResult = null; document.body.dataset.state = ''; $('speak').click()")
        await self.wait_until("document.body.dataset.state === 'running'", 10)
        await self.wait_until(TURN_END, timeout)
        result = json.loads(await self.evaluate("JSON.stringify(window.pocketTTSResult || {})"))
        result["state"] = await self.evaluate("document.body.dataset.state")
        result["status"] = await self.evaluate("$('status').textContent")
        return result

    async def select(self, element: str, value: str) -> None:
        await self.evaluate(f"$({json.dumps(element)}).value = {json.dumps(value)}; "
                            f"$({json.dumps(element)}).dispatchEvent(new Event('change'))")

    async def screenshot(self, path: Path, width: int, height: int, mobile: bool) -> dict:
        await self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)
        await asyncio.sleep(0.5)
        overflow = await self.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        shot = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        await self.call("Emulation.clearDeviceMetricsOverride")
        return {"overflowPixels": overflow}


def turn_ok(result: dict) -> bool:
    return result.get("state") == "done" and result.get("audioSeconds", 0) > 0 and result.get("scheduledSeconds", 0) > 0


def turn_summary(result: dict) -> str:
    first = result.get("firstAudioMs")
    rtf = result.get("rtf")
    return (f"state {result.get('state')}, first audio {'–' if first is None else f'{first:.0f}'} ms, "
            f"rtf {'–' if rtf is None else f'{rtf:.3f}'}, {result.get('audioSeconds', 0):.2f} s of audio, "
            f"{result.get('textMessages')} text messages, status '{result.get('status')}'")


def speech_like_wav(path: Path, seconds: float = 2.5, rate: int = 24000) -> None:
    """A voiced sound for the upload: harmonics of a gliding pitch under a syllable-rate envelope."""
    frames = bytearray()
    phase = 0.0
    for i in range(int(seconds * rate)):
        t = i / rate
        phase += 2 * math.pi * (120 + 30 * math.sin(2 * math.pi * 0.7 * t)) / rate
        envelope = 0.5 + 0.5 * math.sin(2 * math.pi * 4 * t)
        value = envelope * sum(math.sin(k * phase) / k for k in range(1, 8)) * 0.25
        frames += int(max(-1.0, min(1.0, value)) * 32767).to_bytes(2, "little", signed=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))


def long_text(characters: int) -> str:
    """Sentences of 9 to 13 words, exactly `characters` long, ending with a full stop."""
    words = ("the river ran past seven quiet towns and every evening the bells rang twice before the lamps "
             "were lit along the old stone bridge").split()
    sentences, length, i = [], 0, 0
    while length < characters:
        count = 9 + len(sentences) % 5
        sentence = " ".join(words[(i + k) % len(words)] for k in range(count)).capitalize() + ". "
        i += count
        sentences.append(sentence)
        length += len(sentence)
    return "".join(sentences)[:characters - 1] + "."


async def step_key_prompt(page: Page) -> dict:
    await page.open()
    await page.evaluate("sessionStorage.clear()")  # a key kept from an earlier visit would skip the prompt
    await page.open()
    shown = await page.wait_until("!$('key-form').hidden", 10)
    status = await page.evaluate("[$('status').textContent, $('status').className, $('key-error').hidden]")
    no_error = status[1] != "error" and status[2] is True
    await page.evaluate(f"$('key').value = {json.dumps(API_KEY)}; $('key-form').requestSubmit()")
    loaded = await page.wait_until("ready && $('key-form').hidden && $('voice').options.length > 0", 20)
    ok = bool(shown) and no_error and bool(loaded)
    return {"step": "key prompt", "ok": ok, "summary": f"asked for the key first: {bool(shown)}, status before the key "
            f"'{status[0]}' (error shown: {not no_error}), voices listed after the key: {bool(loaded)}"}


async def step_models(page: Page, text: str) -> dict:
    banner = await page.evaluate("!$('demo-banner').hidden && $('demo-banner').offsetHeight > 0")
    models = await page.evaluate("servedModels().map(m => [m.name, m.languages[0], !!m.demo])")
    languages = await page.evaluate("[...$('language').options].map(o => o.value)")
    french = next((name for name, language, _ in models if language == "fr"), None)
    await page.select("language", "fr")
    chosen = await page.evaluate("[$('model').value, $('voice').value, $('model-label').hidden]")
    await page.evaluate(f"$('text').value = {json.dumps(text)}")
    result = await page.turn()
    config = result.get("config") or {}
    ok = (banner is True and languages == ["en", "fr"] and chosen[0] == french and not chosen[2]
          and config.get("model") == french and config.get("language") == "fr" and turn_ok(result))
    return {"step": "demo banner, language and model", "ok": ok, "models": models, "config": config,
            "summary": f"banner shown: {banner}; languages {languages}; French chose model {chosen[0]} "
            f"(voice {chosen[1]}); turn config {json.dumps(config)}; {turn_summary(result)}"}


async def step_upload(page: Page) -> dict:
    path = page.scratch / "upload.wav"
    speech_like_wav(path)
    await page.evaluate("window.pocketTTSUpload = null")
    document = await page.call("DOM.getDocument")
    node = await page.call("DOM.querySelector", nodeId=document["root"]["nodeId"], selector="#voice-file")
    await page.call("DOM.setFileInputFiles", files=[str(path)], nodeId=node["nodeId"])
    upload = await page.wait_until("window.pocketTTSUpload", 30) or {}
    selected = await page.evaluate("$('voice').value")
    result = await page.turn() if upload.get("ok") else {}
    config = result.get("config") or {}
    ok = upload.get("ok") is True and selected == upload.get("voice") and config.get("voice") == selected and turn_ok(result)
    return {"step": "voice upload (file)", "ok": ok, "upload": upload,
            "summary": f"upload {json.dumps(upload)}, selected '{selected}', turn in it: {turn_summary(result)}"}


async def step_microphone(page: Page) -> dict:
    present = await page.evaluate("!!$('record') && typeof MediaRecorder !== 'undefined'")
    await page.evaluate("window.pocketTTSUpload = null; $('upload-status').textContent = ''; $('record').click()")
    recording = await page.wait_until("$('record').classList.contains('recording') || $('upload-status').className.includes('error')", 10)
    await asyncio.sleep(2.5)
    await page.evaluate("if ($('record').classList.contains('recording')) $('record').click()")
    upload = await page.wait_until("window.pocketTTSUpload", 30) or {}
    status = await page.evaluate("$('upload-status').textContent")
    selected = await page.evaluate("$('voice').value")
    ok = bool(present) and bool(recording) and upload.get("ok") is True and selected == upload.get("voice")
    return {"step": "voice upload (microphone)", "ok": ok, "upload": upload,
            "summary": f"record control present: {present}; fake-device recording uploaded: {json.dumps(upload)}; "
            f"selected '{selected}'; '{status}'"}


async def step_speed(page: Page, text: str) -> tuple[dict, dict]:
    await page.select("language", "en")
    await page.evaluate(f"$('text').value = {json.dumps(text)}; $('speed').value = '1'; $('speed').dispatchEvent(new Event('input'))")
    normal = await page.turn()
    await page.evaluate("$('speed').value = '2'; $('speed').dispatchEvent(new Event('input'))")
    shown = await page.evaluate("$('speed-value').textContent")
    fast = await page.turn()
    ratio = fast.get("audioSeconds", 0) / normal["audioSeconds"] if normal.get("audioSeconds") else None
    ok = (turn_ok(normal) and turn_ok(fast) and (fast.get("config") or {}).get("speed") == 2
          and "speed" not in (normal.get("config") or {}) and ratio is not None and 0.3 < ratio < 0.75)
    await page.evaluate("$('speed').value = '1'; $('speed').dispatchEvent(new Event('input'))")
    return {"step": "speed", "ok": ok, "ratio": ratio,
            "summary": f"speed 1: {normal.get('audioSeconds', 0):.2f} s, speed 2 (shown '{shown}'): "
            f"{fast.get('audioSeconds', 0):.2f} s of audio (ratio {ratio if ratio is None else f'{ratio:.2f}'})"}, fast


async def step_replay(page: Page, last: dict) -> dict:
    await page.wait_until("$('player').readyState >= 1", 10)
    duration = await page.evaluate("$('player').duration")
    played = await page.evaluate("$('player').currentTime = 0; $('player').play().then(() => true, e => String(e))", promise=True)
    target = min(0.3, (duration or 0) / 2)
    advanced = await page.wait_until(f"$('player').currentTime > {target} || $('player').ended", 15)
    kept = last.get("keptSeconds", 0)
    ok = played is True and bool(advanced) and duration is not None and abs(duration - kept) < 0.05 and kept > 0
    return {"step": "replay", "ok": ok, "summary": f"player duration {duration} s for {kept:.2f} s kept; play(): {played}; "
            f"played on: {bool(advanced)}"}


async def step_download(page: Page, last: dict) -> dict:
    folder = page.scratch / "downloads"
    folder.mkdir(exist_ok=True)
    try:
        await page.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(folder))
    except RuntimeError:
        await page.call("Page.setDownloadBehavior", behavior="allow", downloadPath=str(folder))
    name = await page.evaluate("$('download').click(); $('download').download")
    deadline = time.monotonic() + 20
    files: list[Path] = []
    while time.monotonic() < deadline:
        files = [f for f in folder.iterdir() if f.suffix == ".wav"]
        if files:
            break
        await asyncio.sleep(0.2)
    if not files:
        return {"step": "download", "ok": False, "summary": f"no file '{name}' in {folder}"}
    await asyncio.sleep(0.3)
    with wave.open(str(files[0])) as wav:
        channels, width, rate, frames = wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()
    seconds = frames / rate
    kept = last.get("keptSeconds", 0)
    ok = channels == 1 and width == 2 and rate == 24000 and abs(seconds - kept) < 0.01 and seconds > 0
    return {"step": "download", "ok": ok, "summary": f"{files[0].name}: {channels} channel, {8 * width}-bit, {rate} Hz, "
            f"{seconds:.2f} s (the turn kept {kept:.2f} s)"}


async def step_live_typing(page: Page) -> dict:
    await page.evaluate("$('text').value = ''; $('live').checked = true; $('live').dispatchEvent(new Event('change')); $('text').focus()")
    await page.evaluate("window.pocketTTSResult = null; document.body.dataset.state = ''")
    for word in "so the council met again this evening to talk about the river ".split(" "):
        if word:
            await page.call("Input.insertText", text=word + " ")
            await asyncio.sleep(0.3)
    before_flush = await page.wait_until("turn && turn.firstAudioMs !== null", 15)
    sent = await page.evaluate("turn && turn.textMessages")
    await page.evaluate("$('speak').click()")
    await page.wait_until(TURN_END)
    result = json.loads(await page.evaluate("JSON.stringify(window.pocketTTSResult || {})"))
    result["state"] = await page.evaluate("document.body.dataset.state")
    result["status"] = await page.evaluate("$('status').textContent")
    await page.evaluate("$('live').checked = false; $('live').dispatchEvent(new Event('change'))")
    ok = turn_ok(result) and bool(before_flush) and (sent or 0) >= 3
    return {"step": "speak as I type", "ok": ok, "summary": f"audio before Speak was pressed: {bool(before_flush)}, "
            f"{sent} text messages while typing; {turn_summary(result)}"}


async def step_long_text(page: Page, characters: int, timeout: float) -> dict:
    text = long_text(characters)
    await page.evaluate(f"$('text').value = {json.dumps(text)}")
    started = time.monotonic()
    result = await page.turn(timeout)
    took = time.monotonic() - started
    ok = turn_ok(result) and result.get("textCharacters") == len(text) == characters and result.get("textMessages", 0) >= characters / 2000
    return {"step": f"{characters}-character text", "ok": ok, "summary": f"{len(text)} characters sent in "
            f"{result.get('textMessages')} messages; {turn_summary(result)}; {took:.0f} s wall"}


async def step_format(page: Page, text: str, audio_format: str) -> dict:
    await page.evaluate("window.pocketTTSResult = null")
    await page.open(text=text, format=audio_format, api_key=API_KEY, autostart="1")
    await page.wait_until(TURN_END)
    result = json.loads(await page.evaluate("JSON.stringify(window.pocketTTSResult || {})"))
    result["state"] = await page.evaluate("document.body.dataset.state")
    result["status"] = await page.evaluate("$('status').textContent")
    shown = await page.evaluate("$('first-audio').textContent")
    # Everything received is kept for the player (Opus: the decoder's last frames come after its flush).
    kept = abs(result.get("keptSeconds", 0) - result.get("audioSeconds", 0)) <= 0.1
    return {"step": audio_format, "ok": turn_ok(result) and isinstance(result.get("firstAudioMs"), (int, float)) and kept,
            "firstAudioMs": result.get("firstAudioMs"), "rtf": result.get("rtf"),
            "summary": turn_summary(result) + f" (page shows {shown} ms), {result.get('keptSeconds', 0):.2f} s kept"}


def cancelled_turns(base: str) -> float:
    """pocket_tts_turns_total{outcome="cancelled"} from /metrics (one series per protocol)."""
    request = urllib.request.Request(base + "/metrics", headers={"X-API-Key": API_KEY})
    with urllib.request.urlopen(request, timeout=5) as response:
        lines = response.read().decode().splitlines()
    return sum(float(line.split()[-1]) for line in lines if line.startswith('pocket_tts_turns_total{outcome="cancelled"'))


async def step_stop(page: Page, text: str) -> dict:
    """A long turn, stopped with the Stop button once audio plays: the server counts it cancelled."""
    before = cancelled_turns(page.base)
    await page.open(text=" ".join([text] * 8), format="pcm", api_key=API_KEY, autostart="1")
    await page.wait_until("$('first-audio').textContent !== '–'", interval=0.05)
    await page.evaluate("$('stop').click()")
    state = await page.wait_until("document.body.dataset.state !== 'running' && document.body.dataset.state")
    counted, deadline = before, time.monotonic() + page.timeout
    while time.monotonic() < deadline and counted == before:
        counted = cancelled_turns(page.base)
        await asyncio.sleep(0.1)
    ok = state == "stopped" and counted - before == 1
    return {"step": "stop", "ok": ok, "summary": f"state {state}, turns cancelled on the server: {counted - before}"}


class Results(list):
    """The steps' results, each printed as it comes (a step can take a while on a loaded machine)."""

    def append(self, result: dict) -> None:
        super().append(result)
        print(f"web-check {result['step']}: {'ok' if result['ok'] else 'FAILED'}: {result['summary']}", flush=True)

    def __iadd__(self, results):
        for result in results:
            self.append(result)
        return self


async def run_steps(page: Page, args) -> list[dict]:
    results = Results()
    results.append(await step_key_prompt(page))
    if not results[0]["ok"]:
        return results
    results.append(await step_models(page, args.text))
    results.append(await step_upload(page))
    results.append(await step_microphone(page))
    speed, last = await step_speed(page, args.text)
    results += [speed, await step_replay(page, last), await step_download(page, last)]
    results.append(await step_live_typing(page))
    await page.evaluate("document.getElementById('voice-upload').open = true")
    await page.evaluate(f"$('text').value = {json.dumps(args.text)}")
    wide = await page.screenshot(args.screenshot, 900, 1000, mobile=False)
    narrow = await page.screenshot(args.narrow_screenshot, 375, 812, mobile=True)
    results.append({"step": "layout at 375 px", "ok": narrow["overflowPixels"] <= 0,
                    "summary": f"horizontal overflow {narrow['overflowPixels']} px at 375 px, {wide['overflowPixels']} px at 900 px"})
    results.append(await step_long_text(page, args.long_characters, args.long_timeout))
    for audio_format in ("pcm", "opus"):
        results.append(await step_format(page, args.text, audio_format))
    results.append(await step_stop(page, args.text))
    if page.console_errors:
        results.append({"step": "page exceptions", "ok": False, "summary": "; ".join(page.console_errors[:5])})
    return results
