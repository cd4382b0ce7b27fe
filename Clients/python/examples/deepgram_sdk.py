"""Deepgram's own Python SDK (pip install deepgram-sdk; tested with 7.17.0) against this server.

    python deepgram_sdk.py --url 127.0.0.1:8000 --key secret "Hello there. How are you?" > speech.pcm

The WebSocket (`speak.v1.connect`): Speak, Flush, audio until Flushed, Close. The SDK reaches a
host of your own through a `DeepgramClientEnvironment`. Writes s16le, 24 kHz, mono to stdout.
"""
import argparse, sys
from deepgram import DeepgramClient
from deepgram.environment import DeepgramClientEnvironment
from deepgram.speak.v1.types import SpeakV1Text

parser = argparse.ArgumentParser()
parser.add_argument("text")
parser.add_argument("--url", default="127.0.0.1:8000", help="host:port of pocket-tts serve")
parser.add_argument("--key", default="none", help="an API key of the server (sent as 'Token <key>')")
parser.add_argument("--model", default="aura-2-alba-en", help="aura-2-<voice>-en or a voice name")
args = parser.parse_args()

http, ws = f"http://{args.url}", f"ws://{args.url}"
client = DeepgramClient(api_key=args.key, environment=DeepgramClientEnvironment(
    base=http, production=ws, agent=ws, agent_rest=http))
with client.speak.v1.connect(model=args.model, encoding="linear16", sample_rate=24000) as connection:
    connection.send_text(SpeakV1Text(type="Speak", text=args.text))
    connection.send_flush()
    while True:
        message = connection.recv()
        if isinstance(message, bytes):
            sys.stdout.buffer.write(message)
        elif message.type == "Flushed":
            break
        elif message.type == "Warning":
            print("warning:", message.description, file=sys.stderr)
    connection.send_close()
