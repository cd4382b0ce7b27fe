// The service's models, languages and voices (`GET /api/voices`), the API key prompt, the demo
// banner, and voice uploads (`POST /v1/voices`: a file, or a microphone recording).
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const LANGUAGES = { en: "English", fr: "French", de: "German", es: "Spanish", it: "Italian", pt: "Portuguese", nl: "Dutch" };
const MAX_RECORDING_SECONDS = 30;

let apiKey = params.get("api_key") || sessionStorage.getItem("pocket-tts-api-key") || "";
let voiceList = null;  // the last /api/voices answer
let ready = false;     // the voices are listed: Speak may start

function keyQuery() {
  return apiKey ? "?api_key=" + encodeURIComponent(apiKey) : "";
}

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function servedModels() {
  return (voiceList && voiceList.models) || [];
}

function chosenModel() {
  return servedModels().find((m) => m.name === $("model").value);
}

// Asks for the key instead of showing an error: before anything else when keys are configured.
function askForKey(message) {
  ready = false;
  $("key-form").hidden = false;
  $("app").classList.add("locked");
  $("key-error").hidden = !message;
  $("key-error").textContent = message || "";
  $("key").focus();
}

function fillLanguages() {
  const codes = [...new Set(servedModels().flatMap((m) => m.languages))];
  const wanted = $("language").value || params.get("language") || (servedModels()[0] || { languages: [] }).languages[0];
  $("language").replaceChildren(...codes.map((code) =>
    new Option(LANGUAGES[code] || code, code, false, code === wanted)));
  $("language-label").hidden = codes.length < 2;
}

// The models of the chosen language.
function fillModels(wanted) {
  const language = $("language").value;
  const models = servedModels().filter((m) => !language || m.languages.includes(language));
  if (!models.some((m) => m.name === wanted)) wanted = models.length ? models[0].name : "";
  $("model").replaceChildren(...models.map((m) => new Option(m.name, m.name, false, m.name === wanted)));
  $("model-label").hidden = servedModels().length < 2;
}

// The voices of the chosen model (each model lists its own).
function fillVoices(wanted) {
  const model = chosenModel();
  const voices = model ? model.voices : voiceList.voices;
  const preferred = voices.includes(wanted) ? wanted : (model ? model.default_voice : voiceList.default);
  $("voice").replaceChildren(...voices.map((name) => new Option(name, name, false, name === preferred)));
}

async function loadVoices(wantedVoice) {
  let response;
  try {
    response = await fetch("/api/voices" + keyQuery());
  } catch (error) {
    setStatus("cannot reach the service: " + error.message, true);
    return false;
  }
  if (response.status === 401) {
    askForKey(apiKey ? "That key was refused." : "");
    return false;
  }
  if (response.status === 503) {
    setStatus("the service is loading its model…");
    setTimeout(() => loadVoices(wantedVoice), 2000);
    return false;
  }
  if (!response.ok) {
    setStatus("voices: " + ((await response.text()).trim() || response.statusText), true);
    return false;
  }
  voiceList = await response.json();
  $("key-form").hidden = true;
  $("app").classList.remove("locked");
  if (apiKey) sessionStorage.setItem("pocket-tts-api-key", apiKey);
  fillLanguages();
  // What the user chose wins over the URL's choice (which fills the selects the first time).
  fillModels($("model").value || params.get("model"));
  fillVoices(wantedVoice || $("voice").value || params.get("voice") || voiceList.default);
  $("demo-banner").hidden = !servedModels().some((m) => m.demo);
  ready = true;
  if ($("status").className === "error" || $("status").textContent.startsWith("the service is loading")) setStatus("idle");
  return true;
}

function setUploadStatus(text, isError = false) {
  $("upload-status").textContent = text;
  $("upload-status").className = isError ? "hint error" : "hint";
}

// Uploads audio as a voice of the chosen model, then selects it.
async function uploadVoice(blob, fileName) {
  const form = new FormData();
  const model = chosenModel();
  if (model && servedModels().length > 1) form.append("model", model.name);
  form.append("audio", blob, fileName);
  setUploadStatus("uploading " + fileName + "…");
  try {
    const response = await fetch("/v1/voices" + keyQuery(), { method: "POST", body: form });
    const body = await response.text();
    if (!response.ok) {
      let message = body.trim() || response.statusText;
      try { const json = JSON.parse(body); message = (json.error && (json.error.message || json.error)) || json.message || message; } catch (_) {}
      throw new Error(message);
    }
    const voice = JSON.parse(body).voice_id;
    await loadVoices(voice);
    if (![...$("voice").options].some((o) => o.value === voice)) $("voice").add(new Option(voice, voice));
    $("voice").value = voice;
    setUploadStatus("voice " + voice + " added and selected");
    window.pocketTTSUpload = { voice, ok: true };
  } catch (error) {
    setUploadStatus("upload failed: " + error.message, true);
    window.pocketTTSUpload = { ok: false, error: error.message };
  }
}

let recording = null;  // {recorder, stream, timer, startedAt}

async function toggleRecording() {
  if (recording) return recording.recorder.stop();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof MediaRecorder === "undefined") {
    return setUploadStatus("this browser cannot record here (recording needs https or localhost)", true);
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (error) {
    return setUploadStatus("no microphone: " + error.message, true);
  }
  const recorder = new MediaRecorder(stream);
  const chunks = [];
  recorder.ondataavailable = (event) => event.data.size && chunks.push(event.data);
  recorder.onstop = async () => {
    clearInterval(recording.timer);
    stream.getTracks().forEach((track) => track.stop());
    recording = null;
    $("record").textContent = "Record";
    $("record").classList.remove("recording");
    try {
      const wav = await toWav(new Blob(chunks, { type: recorder.mimeType }), 24000);
      await uploadVoice(wav, "recording.wav");
    } catch (error) {
      setUploadStatus("recording: " + error.message, true);
    }
  };
  recording = { recorder, stream, startedAt: performance.now(), timer: 0 };
  recording.timer = setInterval(() => {
    const seconds = (performance.now() - recording.startedAt) / 1000;
    $("record").textContent = "Stop recording (" + seconds.toFixed(0) + " s)";
    if (seconds >= MAX_RECORDING_SECONDS) recorder.stop();
  }, 250);
  recorder.start(250);
  $("record").textContent = "Stop recording (0 s)";
  $("record").classList.add("recording");
  setUploadStatus("recording… speak now, then stop");
}

$("key-form").onsubmit = (event) => {
  event.preventDefault();
  apiKey = $("key").value.trim();
  if (apiKey) loadVoices();
};
$("language").onchange = () => { fillModels($("model").value); fillVoices($("voice").value); };
$("model").onchange = () => fillVoices($("voice").value);
$("voice-file").onchange = () => {
  const file = $("voice-file").files[0];
  if (file) uploadVoice(file, file.name);
  $("voice-file").value = "";
};
$("record").onclick = toggleRecording;
