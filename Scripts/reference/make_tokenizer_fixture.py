#!/usr/bin/env python3
"""Writes the tokenizer parity fixtures the Swift tests compare against.

For each model, encodes a fixed list of varied texts with the Python `sentencepiece` package
(`sp.encode(text, out_type=int)`) and records the ids and `sp.decode(ids)`, plus a few id
lists decoded directly (control, unknown, byte-fallback pieces). Run from the package root:

    /opt/ref-venv/bin/python Scripts/reference/make_tokenizer_fixture.py

Always writes Tests/PocketTTSTests/Fixtures/tokenizer/test_tokenizer_cases.json (from the
committed 512-piece test model, with its piece table). When ../shared/assets/tokenizer.model
exists (the real 4000-piece Pocket TTS model) it also writes real_tokenizer_cases.json, which
holds only our texts and the ids/decodes of them, no content of the model file.
"""
import hashlib
import json
import sys
from pathlib import Path

import sentencepiece as spm

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests/PocketTTSTests/Fixtures/tokenizer"
REAL_MODEL = ROOT.parent / "shared/assets/tokenizer.model"

TEXTS = [
    # ASCII sentences and punctuation
    "",
    "Hello world.",
    "Hello, this is a test.",
    "The quick brown fox jumps over the lazy dog!",
    "What time is it? About 10 in the morning...",
    "Wait -- really?! Yes; really: twice.",
    "semi;colon,comma.period!bang?question",
    "ALL CAPS SHOUTING HERE",
    "mIxEd CaSe WoRdS",
    "a",
    "I",
    ".",
    "!?...",
    "(parentheses) [brackets] {braces} <angles>",
    "email@example.com and https://kyutai.org/path?q=1&x=2",
    "#hashtag @mention $dollar %percent ^caret *star _under +plus =equals |pipe \\backslash ~tilde `tick",
    # numbers
    "0 1 2 3 42 99 100 2024",
    "3.14159 and 1,000,000 and -7 and +12.5%",
    "Call 555-0123 at 9:30pm on 2024-05-17.",
    "1st 2nd 3rd 4th 21st",
    # quotes
    '"double quoted"',
    "'single quoted'",
    "He said \"it's fine\" and left.",
    # unicode punctuation
    "\u201cCurly double quotes\u201d and \u2018curly single\u2019.",
    "Ellipsis\u2026 and em\u2014dash and en\u2013dash.",
    "\u00abGuillemets\u00bb \u2039single\u203a",
    "Non\u00a0breaking\u00a0space and thin\u2009space.",
    "Zero\u200bwidth space, soft\u00adhyphen.",
    # accents and NFKC
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 fa\u00e7ade co\u00f6perate.",
    "Cafe\u0301 with a combining accent.",
    "\u00c0 bient\u00f4t, \u00e7a va tr\u00e8s bien !",
    "Stra\u00dfe, \u00fcber, sch\u00f6n, \u00c4rger.",
    "Espa\u00f1ol: \u00bfQu\u00e9 tal? \u00a1Muy bien!",
    "\ufb01ne \ufb02ow ligatures",
    "\uff26\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48 \uff11\uff12\uff13",
    "\u2460 \u2461 \u2162 \u00bd \u00b2 \u2122",
    # other scripts
    "\u4f60\u597d\uff0c\u4e16\u754c\u3002",
    "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c",
    "\uc548\ub155\ud558\uc138\uc694",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!",
    "\u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 \u039a\u03cc\u03c3\u03bc\u03b5",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\u05e9\u05dc\u05d5\u05dd",
    "\u0928\u092e\u0938\u094d\u0924\u0947",
    # emoji (byte fallback)
    "I love it \U0001F600!",
    "\U0001F44D\U0001F3FD thumbs up",
    "Family: \U0001F468\u200d\U0001F469\u200d\U0001F467",
    "\u2764\ufe0f \u2603 \u263a",
    "\U0001F1EB\U0001F1F7 flag",
    # whitespace
    "line one\nline two",
    "para one\n\npara two\n",
    "tab\tseparated\tvalues",
    "\r\nwindows\r\nnewlines",
    " leading space",
    "trailing space ",
    "   several   spaces   between   ",
    " ",
    "\n",
    "\u3000ideographic\u3000space",
    # control characters
    "nul\u0000inside",
    "bell\u0007and escape\u001b[0m",
    # longer text
    "Pocket TTS is a small text-to-speech model. It runs on a laptop CPU, in real time, "
    "and streams audio as it goes: 80 ms frames at 24 kHz.",
]

# Id lists decoded directly: control pieces (1, 2, 3) decode to nothing, the unknown piece
# to " \u2047 ", lone or broken byte pieces to U+FFFD.
def decode_cases(sp: spm.SentencePieceProcessor) -> list[list[int]]:
    byte = lambda b: sp.piece_to_id(f"<0x{b:02X}>")
    hello = sp.encode("Hello world.", out_type=int)
    return [
        [],
        [0],
        [1, 2, 3],
        [1] + hello + [2],
        hello + [0] + hello,
        [byte(0xE2)],
        [byte(0xE2), byte(0x80), byte(0x9C)],
        [byte(0xE2), byte(0x80)] + hello,
        [byte(0xF0), byte(0x9F), byte(0x98), byte(0x80), byte(0xFF)],
        [byte(0x41), byte(0x00), byte(0x42)],
    ]


def fixture(model: Path, with_pieces: bool) -> dict:
    sp = spm.SentencePieceProcessor(model_file=str(model))
    cases = []
    for text in TEXTS:
        ids = sp.encode(text, out_type=int)
        cases.append({"text": text, "ids": ids, "decoded": sp.decode(ids)})
    out = {
        "generator": "Scripts/reference/make_tokenizer_fixture.py",
        "sentencepiece_version": spm.__version__,
        "model": model.name,
        "model_sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
        "vocab_size": sp.vocab_size(),
        "cases": cases,
        "decode_cases": [{"ids": ids, "text": sp.decode(ids)} for ids in decode_cases(sp)],
    }
    if with_pieces:
        out["pieces"] = [sp.id_to_piece(i) for i in range(sp.vocab_size())]
        out["unknown_ids"] = [i for i in range(sp.vocab_size()) if sp.is_unknown(i)]
        out["control_ids"] = [i for i in range(sp.vocab_size()) if sp.is_control(i)]
        out["byte_ids"] = [i for i in range(sp.vocab_size()) if sp.is_byte(i)]
    return out


def write(data: dict, path: Path) -> None:
    # One line per key, and per case: small, readable diffs.
    compact = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    lines = []
    for key, value in data.items():
        if key in ("cases", "decode_cases"):
            body = ",\n  ".join(compact(v) for v in value)
            lines.append(f'"{key}":[\n  {body}]')
        else:
            lines.append(f'"{key}":{compact(value)}')
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}: {len(data['cases'])} cases, vocab {data['vocab_size']}")


def main() -> None:
    write(fixture(FIXTURES / "test_tokenizer.model", with_pieces=True), FIXTURES / "test_tokenizer_cases.json")
    real = Path(sys.argv[1]) if len(sys.argv) > 1 else REAL_MODEL
    if real.exists():
        write(fixture(real, with_pieces=False), FIXTURES / "real_tokenizer_cases.json")
    else:
        print(f"{real} not found: real tokenizer fixture not written")


if __name__ == "__main__":
    main()
