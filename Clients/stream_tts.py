#!/usr/bin/env python3
"""Stream text to a PocketTTS-Swift server word by word, as an LLM would, and save the audio.

    pip install websockets
    python3 Clients/stream_tts.py --text "Hello there. How are you today?" --out out.wav
    python3 Clients/stream_tts.py --url ws://host:8000/tts/ws --api-key KEY --voice alba

Sends one `config`, then each word as a `text` message (with --word-delay seconds between them),
then `flush`; receives binary 16-bit PCM frames (80 ms each) until `final`. Prints the time to
first audio (from the first word sent) and writes a WAV file.
"""
import argparse
import asyncio
import json
import sys
import time
import wave

import websockets
import websockets.exceptions


async def stream(args: argparse.Namespace) -> int:
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    config = {"format": "pcm", "sample_rate": args.sample_rate, "binary": True}
    if args.voice:
        config["voice"] = args.voice
    if args.temperature is not None:
        config["temperature"] = args.temperature
    if args.eos_threshold is not None:
        config["eos_threshold"] = args.eos_threshold

    async with websockets.connect(args.url, additional_headers=headers, max_size=None) as ws:
        await ws.send(json.dumps({"type": "config", "data": config}))
        reply = json.loads(await ws.recv())
        if reply.get("type") != "event" or reply["data"].get("event_type") != "config_accepted":
            print(f"config refused: {reply}", file=sys.stderr)
            return 1
        request_id = reply["data"]["request_id"]

        audio = bytearray()
        frames = 0
        started = time.monotonic()
        first_audio = None
        done = asyncio.Event()
        closed = asyncio.Event()

        async def receive() -> None:
            nonlocal frames, first_audio
            async for message in ws:
                if isinstance(message, bytes):
                    if first_audio is None:
                        first_audio = time.monotonic() - started
                        print(f"time to first audio: {first_audio * 1000:.0f} ms")
                    audio.extend(message)
                    frames += 1
                    continue
                event = json.loads(message)
                if event["type"] == "error":
                    print(f"error {event['data']['code']}: {event['data']['message']}", file=sys.stderr)
                elif event["type"] == "event" and event["data"]["event_type"] == "final":
                    done.set()
                    return
            closed.set()  # the server closed the socket before the final: no point waiting on

        receiver = asyncio.create_task(receive())
        for word in args.text.split(" "):
            await ws.send(json.dumps({"type": "text", "data": {"text": word + " "}}))
            await asyncio.sleep(args.word_delay)
        await ws.send(json.dumps({"type": "flush"}))
        waiters = [asyncio.create_task(done.wait()), asyncio.create_task(closed.wait())]
        try:
            await asyncio.wait(waiters, timeout=args.timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            receiver.cancel()
        if not done.is_set():
            print("the server closed the connection before the final" if closed.is_set()
                  else "no final before the timeout", file=sys.stderr)
            return 1

    elapsed = time.monotonic() - started
    seconds = len(audio) / 2 / args.sample_rate
    with wave.open(args.out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(args.sample_rate)
        wav.writeframes(bytes(audio))
    print(f"request {request_id}: {frames} frames, {seconds:.2f} s of audio in {elapsed:.2f} s -> {args.out}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="ws://127.0.0.1:8000/tts/ws")
    parser.add_argument("--text", default="Hello world. I am Pocket TTS, speaking as the words arrive. Isn't that nice?")
    parser.add_argument("--voice", help="voice name (default: the server's default voice)")
    parser.add_argument("--api-key", help="sent as X-API-Key")
    parser.add_argument("--sample-rate", type=int, default=24000)
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--eos-threshold", type=float, help="1e9 disables end-of-speech (demo weights)")
    parser.add_argument("--word-delay", type=float, default=0.05, help="seconds between words")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--out", default="tts_stream.wav")
    try:
        return asyncio.run(stream(parser.parse_args()))
    except websockets.exceptions.InvalidStatus as refused:
        print(f"refused: HTTP {refused.response.status_code} {refused.response.body.decode(errors='replace').strip()}", file=sys.stderr)
        return 1
    except websockets.exceptions.ConnectionClosed as closed:
        print(f"connection closed: {closed}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"cannot connect: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
