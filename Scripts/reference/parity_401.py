#!/usr/bin/env python3
"""Parity of `pocket-tts generate` with pocket-tts 4.0.1 for every built-in config, full size.

    /opt/ref4-venv/bin/python Scripts/reference/parity_401.py [--configs english,french_24l,...]
        [--frames 40] [--binary B] [--workdir /tmp/pocket-tts-parity401] [--table OUT.md]

For each config (default: all 27 of `pocket_tts/config/`):
1. 4.0.1 builds the model itself (`TTSModel._from_pydantic_config_with_weights` on the config, no
   weight files, `torch.manual_seed(--seed)`); `speaker_proj_weight` (zeros there), `bos_before_voice`,
   `emb_mean` and `emb_std` are randomised too, so the voice path is exercised. The state dict is saved
   as float32 safetensors: the weights both sides load.
2. Tokenizer: the real `../shared/assets/tokenizer.model` for `tokenizer: sentencepiece` configs; for
   `tokenizer: tokenizers` configs, its conversion to a tokenizer.json made here with Python
   `tokenizers` (`SentencePieceUnigramTokenizer.from_spm`), never committed. Both sides read that file.
3. Voice: the real speech sample, resampled once to a 24 kHz WAV with 4.0.1's own `convert_audio`;
   4.0.1 encodes it (`get_state_for_audio_prompt`: end_on_pause, Mimi encoder, bos_before_voice, prompt),
   Swift clones the same WAV.
4. Generation at temperature 0 with EOS off (threshold 1e9), every chunk forced to `--frames` frames:
   4.0.1's `generate_audio` (fade-in included), latents and EOS logits observed by wrapping
   `_run_flow_lm_and_increment_step`; Swift `generate --model NAME --precision exact --max-frames`.
   A multi-sentence text with `--max-tokens 20` makes several chunks: the whole utterance is compared.
5. Max abs error of latents, EOS logits and audio; a config passes when latents and audio are within
   `--threshold` (1e-4) and the lengths are equal. A markdown table goes to stdout (and `--table`).
Exit 1 if any config fails, 2 if a side could not run.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fullsize_common import DEFAULT_SPEECH, DEFAULT_TOKENIZER, REPO, ensure_binary, log, write_voice_24k  # noqa: E402

NO_EOS = 1e9
TEXT = ("The old lighthouse keeper climbed the stairs every evening. He lit the great lamp, "
        "and watched the ships pass safely through the dark water.")


def spm_to_json(model: Path, out: Path) -> Path:
    """The tokenizer.json `tokenizers` makes of a SentencePiece model (a derived copy: workdir only)."""
    import sentencepiece.sentencepiece_model_pb2 as pb
    sys.modules.setdefault("sentencepiece_model_pb2", pb)  # what from_spm imports
    from tokenizers.implementations import SentencePieceUnigramTokenizer

    if not out.exists():
        SentencePieceUnigramTokenizer.from_spm(str(model)).save(str(out))
    return out


def build_reference(name: str, tokenizer: Path, seed: int):
    import torch
    from pocket_tts.models.tts_model import TTSModel
    from pocket_tts.utils.config import CONFIGS_DIR, load_config

    config = load_config(CONFIGS_DIR / f"{name}.yaml")
    config.weights_path = None
    config.weights_path_without_voice_cloning = None
    config.flow_lm.weights_path = None
    config.mimi.weights_path = None
    config.flow_lm.lookup_table.tokenizer_path = str(tokenizer)
    torch.manual_seed(seed)
    model = TTSModel._from_pydantic_config_with_weights(
        config, temp=0.0, sampler_decode_steps=1, noise_clamp=None, eos_threshold=NO_EOS)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        w = model.flow_lm.speaker_proj_weight
        w.copy_((torch.rand(w.shape, generator=generator) * 2 - 1) / w.shape[1] ** 0.5)
        if model.flow_lm.insert_bos_before_voice:
            model.flow_lm.bos_before_voice.copy_(torch.randn(model.flow_lm.bos_before_voice.shape, generator=generator))
        model.flow_lm.emb_mean.copy_(torch.randn(model.flow_lm.emb_mean.shape, generator=generator) * 0.1)
        model.flow_lm.emb_std.copy_(1 + torch.rand(model.flow_lm.emb_std.shape, generator=generator) * 0.2)
    model.eval()
    return model


class Recorder:
    """Latents and EOS logits of every step; every chunk's frame budget forced to `frames`."""

    def __init__(self, model, frames: int) -> None:
        from pocket_tts.models.tts_model import TTSModel

        self.model, self.latents, self.eos, self.chunks, self.last = model, [], [], 0, None

        def hook(_m, _i, output):
            self.last = output.detach().clone()

        def estimate(_tokens: int) -> int:
            self.chunks += 1
            return frames

        def run(model_state, text_tokens=None, backbone_input_latents=None, audio_conditioning=None):
            out = TTSModel._run_flow_lm_and_increment_step(
                model, model_state, text_tokens, backbone_input_latents, audio_conditioning)
            if backbone_input_latents is not None:
                self.latents.append(out[0][0, 0].clone())
                self.eos.append(self.last.reshape(-1)[0].clone())
            return out

        self.handle = model.flow_lm.out_eos.register_forward_hook(hook)
        model._estimate_max_gen_len = estimate
        model._run_flow_lm_and_increment_step = run

    def close(self) -> None:
        self.handle.remove()


