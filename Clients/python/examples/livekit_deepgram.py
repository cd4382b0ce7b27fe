"""LiveKit Agents' Deepgram TTS plugin (pip install livekit-agents livekit-plugins-deepgram; tested
with 1.8.9) against this server, outside a room.

    python livekit_deepgram.py --url 127.0.0.1:8000 --key secret "Hello there. How are you?" > speech.pcm

`stream()` speaks over the WebSocket (one Speak per word, Flush, Flushed); `--synthesize` uses
`synthesize()`, which posts to Deepgram's REST API (`POST /v1/speak`). Writes s16le, 24 kHz, mono.
"""
import argparse, asyncio, sys
import aiohttp
from livekit.plugins import deepgram

parser = argparse.ArgumentParser()
parser.add_argument("text")
parser.add_argument("--url", default="127.0.0.1:8000", help="host:port of pocket-tts serve")
parser.add_argument("--key", default="none", help="an API key of the server")
parser.add_argument("--model", default="aura-2-alba-en", help="aura-2-<voice>-en or a voice name")
parser.add_argument("--synthesize", action="store_true", help="one REST request instead of the stream")
args = parser.parse_args()


async def main() -> None:
    async with aiohttp.ClientSession() as session:  # outside a job, the plugin needs a session
        tts = deepgram.TTS(base_url=f"ws://{args.url}/v1/speak", api_key=args.key, model=args.model, http_session=session)
        if args.synthesize:
            audio = tts.synthesize(args.text)
        else:
            audio = tts.stream()
            audio.push_text(args.text)
            audio.end_input()
        async with audio:
            async for event in audio:
                sys.stdout.buffer.write(bytes(event.frame.data))
        await tts.aclose()

asyncio.run(main())
