// The audio of a turn kept for the player and the download: 16-bit mono PCM, bounded, made into a
// WAV file in the browser (nothing is fetched again from the service).
"use strict";

const MAX_KEPT_SECONDS = 30 * 60;  // beyond this, a turn's audio plays but is not kept

class KeptAudio {
  constructor(sampleRate) {
    this.sampleRate = sampleRate;
    this.chunks = [];   // Int16Array each
    this.samples = 0;
    this.truncated = false;
    this.phase = 0;     // resampling: where the next output sample falls in the next input chunk
  }

  // Float samples in [-1, 1] at `rate` (WebCodecs' Opus decoder may give 48 kHz for 24 kHz packets).
  add(samples, rate = this.sampleRate) {
    if (rate !== this.sampleRate) samples = this.resample(samples, rate);
    const room = MAX_KEPT_SECONDS * this.sampleRate - this.samples;
    if (room <= 0) { this.truncated = true; return; }
    const count = Math.min(room, samples.length);
    const pcm = new Int16Array(count);
    for (let i = 0; i < count; i++) {
      const value = Math.max(-1, Math.min(1, samples[i]));
      pcm[i] = value < 0 ? value * 32768 : value * 32767;
    }
    this.chunks.push(pcm);
    this.samples += count;
    this.truncated = this.truncated || count < samples.length;
  }

  // Linear interpolation to this.sampleRate, carried across chunks.
  resample(samples, rate) {
    const step = rate / this.sampleRate;  // input samples per output sample
    const out = new Float32Array(Math.max(0, Math.ceil((samples.length - this.phase) / step)));
    let position = this.phase;
    for (let i = 0; i < out.length; i++, position += step) {
      const index = Math.floor(position);
      const next = index + 1 < samples.length ? samples[index + 1] : samples[index];
      out[i] = samples[index] + (next - samples[index]) * (position - index);
    }
    this.phase = position - samples.length;
    return out;
  }

  get seconds() { return this.samples / this.sampleRate; }

  wav() { return wavBlob(this.chunks, this.samples, this.sampleRate); }
}

// A RIFF/WAVE file of 16-bit mono PCM.
function wavBlob(chunks, samples, sampleRate) {
  const header = new DataView(new ArrayBuffer(44));
  const text = (offset, value) => [...value].forEach((c, i) => header.setUint8(offset + i, c.charCodeAt(0)));
  text(0, "RIFF");
  header.setUint32(4, 36 + samples * 2, true);
  text(8, "WAVE");
  text(12, "fmt ");
  header.setUint32(16, 16, true);          // fmt chunk size
  header.setUint16(20, 1, true);           // PCM
  header.setUint16(22, 1, true);           // mono
  header.setUint32(24, sampleRate, true);
  header.setUint32(28, sampleRate * 2, true);
  header.setUint16(32, 2, true);           // block align
  header.setUint16(34, 16, true);          // bits per sample
  text(36, "data");
  header.setUint32(40, samples * 2, true);
  return new Blob([header, ...chunks], { type: "audio/wav" });
}

// Any audio the browser can decode (a MediaRecorder recording: WebM/Opus in Chromium) as a mono
// 16-bit WAV at sampleRate, which the service's upload reads.
async function toWav(blob, sampleRate) {
  const decoder = new OfflineAudioContext(1, 1, sampleRate);
  const buffer = await decoder.decodeAudioData(await blob.arrayBuffer());
  const kept = new KeptAudio(buffer.sampleRate);
  kept.add(buffer.getChannelData(0));
  return kept.wav();
}
