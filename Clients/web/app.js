// Pocket TTS in the browser: the native WebSocket protocol (README, "Protocol"), audio played
// while it streams through Web Audio. PCM is 16-bit little-endian; Opus is one raw packet per
// message, decoded with WebCodecs' AudioDecoder. The text goes in live-text pieces (README, "Live
// text"), so any length works; "Speak as I type" sends words as they are typed. Each turn's
// audio is kept (wav.js) for the player and the download. No build step, no dependencies.
//
// For scripts (Scripts/web_check.py): ?text=...&voice=...&model=...&language=...&speed=...
// &format=pcm|opus&api_key=...&autostart=1 starts a turn on load; when it ends,
// <body data-state="done"> (or "error", "stopped") and window.pocketTTSResult =
// {firstAudioMs, rtf, audioSeconds, scheduledSeconds, keptSeconds, textMessages, textCharacters, ...}.
"use strict";

const SAMPLE_RATE = 24000;
const PIECE_CHARACTERS = 2000;  // per text message; the service takes up to max_text_message_chars (10,000)
const PING_SECONDS = 20;        // keeps a live turn open while the typist pauses (idle_timeout_seconds)

let audio = null;    // AudioContext, made on the first Speak (browsers want a user gesture)
let turn = null;     // the turn in progress, or the last one
let liveSent = 0;    // "Speak as I type": characters of the box already sent
let lastWavUrl = null;
let opening = null;  // a live turn being opened (the words typed meanwhile wait for it)

// The text as messages of at most `size` characters, cut after whitespace where there is some
// (the pieces joined give the text back).
function textPieces(text, size = PIECE_CHARACTERS) {
  const pieces = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    if (end < text.length) {
      const space = text.slice(start, end).search(/\s\S*$/);
      if (space > 0) end = start + space + 1;
      else if (/[\uD800-\uDBFF]/.test(text[end - 1])) end -= 1;  // never split a surrogate pair
    }
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

// Schedules mono samples right after what is already queued, and keeps them for the player.
function play(current, samples, sampleRate) {
  current.kept.add(samples, sampleRate);
  const buffer = audio.createBuffer(1, samples.length, sampleRate);
  buffer.copyToChannel(samples, 0);
  const source = audio.createBufferSource();
  source.buffer = buffer;
  source.connect(audio.destination);
  const start = Math.max(current.playAt, audio.currentTime + 0.05);
  source.start(start);
  current.playAt = start + buffer.duration;
  current.scheduledSeconds += buffer.duration;
  current.sources.push(source);
  source.onended = () => (current.sources = current.sources.filter((s) => s !== source));
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
      // After "done" too: the decoder's last output comes after its flush (finish).
      if (turn === current && current.state !== "stopped") play(current, samples, data.sampleRate);
      data.close();
    },
    error: (error) => fail(current, "opus: " + error.message),
  });
  decoder.configure({ codec: "opus", sampleRate: SAMPLE_RATE, numberOfChannels: 1 });
  return decoder;
}

function showFigures(current) {
  const rtf = current.audioSeconds ? (current.lastAudioAt - current.startedAt) / 1000 / current.audioSeconds : null;
  $("first-audio").textContent = current.firstAudioMs === null ? "–" : current.firstAudioMs.toFixed(0);
  $("audio-seconds").textContent = current.audioSeconds ? current.audioSeconds.toFixed(2) : "–";
  $("rtf").textContent = rtf === null ? "–" : rtf.toFixed(3);
  $("figures-line").textContent = current.firstAudioMs === null ? "–"
    : "first audio " + current.firstAudioMs.toFixed(0) + " ms" + (rtf === null ? "" : " · real-time factor " + rtf.toFixed(2));
  return rtf;
}

function onAudio(current, bytes) {
  const now = performance.now();
  if (current.firstAudioMs === null) current.firstAudioMs = now - current.startedAt;
  current.messages += 1;
  current.lastAudioAt = now;
  if (current.decoder) {
    current.audioSeconds += 0.08;  // one 80 ms packet per message
    current.decoder.decode(new EncodedAudioChunk({ type: "key", timestamp: current.messages * 80000, data: bytes }));
  } else {
    const samples = pcm16(bytes);
    current.audioSeconds += samples.length / SAMPLE_RATE;
    play(current, samples, SAMPLE_RATE);
  }
  showFigures(current);
}

// The kept audio into the player and the download link.
function offerRecording(current) {
  if (!current.kept.samples) return;
  if (lastWavUrl) URL.revokeObjectURL(lastWavUrl);
  lastWavUrl = URL.createObjectURL(current.kept.wav());
  $("player").src = lastWavUrl;
  $("download").href = lastWavUrl;
  $("download").download = "pocket-tts-" + new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-") + ".wav";
  $("download").removeAttribute("aria-disabled");
}

