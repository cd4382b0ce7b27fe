#!/usr/bin/env python3
"""Trains the small multilingual SentencePiece model of the 4.0.1 text-pipeline fixtures.

Same kind as the real Pocket TTS tokenizer (unigram, byte fallback, identity normalization,
repeated spaces kept, digits split; unk=0 bos=1 eos=2 pad=3), only smaller (1000 pieces),
trained on a synthetic corpus in English, French, German, Spanish, Italian, Portuguese and
Dutch generated here from a fixed seed (word lists written for this script), so the output is
reproducible:

    /opt/ref4-venv/bin/python Scripts/reference/train_multilingual_tokenizer.py \
        Tests/PocketTTSTests/Fixtures/tokenizer

Needs only `pip install sentencepiece`. Characters absent from the corpus (emoji, CJK, ...)
are left to byte fallback, as in the real model.
"""
import os
import random
import sys
from pathlib import Path

import sentencepiece as spm

WORDS = {
    "en": "hello world the a of to and in is it you that he was for on are with as they be at have this from "
          "or had by word but what some we can out other were all there when your how said each she "
          "which do their time if will way about many then them would like so these her long make "
          "thing see him two has look more day could go come did number people water morning city "
          "river weather tomorrow house garden window music voice speech model stream small quick",
    "fr": "le la les un une des de du et à en est il elle nous vous ils pour dans sur avec pas que "
          "qui ce cette mais ou où donc très bien maison jardin ville rivière matin soir demain "
          "hier temps voix musique parole modèle petit grand été être avoir fait dit très même "
          "après déjà où ça français fenêtre château forêt garçon élève cœur œuvre noël",
    "de": "der die das ein eine und ist nicht mit von zu den dem im auf für sich es sie wir ihr "
          "aber oder auch noch nur schon sehr gut haus garten stadt fluss morgen abend heute "
          "gestern wetter stimme musik sprache modell klein groß über für schön müssen können "
          "mädchen straße fräulein grüße weiß heißen",
    "es": "el la los las un una de del y en es que no con por para se su al lo como más pero "
          "muy bien casa jardín ciudad río mañana tarde hoy ayer tiempo voz música habla modelo "
          "pequeño grande está también año niño señor corazón qué cómo dónde cuándo aquí",
    "it": "il lo la i gli le un una di da e è in che non con per su come più ma molto bene casa "
          "giardino città fiume mattina sera oggi ieri tempo voce musica parola modello piccolo "
          "grande perché così già però cioè più università caffè",
    "pt": "o a os as um uma de do da e em é que não com por para se seu mais mas muito bem casa "
          "jardim cidade rio manhã tarde hoje ontem tempo voz música fala modelo pequeno grande "
          "está também coração ação são não então você avó pão",
    "nl": "de het een en van in is dat niet met op voor zijn er aan ook maar als bij nog wel heel "
          "goed huis tuin stad rivier morgen avond vandaag gisteren weer stem muziek taal model "
          "klein groot een beetje ijs twee drie zeeën café",
}
NUMBERS = ["0", "1", "2", "3", "7", "10", "42", "99", "100", "2024", "3.14", "1,000", "2,5", "12:30"]
END = [".", ".", ".", "!", "?", "...", "…", "?!"]
MID = [",", ",", ",", ";", ":", " -", " –", " —"]
QUOTES = [('"', '"'), ("“", "”"), ("„", "“"), ("«", "»"), ("« ", " »"), ("‘", "’"), ("'", "'"),
          ("(", ")"), ("[", "]")]


def sentence(rng: random.Random, words: list[str]) -> str:
    n = rng.randint(3, 14)
    out = []
    for i in range(n):
        w = rng.choice(NUMBERS) if rng.random() < 0.06 else rng.choice(words)
        if rng.random() < 0.07:
            opening, closing = rng.choice(QUOTES)
            w = opening + w + closing
        if i < n - 1 and rng.random() < 0.1:
            w += rng.choice(MID)
        out.append(w)
    text = " ".join(out)
    text = text[0].upper() + text[1:] + rng.choice(END)
    if rng.random() < 0.04:
        text = rng.choice(["¿", "¡"]) + text
    return text


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(4001)
    vocab = {lang: text.split() for lang, text in WORDS.items()}
    languages = sorted(vocab)
    lines = []
    for _ in range(7000):
        words = vocab[rng.choice(languages)]
        lines.append(" ".join(sentence(rng, words) for _ in range(rng.randint(1, 3))))
    # Relative names: the trainer stores its input and prefix in the model file.
    os.chdir(out)
    corpus = Path("multilingual_corpus.txt")
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix="multilingual_test_tokenizer",
        model_type="unigram",
        vocab_size=1000,
        byte_fallback=True,
        character_coverage=1.0,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        split_digits=True,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=3,
        num_threads=1,
        seed_sentencepiece_size=100000,
        minloglevel=2,
    )
    corpus.unlink()
    Path("multilingual_test_tokenizer.vocab").unlink()
    sp = spm.SentencePieceProcessor(model_file="multilingual_test_tokenizer.model")
    for text in ["Hello world.", "« Bonjour », dit-elle.", ".!...?", ",;:", "3.5"]:
        print(f"{text!r} -> {sp.encode(text, out_type=str)}")
    print("pieces:", sp.vocab_size())


if __name__ == "__main__":
    main()
