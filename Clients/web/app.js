// Pocket TTS in the browser: the native WebSocket protocol (README, "Protocol"), audio played
// while it streams through Web Audio. PCM is 16-bit little-endian; Opus is one raw packet per
// message, decoded with WebCodecs' AudioDecoder. No build step, no dependencies.
//
// For scripts (Scripts/web_check.py): ?text=...&voice=...&model=...&format=pcm|opus&api_key=...&autostart=1
// starts a turn on load; when it ends, <body data-state="done"> (or "error") and
// window.pocketTTSResult = {firstAudioMs, rtf, audioSeconds, scheduledSeconds, messages, ...}.
"use strict";

const SAMPLE_RATE = 24000;
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

let audio = null;   // AudioContext, made on the first Speak (browsers want a user gesture)
let turn = null;    // the turn in progress

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function keyQuery() {
  const key = $("key").value.trim();
  return key ? "?api_key=" + encodeURIComponent(key) : "";
}

let voiceList = null;  // the last /api/voices answer

// The voices of the chosen model (a service with several models lists each with its own).
function fillVoices(wanted) {
  const models = voiceList.models || [];
  const model = models.find((m) => m.name === $("model").value);
  const voices = model ? model.voices : voiceList.voices;
  const preferred = voices.includes(wanted) ? wanted : (model ? model.default_voice : voiceList.default);
  $("voice").replaceChildren(...voices.map((name) => new Option(name, name, false, name === preferred)));
}

async function loadVoices() {
  try {
    const response = await fetch("/api/voices" + keyQuery());
    if (!response.ok) throw new Error((await response.text()).trim() || response.statusText);
    voiceList = await response.json();
    const models = voiceList.models || [];
    const wantedModel = params.get("model") || $("model").value || (models[0] && models[0].name);
    $("model").replaceChildren(...models.map((m) =>
      new Option(m.name + " (" + m.languages.join(", ") + ")", m.name, false, m.name === wantedModel)));
    $("model-label").hidden = models.length < 2;
    fillVoices(params.get("voice") || $("voice").value || voiceList.default);
  } catch (error) {
    setStatus("voices: " + error.message, true);
  }
}

// Schedules mono samples right after what is already queued.
function play(samples, sampleRate) {
  const buffer = audio.createBuffer(1, samples.length, sampleRate);
  buffer.copyToChannel(samples, 0);
  const source = audio.createBufferSource();
  source.buffer = buffer;
  source.connect(audio.destination);
  const start = Math.max(turn.playAt, audio.currentTime + 0.05);
  source.start(start);
  turn.playAt = start + buffer.duration;
  turn.scheduledSeconds += buffer.duration;
  turn.sources.push(source);
  source.onended = () => turn && (turn.sources = turn.sources.filter((s) => s !== source));
}

