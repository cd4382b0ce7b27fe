"""Pipecat's ElevenLabsTTSService (pip install "pipecat-ai[elevenlabs]"; tested with 1.14.0) against this
server, in a two-processor pipeline: speak, and with `--barge-in` interrupt after 0.3 s of audio
(an InterruptionFrame, as a user's speech does) and speak again.

    python pipecat_elevenlabs.py --url 127.0.0.1:8000 --key secret --barge-in

Prints the first-audio time and the samples each context got; exits 1 unless every context got audio.
"""
import argparse, asyncio, sys, time
from pipecat.frames.frames import TTSAudioRawFrame, TTSSpeakFrame, EndFrame, InterruptionFrame, TTSStoppedFrame, ErrorFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.runner import PipelineRunner
from pipecat.pipeline.task import PipelineTask, PipelineParams
from pipecat.processors.frame_processor import FrameProcessor, FrameDirection
from pipecat.services.elevenlabs.tts import ElevenLabsTTSService

p = argparse.ArgumentParser()
p.add_argument("--url", default="127.0.0.1:8000"); p.add_argument("--key", default="none"); p.add_argument("--voice", default="alba")
p.add_argument("--barge-in", action="store_true")
a = p.parse_args()

class Collect(FrameProcessor):
    def __init__(self):
        super().__init__(); self.samples = {}; self.first = None; self.t0 = time.monotonic(); self.errors = []; self.stopped = 0
    async def process_frame(self, frame, direction):
        await super().process_frame(frame, direction)
        if isinstance(frame, TTSAudioRawFrame):
            if self.first is None: self.first = time.monotonic() - self.t0
            self.samples[frame.context_id] = self.samples.get(frame.context_id, 0) + len(frame.audio) // 2
        elif isinstance(frame, TTSStoppedFrame): self.stopped += 1
        elif isinstance(frame, ErrorFrame): self.errors.append(frame.error)
        await self.push_frame(frame, direction)

async def main():
    tts = ElevenLabsTTSService(api_key=a.key, voice_id=a.voice, url=f"ws://{a.url}", sample_rate=24000)
    c = Collect()
    task = PipelineTask(Pipeline([tts, c]), params=PipelineParams(audio_out_sample_rate=24000))
    async def drive():
        await asyncio.sleep(0.5)
        await task.queue_frame(TTSSpeakFrame("Hello there. How are you today? This is a much longer sentence that keeps going on for a while. And another one follows it here."))
        if a.barge_in:
            while sum(c.samples.values()) < 24000 * 0.3: await asyncio.sleep(0.02)
            await task.queue_frame(InterruptionFrame())
            await asyncio.sleep(0.05)
            await task.queue_frame(TTSSpeakFrame("After the interruption."))
        await asyncio.sleep(8)
        await task.queue_frame(EndFrame())
    await asyncio.gather(PipelineRunner(handle_sigint=False).run(task), drive())  # 1.14: still the documented runner
    print(f"first audio {c.first:.3f}s samples per context {list(c.samples.values())} stopped {c.stopped} errors {c.errors}")
    if c.errors or len(c.samples) != (2 if a.barge_in else 1) or 0 in c.samples.values(): sys.exit(1)
asyncio.run(main())
