"""LiveKit Agents' ElevenLabs TTS plugin (pip install livekit-agents livekit-plugins-elevenlabs; tested
with 1.8.9) against this server, outside a room.

    python livekit_elevenlabs.py --url 127.0.0.1:8000 --key secret "Hello there. How are you?" > speech.pcm

`stream()` speaks over `/v1/multi-stream-input` (a context per stream, one message per word, flush,
close_context); `--synthesize` posts to `/v1/text-to-speech/{voice}/stream`; `--barge-in` drops the
stream after 0.3 s of audio (as an interrupted agent does) and speaks a second text, which must come
back. Writes s16le, 24 kHz, mono; prints samples and first-audio time to stderr; exits 1 on no audio.
"""
import argparse, asyncio, sys, time
import aiohttp
from livekit.plugins import elevenlabs

p = argparse.ArgumentParser()
p.add_argument("text")
p.add_argument("--url", default="127.0.0.1:8000")
p.add_argument("--key", default="none")
p.add_argument("--voice", default="alba")
p.add_argument("--synthesize", action="store_true")
p.add_argument("--barge-in", action="store_true")
a = p.parse_args()

async def main():
    async with aiohttp.ClientSession() as session:
        tts = elevenlabs.TTS(base_url=f"http://{a.url}/v1", api_key=a.key, voice_id=a.voice, http_session=session,
                             encoding="pcm_24000")
        t0 = time.monotonic(); n = 0; first = None
        if a.synthesize:
            audio = tts.synthesize(a.text)
        else:
            audio = tts.stream()
            for w in a.text.split(" "):
                audio.push_text(w + " ")
            audio.flush(); audio.end_input()
        async with audio:
            async for ev in audio:
                if first is None: first = time.monotonic() - t0
                n += len(ev.frame.data) // 2
                sys.stdout.buffer.write(bytes(ev.frame.data))
                if a.barge_in and n > 24000 * 0.3:
                    break
        print(f"samples {n} first {first}", file=sys.stderr)
        if n == 0: sys.exit(1)
        if a.barge_in:
            s2 = tts.stream(); s2.push_text("After the interruption. "); s2.flush(); s2.end_input(); m = 0
            async with s2:
                async for ev in s2: m += len(ev.frame.data) // 2
            print(f"after barge-in samples {m}", file=sys.stderr)
            if m == 0: sys.exit(1)
        await tts.aclose()
asyncio.run(main())