function pcm16(bytes) {
  const view = new DataView(bytes);
  const samples = new Float32Array(bytes.byteLength >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(2 * i, true) / 32768;
  return samples;
}

function makeOpusDecoder(current) {
  if (typeof AudioDecoder === "undefined") throw new Error("this browser has no WebCodecs AudioDecoder: use PCM");
  const decoder = new AudioDecoder({
    output: (data) => {
      const samples = new Float32Array(data.numberOfFrames);
      data.copyTo(samples, { planeIndex: 0, format: "f32-planar" });
      if (turn === current) play(samples, data.sampleRate);
      data.close();
    },
    error: (error) => fail(current, "opus: " + error.message),
  });
  decoder.configure({ codec: "opus", sampleRate: SAMPLE_RATE, numberOfChannels: 1 });
  return decoder;
}

function onAudio(current, bytes) {
  const now = performance.now();
  if (current.firstAudioMs === null) {
    current.firstAudioMs = now - current.flushedAt;
    $("first-audio").textContent = current.firstAudioMs.toFixed(0);
  }
  current.messages += 1;
  current.lastAudioAt = now;
  if (current.decoder) {
    current.audioSeconds += 0.08;  // one 80 ms packet per message
    current.decoder.decode(new EncodedAudioChunk({ type: "key", timestamp: current.messages * 80000, data: bytes }));
  } else {
    const samples = pcm16(bytes);
    current.audioSeconds += samples.length / SAMPLE_RATE;
    play(samples, SAMPLE_RATE);
  }
  $("audio-seconds").textContent = current.audioSeconds.toFixed(2);
  const rtf = (now - current.flushedAt) / 1000 / current.audioSeconds;
  $("rtf").textContent = rtf.toFixed(3);
}

function finish(current, state) {
  if (turn !== current || current.state !== "running") return;
  current.state = state;
  if (current.socket.readyState <= WebSocket.OPEN) current.socket.close(1000);
  $("speak").disabled = false;
  $("stop").disabled = true;
  const rtf = current.audioSeconds ? (current.lastAudioAt - current.flushedAt) / 1000 / current.audioSeconds : null;
  const publish = () => {
    window.pocketTTSResult = {
      firstAudioMs: current.firstAudioMs, rtf, audioSeconds: current.audioSeconds, messages: current.messages,
      scheduledSeconds: current.scheduledSeconds, audioContext: audio.state, error: current.error || null,
    };
    document.body.dataset.state = state;
  };
  // Opus: the decoder's last output comes after its flush.
  if (current.decoder && current.decoder.state === "configured" && state === "done") {
    current.decoder.flush().then(publish, publish);
  } else {
    publish();
  }
}

function fail(current, message) {
  current.error = message;
  setStatus(message, true);
  finish(current, "error");
}

async function speak() {
  if (turn && turn.state === "running") stop();
  audio = audio || new AudioContext({ sampleRate: SAMPLE_RATE });
  await audio.resume().catch(() => {});
  const format = $("format").value;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const current = {
    state: "running", socket: new WebSocket(scheme + "//" + location.host + "/tts/ws" + keyQuery()),
    decoder: null, sources: [], playAt: 0, flushedAt: 0, lastAudioAt: 0,
    firstAudioMs: null, audioSeconds: 0, scheduledSeconds: 0, messages: 0, error: null,
  };
  turn = current;
  document.body.dataset.state = "running";
  ["first-audio", "rtf", "audio-seconds"].forEach((id) => ($(id).textContent = "–"));
  $("speak").disabled = true;
  $("stop").disabled = false;
  setStatus("connecting…");
  try {
    if (format === "opus") current.decoder = makeOpusDecoder(current);
  } catch (error) {
    return fail(current, error.message);
  }
  const socket = current.socket;
  socket.binaryType = "arraybuffer";
  socket.onopen = () => {
    const config = { voice: $("voice").value || undefined, format, sample_rate: SAMPLE_RATE, binary: true };
    if (!$("model-label").hidden) config.model = $("model").value;
    socket.send(JSON.stringify({ type: "config", data: config }));
    socket.send(JSON.stringify({ type: "text", data: { text: $("text").value } }));
    socket.send(JSON.stringify({ type: "flush" }));
    current.flushedAt = performance.now();
    current.playAt = audio.currentTime;
    setStatus("speaking…");
  };
  socket.onmessage = (event) => {
    if (turn !== current) return;
    if (event.data instanceof ArrayBuffer) return onAudio(current, event.data);
    const message = JSON.parse(event.data);
    if (message.type === "error") return fail(current, message.data.code + ": " + message.data.message);
    if (message.type === "event" && message.data.event_type === "final") {
      setStatus("done");
      finish(current, "done");
    }
  };
  socket.onerror = () => fail(current, "connection failed (is the API key right?)");
  socket.onclose = (event) => {
    if (current.state === "running") fail(current, "closed: " + (event.reason || event.code));
  };
}

// Cancels the turn on the server and silences what is queued here.
function stop() {
  const current = turn;
  if (!current) return;
  if (current.socket.readyState === WebSocket.OPEN) current.socket.send(JSON.stringify({ type: "cancel" }));
  current.sources.forEach((source) => source.stop());
  current.sources = [];
  current.playAt = 0;
  setStatus("stopped");
  finish(current, "stopped");
}

function updateBufferMeter() {
  const seconds = audio && turn ? Math.max(0, turn.playAt - audio.currentTime) : 0;
  $("buffer").value = seconds;
  $("buffer-seconds").textContent = seconds.toFixed(2);
  requestAnimationFrame(updateBufferMeter);
}

$("speak").onclick = speak;
$("stop").onclick = stop;
$("key").onchange = loadVoices;
$("model").onchange = () => voiceList && fillVoices($("voice").value);
for (const [name, id] of [["text", "text"], ["format", "format"], ["api_key", "key"]]) {
  if (params.has(name)) $(id).value = params.get(name);
}
updateBufferMeter();
loadVoices().then(() => {
  if (params.get("autostart") === "1") speak();
});
