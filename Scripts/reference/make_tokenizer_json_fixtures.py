#!/usr/bin/env python3
"""Writes the tokenizer.json parity fixtures (Tests/PocketTTSTests/Fixtures/tokenizer_json/).

1. Trains two small SentencePiece unigram models (byte fallback, unk=0 bos=1 eos=2 pad=3, like the
   real Pocket TTS model) on generated text in seven languages: `spm_nfkc` (nmt_nfkc normalization,
   extra whitespace removed, one user-defined piece "[laugh]") and `spm_identity` (no normalization,
   whitespace kept, as the real model). The .model files are not kept.
2. Converts each to tokenizer.json the ways Kyutai may have done it (tokenizer_json_common.CONVERSIONS).
3. Trains two BPE models with `tokenizers` itself: `bpe_metaspace` (NFKC, Metaspace, byte fallback,
   fused unknowns, "<s> $A </s>" template) and `bpe_words` (NFD + lowercase + strip accents, Split and
   Whitespace pre-tokenizers, unfused unknowns, added tokens with single_word/lstrip/rstrip, merges in
   the legacy "a b" string form, no decoder).
4. Writes corpus.json (the texts) and, per tokenizer, NAME.expected.json: Python `tokenizers`'
   `encode(text).ids` and `decode(ids)` of every text, id lists decoded directly, the piece of every id.

Deterministic; run from anywhere with the venv described in tokenizer_json_common.py:

    /opt/tok-venv/bin/python Scripts/reference/make_tokenizer_json_fixtures.py
"""
import json
import sys
import tempfile
from pathlib import Path

import sentencepiece as spm
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tokenizer_json_common import CONVERSIONS, components, convert, expected  # noqa: E402
from tokenizer_json_corpus import test_corpus, training_lines  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/PocketTTSTests/Fixtures/tokenizer_json"

SPM_MODELS = {
    # name: (extra trainer options, conversions kept as fixtures)
    "spm_nfkc": (dict(vocab_size=1000, normalization_rule_name="nmt_nfkc", character_coverage=0.9995,
                      user_defined_symbols=["[laugh]"]), ["from_spm", "transformers_auto"]),
    "spm_identity": (dict(vocab_size=800, normalization_rule_name="identity", character_coverage=1.0,
                          remove_extra_whitespaces=False), CONVERSIONS),
}


def train_spm(name: str, options: dict, corpus: Path, folder: Path) -> Path:
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(folder / name), model_type="unigram", byte_fallback=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=3, num_threads=1, seed_sentencepiece_size=100000,
        minloglevel=2, **options)
    return folder / f"{name}.model"


def with_byte_pieces(trained: Tokenizer, **bpe_options) -> Tokenizer:
    """The trained BPE with the 256 "<0xXX>" pieces appended to its vocabulary, so that
    byte_fallback has pieces to fall back to (the trainer cannot make them)."""
    data = json.loads(trained.to_str())
    vocab = data["model"]["vocab"]
    for b in range(256):
        vocab.setdefault(f"<0x{b:02X}>", len(vocab))
    merges = [tuple(m) for m in data["model"]["merges"]]
    tok = Tokenizer(models.BPE(vocab, merges, **bpe_options))
    tok.normalizer, tok.pre_tokenizer, tok.decoder = trained.normalizer, trained.pre_tokenizer, trained.decoder
    return tok


def train_bpe_metaspace(lines: list[str], path: Path) -> None:
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Sequence([decoders.Metaspace(), decoders.ByteFallback(), decoders.Fuse()])
    tok.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=900, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False))
    final = with_byte_pieces(tok, unk_token="<unk>", fuse_unk=True, byte_fallback=True)
    final.add_special_tokens(["<unk>", "<s>", "</s>"])
    final.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> $B </s>",
        special_tokens=[("<s>", final.token_to_id("<s>")), ("</s>", final.token_to_id("</s>"))])
    final.save(str(path))


def train_bpe_words(lines: list[str], path: Path) -> None:
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.normalizer = normalizers.Sequence([
        normalizers.Strip(left=True, right=True), normalizers.NFD(), normalizers.Lowercase(),
        normalizers.StripAccents(), normalizers.NFC()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Split(Regex(r"\d"), behavior="isolated"),
        pre_tokenizers.Split("-", behavior="merged_with_next"),
        pre_tokenizers.Whitespace()])
    tok.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=700, special_tokens=["[UNK]", "[CLS]", "[SEP]"], show_progress=False,
        limit_alphabet=60))
    final = Tokenizer(models.BPE(*_vocab_merges(tok), unk_token="[UNK]", fuse_unk=False))
    final.normalizer, final.pre_tokenizer = tok.normalizer, tok.pre_tokenizer
    final.add_special_tokens(["[UNK]", "[CLS]", "[SEP]"])
    final.add_tokens([
        AddedToken("pocket", single_word=True, normalized=True),
        AddedToken("<laugh>", lstrip=True, rstrip=True, normalized=False)])
    final.save(str(path))
    # The legacy form of the merges ("a b" strings), which tokenizers still reads.
    data = json.loads(path.read_text(encoding="utf-8"))
    data["model"]["merges"] = [" ".join(m) for m in data["model"]["merges"]]
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def _vocab_merges(tok: Tokenizer):
    data = json.loads(tok.to_str())
    return data["model"]["vocab"], [tuple(m) for m in data["model"]["merges"]]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    texts = test_corpus()
    lines = training_lines()
    names = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        corpus = folder / "train.txt"
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for model_name, (options, conversions) in SPM_MODELS.items():
            model = train_spm(model_name, options, corpus, folder)
            for method in conversions:
                name = f"{model_name}_{method}"
                convert(model, method, OUT / f"{name}.json")
                names.append(name)
    train_bpe_metaspace(lines, OUT / "bpe_metaspace.json")
    train_bpe_words(lines, OUT / "bpe_words.json")
    names += ["bpe_metaspace", "bpe_words"]
    (OUT / "corpus.json").write_text(json.dumps({"texts": texts}, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    for name in names:
        result = {"tokenizer": f"{name}.json", **expected(OUT / f"{name}.json", texts)}
        (OUT / f"{name}.expected.json").write_text(
            json.dumps(result, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"{name}: {components(OUT / f'{name}.json')}")
    print(f"{len(texts)} texts, {len(names)} tokenizers -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