function finish(current, state) {
  if (current.state !== "running") return;
  current.state = state;
  clearInterval(current.pinger);
  if (current.socket.readyState <= WebSocket.OPEN) current.socket.close(1000);
  $("speak").disabled = false;
  $("stop").disabled = true;
  $("speak").textContent = "Speak";
  const rtf = showFigures(current);
  const publish = () => {
    offerRecording(current);
    window.pocketTTSResult = {
      firstAudioMs: current.firstAudioMs, rtf, audioSeconds: current.audioSeconds, messages: current.messages,
      scheduledSeconds: current.scheduledSeconds, keptSeconds: current.kept.seconds, audioContext: audio.state,
      textMessages: current.textMessages, textCharacters: current.textCharacters, config: current.config,
      error: current.error || null,
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

function send(current, message) {
  if (message.type === "text") {
    if (!current.startedAt) current.startedAt = performance.now();
    current.textMessages += 1;
    current.textCharacters += message.data.text.length;
  }
  if (current.socket.readyState === WebSocket.OPEN) current.socket.send(JSON.stringify(message));
  else current.pending.push(message);
}

function turnConfig() {
  const config = { voice: $("voice").value || undefined, format: $("format").value, sample_rate: SAMPLE_RATE, binary: true };
  const speed = Number($("speed").value);
  if (speed !== 1) config.speed = speed;
  if (!$("model-label").hidden) config.model = $("model").value;
  if (!$("language-label").hidden) config.language = $("language").value;
  return config;
}

// Opens a turn: its socket and config. Text and flush are sent with `send` (queued until open).
async function openTurn() {
  if (turn && turn.state === "running") stop();
  audio = audio || new AudioContext({ sampleRate: SAMPLE_RATE });
  await audio.resume().catch(() => {});
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const current = {
    state: "running", socket: new WebSocket(scheme + "//" + location.host + "/tts/ws" + keyQuery()),
    config: turnConfig(), decoder: null, sources: [], pending: [], playAt: 0, startedAt: 0, lastAudioAt: 0,
    firstAudioMs: null, audioSeconds: 0, scheduledSeconds: 0, messages: 0, textMessages: 0, textCharacters: 0,
    kept: new KeptAudio(SAMPLE_RATE), flushed: false, pinger: 0, error: null,
  };
  turn = current;
  document.body.dataset.state = "running";
  ["first-audio", "rtf", "audio-seconds", "figures-line"].forEach((id) => ($(id).textContent = "–"));
  $("stop").disabled = false;
  setStatus("connecting…");
  try {
    if (current.config.format === "opus") current.decoder = makeOpusDecoder(current);
  } catch (error) {
    fail(current, error.message);
    return current;
  }
  const socket = current.socket;
  socket.binaryType = "arraybuffer";
  socket.onopen = () => {
    socket.send(JSON.stringify({ type: "config", data: current.config }));
    current.pending.splice(0).forEach((message) => socket.send(JSON.stringify(message)));
    current.playAt = audio.currentTime;
    current.pinger = setInterval(() => socket.send(JSON.stringify({ type: "ping" })), PING_SECONDS * 1000);
    setStatus(current.flushed ? "speaking…" : "listening to your typing…");
  };
  socket.onmessage = (event) => {
    if (turn !== current || current.state !== "running") return;
    if (event.data instanceof ArrayBuffer) return onAudio(current, event.data);
    const message = JSON.parse(event.data);
    if (message.type === "error") return fail(current, message.data.code + ": " + message.data.message);
    if (message.type === "event" && message.data.event_type === "final") {
      setStatus("done");
      finish(current, "done");
    }
  };
  socket.onerror = () => {
    if (current.state !== "running") return;
    loadVoices();  // a refused key brings the key prompt back
    fail(current, "connection failed");
  };
  socket.onclose = (event) => {
    if (current.state === "running") fail(current, "closed: " + (event.reason || event.code));
  };
  return current;
}

function flush(current) {
  current.flushed = true;
  send(current, { type: "flush" });
  $("speak").disabled = true;
  if (current.socket.readyState === WebSocket.OPEN) setStatus("speaking…");
}

// Speak: the whole box in pieces, then flush. In "speak as I type" mode, the rest of the box.
async function speak() {
  if (!ready) return;
  const text = $("text").value;
  if ($("live").checked && turn && turn.state === "running" && !turn.flushed) {
    if (liveSent < text.length) send(turn, { type: "text", data: { text: text.slice(liveSent) } });
    liveSent = text.length;
    return flush(turn);
  }
  const current = await openTurn();
  if (current.state !== "running") return;
  textPieces(text).forEach((piece) => send(current, { type: "text", data: { text: piece } }));
  liveSent = text.length;
  flush(current);
}

// "Speak as I type": the whole words typed since the last send (a turn opens at the first).
async function onType() {
  if (!$("live").checked || !ready) return;
  const text = $("text").value;
  if (liveSent > text.length) liveSent = text.length;  // text deleted: go on from its end
  const lastSpace = text.search(/\s\S*$/);
  if (lastSpace < liveSent) return;
  const words = text.slice(liveSent, lastSpace + 1);
  liveSent = lastSpace + 1;
  if (!turn || turn.state !== "running" || turn.flushed) {
    if (!opening) {
      opening = openTurn().finally(() => (opening = null));
      $("speak").textContent = "Speak the rest";
    }
    await opening;
  }
  if (turn.state === "running" && words.trim()) textPieces(words).forEach((piece) => send(turn, { type: "text", data: { text: piece } }));
}

// Cancels the turn on the server and silences what is queued here.
function stop() {
  const current = turn;
  if (!current || current.state !== "running") return;
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

function showSpeed() {
  $("speed-value").textContent = Number($("speed").value).toFixed(2) + "×";
}

$("speak").onclick = speak;
$("stop").onclick = stop;
$("text").oninput = onType;
$("live").onchange = () => {
  liveSent = $("live").checked ? 0 : liveSent;
  $("speak").textContent = "Speak";
  if ($("live").checked) setStatus("type: whole words are spoken as you go; Speak says the rest");
};
$("speed").oninput = showSpeed;
$("download").onclick = (event) => { if (!lastWavUrl) event.preventDefault(); };
for (const [name, id] of [["text", "text"], ["format", "format"], ["speed", "speed"]]) {
  if (params.has(name)) $(id).value = params.get(name);
}
showSpeed();
updateBufferMeter();
loadVoices().then((loaded) => {
  if (loaded && params.get("autostart") === "1") speak();
});