def run_reference(name: str, args, tokenizer: Path, voice: Path, work: Path) -> dict:
    import torch
    from safetensors.torch import save_file

    torch.set_num_threads(1)
    model = build_reference(name, tokenizer, args.seed)
    weights = work / "weights.safetensors"
    save_file({k: v.detach().to(torch.float32).contiguous() for k, v in model.state_dict().items()}, str(weights))
    with torch.no_grad():
        state = model.get_state_for_audio_prompt(voice)
        recorder = Recorder(model, args.frames)
        started = time.perf_counter()
        audio = model.generate_audio(state, args.text, max_tokens=args.max_tokens)
        seconds = time.perf_counter() - started
        recorder.close()
    return {"weights": weights, "latents": torch.stack(recorder.latents).numpy(),
            "eos": torch.stack(recorder.eos).numpy(), "audio": audio.to(torch.float32).numpy(),
            "chunks": recorder.chunks, "seconds": seconds}


def run_swift(name: str, args, binary: Path, weights: Path, tokenizer: Path, voice: Path, work: Path) -> dict:
    from safetensors.numpy import load_file
    from scipy.io import wavfile

    out, dump = work / "swift.wav", work / "swift_latents.safetensors"
    for stale in (out, dump):
        stale.unlink(missing_ok=True)
    cmd = [str(binary), "generate", "--model", name, "--weights", str(weights), "--tokenizer", str(tokenizer),
           "--voice", str(voice), "--text", args.text, "--temperature", "0", "--eos-threshold", str(NO_EOS),
           "--max-tokens", str(args.max_tokens), "--max-frames", str(args.frames), "--output-path", str(out),
           "--sample-format", "f32", "--dump-latents", str(dump), "--trailing-silence", "0", "--no-download",
           "--precision", "exact", "--seed", "0"]
    started = time.perf_counter()
    proc = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        log("$ " + " ".join(cmd))
        log(proc.stderr)
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    _, audio = wavfile.read(str(out))
    tensors = load_file(str(dump))
    return {"latents": tensors["latents"].reshape(-1, tensors["latents"].shape[-1]),
            "eos": tensors["eos_logits"].reshape(-1), "audio": audio.astype(np.float32), "seconds": seconds}


