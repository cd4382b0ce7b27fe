#!/usr/bin/env python3
"""Voice-state files exchanged with pocket-tts 4.0.1, both ways, for `bos_before_voice` models.

    /opt/ref4-venv/bin/python Scripts/reference/make_voice_interop_401.py            # fixtures
    /opt/ref4-venv/bin/python Scripts/reference/make_voice_interop_401.py --check english_2m_2026-10=FILE ...
    /opt/ref4-venv/bin/python Scripts/reference/make_voice_interop_401.py --write-model DIR

The models: `english_2m_2026-10` and `english_7m_2026-10` (both insert `bos_before_voice`, use
grouped-query attention and a z projection, and have a Mimi decoder of their own). Each is a 4.0.1
`TTSModel` of the config (ref401_common.build_model) whose:
- `flow_lm.*` tensors are make_fixtures_401.py's counter-based values (the same streams and seed, so
  `Reference401.flowLMTensors` in the Swift tests regenerates them: nothing to commit), which
  randomises `speaker_proj_weight` and `bos_before_voice` too;
- Mimi is the `english_2m_2026-10` codec of make_mimi_fixtures_401.py (`mimi_configs.json`,
  `mimi_english_2m_2026-10.safetensors`): the config's encoder shrunk to 48 wide, its own decoder
  (SEANet 128 / n_filters 24 / kernel 3, transformer d 128) with 2 layers. The 7m config's Mimi has
  the same encoder; only the encoder matters to a voice state.

Fixtures (Tests/PocketTTSTests/Fixtures/voice_interop401/), at temperature 0:
- `<name>_voice.safetensors`: `export_model_state(get_state_for_audio_prompt(Path(voice.wav)))`,
  4.0.1's own `export-voice` steps on `Tests/PocketTTSTests/Fixtures/reference/voice.wav` (PCM16,
  24 kHz, 1.5 s: `audio_read`, `convert_audio` to 24 kHz (an identity here), `end_on_pause`, Mimi's
  encoder, `speaker_proj_weight`, after `bos_before_voice`, FlowLM prompt).
- `golden.safetensors`: per model, `<name>/text_tokens` (int64) and `<name>/latents` [FRAMES, 32]:
  from a copy of that state (4.0.1's import of the file), a text prompt of made-up tokens, then
  FRAMES steps from a NaN (BOS) latent, each fed the previous one (`_autoregressive_generation`
  without its EOS stop).
- `manifest.json`: what made them, the mimi config used, sha256 of each file.

`--check NAME=FILE` (by hand; Swift's export in the other direction): 4.0.1 loads FILE as
`get_state_for_audio_prompt(Path(FILE))` does, and compares it with its own state from voice.wav
(offset and pad equal, caches' max abs difference), then generates from both (latents' max abs
difference). Swift writes the files with
`POCKET_TTS_VOICE_EXPORT_DIR=/tmp/voices swift test --skip-build --filter VoiceInterop401Tests`
(`<name>_swift_voice.safetensors`), or the command line from the model `--write-model DIR` writes
(`DIR/<name>.yaml` + `DIR/<name>.safetensors`):
`pocket-tts export-voice --config DIR/<name>.yaml --weights DIR/<name>.safetensors --tokenizer T voice.wav OUT`
(T: any SentencePiece model of 4000 pieces, e.g. ../shared/assets/tokenizer.model; the voice does not
depend on it). Exit 1 when a check exceeds 1e-5.
Deterministic: two runs write the same bytes.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import safetensors.torch
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fixtures_401 import SEED, fixture_values, initialisation  # noqa: E402
from ref401_common import REPO, build_model, load_yaml  # noqa: E402

FIXTURES = REPO / "Tests" / "PocketTTSTests" / "Fixtures"
OUT = FIXTURES / "voice_interop401"
VOICE = FIXTURES / "reference" / "voice.wav"
MIMI_DIR = FIXTURES / "reference401"
MIMI_NAME = "english_2m_2026-10"
MODELS = ["english_2m_2026-10", "english_7m_2026-10"]
TEXT_TOKENS = 8
FRAMES = 16
TOLERANCE = 1e-5

torch.set_num_threads(1)


def mimi_config() -> dict:
    configs = json.loads((MIMI_DIR / "mimi_configs.json").read_text())
    return configs[MIMI_NAME]


def model_config(name: str) -> dict:
    config = load_yaml(name)
    for key in ("weights_path", "weights_path_without_voice_cloning"):
        config.pop(key, None)
    config["flow_lm"].pop("weights_path", None)
    config["mimi"] = mimi_config()
    return config


def build(name: str):
    """The 4.0.1 model: counter-made FlowLM (as make_fixtures_401) and the fixture Mimi."""
    model = build_model(model_config(name), temp=0.0, sampler_decode_steps=1)
    for key, tensor in model.flow_lm.state_dict().items():
        init = initialisation(key, list(tensor.shape))
        if init is not None:
            tensor.copy_(fixture_values("flow_lm." + key, SEED, list(tensor.shape), *init))
    mimi = safetensors.torch.load_file(MIMI_DIR / f"mimi_{MIMI_NAME}.safetensors")
    model.mimi.load_state_dict({k.removeprefix("mimi."): v for k, v in mimi.items()}, strict=True)
    model.has_voice_cloning = True
    model.eval()
    return model


def text_tokens(name: str, n_bins: int) -> list[int]:
    rng = np.random.default_rng(SEED + sum(name.encode()))
    return [int(t) for t in rng.integers(0, n_bins + 1, size=TEXT_TOKENS)]


def offset(state: dict) -> int:
    values = {int(s["offset"].view(-1)[0]) for s in state.values() if "offset" in s}
    assert len(values) == 1, values
    return values.pop()


@torch.no_grad()
def generate(model, voice_state: dict, tokens: list[int]) -> torch.Tensor:
    """`_generate` + `_autoregressive_generation` from a copy of the voice state, EOS ignored."""
    state = copy.deepcopy(voice_state)
    model._expand_kv_cache(state, sequence_length=offset(state) + len(tokens) + FRAMES)
    model._run_flow_lm_and_increment_step(model_state=state, text_tokens=torch.tensor([tokens]))
    latent = torch.full((1, 1, model.flow_lm.ldim), float("nan"))
    latents = []
    for _ in range(FRAMES):
        latent, _ = model._run_flow_lm_and_increment_step(model_state=state, backbone_input_latents=latent)
        latents.append(latent.reshape(-1))
    return torch.stack(latents)


def n_bins(name: str) -> int:
    return load_yaml(name)["flow_lm"]["lookup_table"]["n_bins"]


def make() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    golden = {}
    manifest = {"generator": "Scripts/reference/make_voice_interop_401.py (pocket-tts 4.0.1, torch "
                + torch.__version__.split("+")[0] + ")", "seed": SEED, "voice": "reference/voice.wav",
                "mimi": f"reference401/mimi_{MIMI_NAME}.safetensors (mimi_configs.json[{MIMI_NAME!r}])",
                "frames": FRAMES, "models": {}}
    for name in MODELS:
        model = build(name)
        with torch.no_grad():
            state = model.get_state_for_audio_prompt(VOICE)
        path = OUT / f"{name}_voice.safetensors"
        from pocket_tts.models.model_state import export_model_state

        export_model_state(state, path)
        # Generation from the file, as 4.0.1 reads it back.
        loaded = model.get_state_for_audio_prompt(path)
        tokens = text_tokens(name, n_bins(name))
        latents = generate(model, loaded, tokens)
        golden[f"{name}/text_tokens"] = torch.tensor(tokens, dtype=torch.int64)
        golden[f"{name}/latents"] = latents.contiguous()
        manifest["models"][name] = {"positions": offset(state), "text_tokens": tokens,
                                    "latent_max_abs": float(latents.abs().max())}
        print(f"{name}: {offset(state)} positions ({len(state)} layers), max |latent| {latents.abs().max():.3f}")
    safetensors.torch.save_file(golden, OUT / "golden.safetensors")
    files = sorted(p for p in OUT.iterdir() if p.name != "manifest.json")
    manifest["sha256"] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def check(name: str, file: Path) -> bool:
    """4.0.1 loads `file` (a voice state exported elsewhere) and compares it with its own."""
    model = build(name)
    with torch.no_grad():
        ours = model.get_state_for_audio_prompt(VOICE)
    theirs = model.get_state_for_audio_prompt(file)  # 4.0.1's import: _import_model_state
    ok = set(ours) == set(theirs)
    worst = 0.0
    for module, tensors in ours.items():
        other = theirs.get(module, {})
        ok &= set(tensors) == set(other)
        for key, want in tensors.items():
            got = other.get(key)
            if got is None:
                continue
            same_form = got.dtype == want.dtype and got.shape == want.shape
            ok &= same_form
            if not same_form:
                print(f"  {module}/{key}: {got.dtype} {list(got.shape)}, 4.0.1 writes {want.dtype} {list(want.shape)}")
            elif key == "cache":
                worst = max(worst, float((got - want).abs().max()))
            else:
                ok &= bool(torch.equal(got, want))
    tokens = text_tokens(name, n_bins(name))
    latent_error = float((generate(model, theirs, tokens) - generate(model, ours, tokens)).abs().max())
    ok &= worst <= TOLERANCE and latent_error <= TOLERANCE
    print(f"{name}: {file} -> {offset(theirs)} positions (4.0.1: {offset(ours)}), caches max abs diff {worst:.2e}, "
          f"latents from it ({FRAMES} frames) max abs diff {latent_error:.2e}: {'pass' if ok else 'FAIL'}")
    return ok


def write_model(directory: Path) -> None:
    """The models as files the command line reads: `<name>.yaml` (no weight paths) and weights."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in MODELS:
        model = build(name)
        tensors = {k: v.detach().to(torch.float32).contiguous() for k, v in model.state_dict().items()}
        safetensors.torch.save_file(tensors, directory / f"{name}.safetensors")
        (directory / f"{name}.yaml").write_text(yaml.safe_dump(model_config(name), sort_keys=False))
        print(f"{directory / name}.yaml, .safetensors ({sum(t.numel() for t in tensors.values())} values)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="append", metavar="NAME=FILE", help="load FILE in 4.0.1 and compare")
    parser.add_argument("--write-model", type=Path, metavar="DIR", help="write the models' config and weights")
    args = parser.parse_args()
    if args.write_model:
        write_model(args.write_model)
        return 0
    if args.check:
        results = []
        for item in args.check:
            name, _, file = item.partition("=")
            if name not in MODELS or not file:
                parser.error(f"--check {item}: expected NAME=FILE, NAME one of {', '.join(MODELS)}")
            results.append(check(name, Path(file)))
        return 0 if all(results) else 1
    make()
    return 0


if __name__ == "__main__":
    sys.exit(main())
