#!/usr/bin/env python3
"""Trains the small SentencePiece model the test suite uses in place of the real one.

Same kind as the real Pocket TTS tokenizer (unigram, byte fallback, unk=0 bos=1 eos=2 pad=3),
only smaller (512 pieces), trained on a synthetic English corpus generated here from a fixed
seed, so the output is reproducible:

    python Scripts/reference/train_test_tokenizer.py Tests/PocketTTSTests/Fixtures/tokenizer

Needs only `pip install sentencepiece`.
"""
import random
import sys
from pathlib import Path

import sentencepiece as spm

WORDS = (
    "the a an of to and in is it you that he was for on are with as his they be at one have "
    "this from or had by hot word but what some we can out other were all there when up use "
    "your how said each she which do their time if will way about many then them write would "
    "like so these her long make thing see him two has look more day could go come did number "
    "sound no most people my over know water than call first who may down side been now find "
    "hello world test speech voice model audio stream frame latent token quick brown fox jumps "
    "lazy dog pocket tiny server client socket music morning evening yesterday tomorrow "
    "weather sunny rainy city river mountain ocean forest garden kitchen window computer"
).split()
NUMBERS = ["0", "1", "2", "3", "7", "10", "42", "99", "100", "2024", "3.14", "1,000"]
PUNCT_END = [".", ".", ".", "!", "?", "...", "?!"]
PUNCT_MID = [",", ",", ";", ":", " -"]


def sentence(rng: random.Random) -> str:
    n = rng.randint(3, 14)
    words = []
    for i in range(n):
        w = rng.choice(NUMBERS) if rng.random() < 0.06 else rng.choice(WORDS)
        if rng.random() < 0.08:
            w = f'"{w}"' if rng.random() < 0.5 else f"'{w}'"
        if i < n - 1 and rng.random() < 0.1:
            w += rng.choice(PUNCT_MID)
        words.append(w)
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(PUNCT_END)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1234)
    corpus = out / "corpus.txt"
    lines = [" ".join(sentence(rng) for _ in range(rng.randint(1, 3))) for _ in range(4000)]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(out / "test_tokenizer"),
        model_type="unigram",
        vocab_size=512,
        byte_fallback=True,
        character_coverage=1.0,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=3,
        num_threads=1,
        seed_sentencepiece_size=100000,
        minloglevel=2,
    )
    corpus.unlink()
    (out / "test_tokenizer.vocab").unlink()
    sp = spm.SentencePieceProcessor(model_file=str(out / "test_tokenizer.model"))
    print("pieces:", sp.vocab_size(), "| 'Hello world.' ->", sp.encode("Hello world."))


if __name__ == "__main__":
    main()