def compare(ref: dict, swift: dict, threshold: float) -> dict:
    if "error" in swift:
        return {"ok": False, "note": "swift: " + swift["error"][:120]}
    row = {"frames": (int(ref["latents"].shape[0]), int(swift["latents"].shape[0])),
           "samples": (int(ref["audio"].shape[0]), int(swift["audio"].shape[0]))}
    if row["frames"][0] != row["frames"][1] or row["samples"][0] != row["samples"][1]:
        return {**row, "ok": False, "note": f"lengths differ: frames {row['frames']}, samples {row['samples']}"}
    row["latent_err"] = float(np.max(np.abs(ref["latents"] - swift["latents"])))
    row["eos_err"] = float(np.max(np.abs(ref["eos"] - swift["eos"])))
    row["audio_err"] = float(np.max(np.abs(ref["audio"] - swift["audio"])))
    row["ok"] = row["latent_err"] <= threshold and row["audio_err"] <= threshold
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", help="comma-separated config names (default: all)")
    parser.add_argument("--frames", type=int, default=40, help="frames per chunk (default 40)")
    parser.add_argument("--max-tokens", type=int, default=20, help="tokens per chunk (default 20: several chunks)")
    parser.add_argument("--text", default=TEXT)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--threshold", type=float, default=1e-4)
    parser.add_argument("--binary", type=Path)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pocket-tts-parity401"))
    parser.add_argument("--table", type=Path, help="also write the markdown table here")
    args = parser.parse_args()

    from pocket_tts.utils.config import CONFIGS_DIR, load_config

    names = args.configs.split(",") if args.configs else sorted(p.stem for p in CONFIGS_DIR.glob("*.yaml"))
    if not DEFAULT_TOKENIZER.exists() or not DEFAULT_SPEECH.exists():
        log(f"needs {DEFAULT_TOKENIZER} and {DEFAULT_SPEECH}")
        return 2
    binary = ensure_binary(args.binary)
    args.workdir.mkdir(parents=True, exist_ok=True)
    voice = args.workdir / "speech_24k.wav"
    write_voice_24k(DEFAULT_SPEECH, voice, max_seconds=6)
    tokenizer_json = spm_to_json(DEFAULT_TOKENIZER, args.workdir / "tokenizer.json")

    rows, failed = [], False
    for name in names:
        work = args.workdir / name
        work.mkdir(exist_ok=True)
        config = load_config(CONFIGS_DIR / f"{name}.yaml")
        uses_json = config.flow_lm.lookup_table.tokenizer in ("tokenizers", "json")
        tokenizer = tokenizer_json if uses_json else DEFAULT_TOKENIZER
        log(f"== {name} ({'tokenizer.json' if uses_json else 'sentencepiece'})")
        try:
            ref = run_reference(name, args, tokenizer, voice, work)
        except Exception as error:  # noqa: BLE001 - reported in the table
            rows.append((name, {"ok": False, "note": f"reference: {error}"[:120]}, None))
            failed = True
            continue
        swift = run_swift(name, args, binary, ref["weights"], tokenizer, voice, work)
        row = compare(ref, swift, args.threshold)
        row["ref_s"], row["swift_s"], row["chunks"] = ref["seconds"], swift.get("seconds"), ref["chunks"]
        rows.append((name, row, None))
        failed |= not row["ok"]
        log(json.dumps({"config": name, **{k: v for k, v in row.items() if k != "ok"}, "ok": row["ok"]}))

    lines = [f"Parity with pocket-tts 4.0.1, random full-size weights, temperature 0, EOS off, "
             f"{args.frames} frames per chunk, max_tokens {args.max_tokens}, `--precision exact`:", "",
             "| config | chunks | frames | latents max err | EOS logit max err | audio max err | result |",
             "|---|--:|--:|--:|--:|--:|---|"]
    for name, row, _ in rows:
        if "latent_err" in row:
            lines.append(f"| `{name}` | {row['chunks']} | {row['frames'][0]} | {row['latent_err']:.1e} | "
                         f"{row['eos_err']:.1e} | {row['audio_err']:.1e} | {'pass' if row['ok'] else 'FAIL'} |")
        else:
            lines.append(f"| `{name}` | | | | | | FAIL: {row.get('note', '')} |")
    table = "\n".join(lines)
    print(table)
    if args.table:
        args.table.write_text(table + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
