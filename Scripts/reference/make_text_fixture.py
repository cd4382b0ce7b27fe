#!/usr/bin/env python3
"""Writes the text-pipeline parity fixtures the Swift tests compare against.

For every corpus text, runs the REFERENCE code of pocket-tts 1.1.1:
  - `prepare_text_prompt(text)`: prepared text and frames-after-EOS guess (or the error);
  - `split_into_best_sentences(tokenizer, text, max_tokens)` for each max_tokens (checked to
    equal the chunk texts below, so stored once);
  - `TTSModel.generate_audio_stream` itself, on a stand-in `self` with no weights: its
    `_generate_audio_stream_short_text` runs the reference `TTSModel._generate` (conditioner
    `prepare`, `_estimate_max_gen_len`), whose model calls only record what they receive. So each
    chunk records exactly the token ids the model is prompted with, max_gen_len and the
    frames_after_eos the reference passes on.
It also writes the Python `str` predicates the pipeline relies on (isspace, isupper, isalnum,
upper) over all code points, to check the Swift helpers exhaustively.

Run from the package root:

    /opt/ref-venv/bin/python Scripts/reference/make_text_fixture.py [path/to/real/tokenizer.model]

Always writes Tests/PocketTTSTests/Fixtures/text/test_tokenizer_text.json (the committed
512-piece test model) and python_unicode.json; when ../shared/assets/tokenizer.model exists, also
real_tokenizer_text.json (our texts and ids only, no content of the model file).
"""
import hashlib
import json
import queue
import sys
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pocket_tts
from pocket_tts.conditioners.text import LUTConditioner
from pocket_tts.default_parameters import MAX_TOKEN_PER_CHUNK
from pocket_tts.models.tts_model import TTSModel, prepare_text_prompt, split_into_best_sentences
from pocket_tts.utils.config import load_config

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests/PocketTTSTests/Fixtures/text"
TEST_MODEL = ROOT / "Tests/PocketTTSTests/Fixtures/tokenizer/test_tokenizer.model"
REAL_MODEL = ROOT.parent / "shared/assets/tokenizer.model"
CONFIG = Path(pocket_tts.__file__).parent / "config/b6369a24.yaml"
MAX_TOKENS = [MAX_TOKEN_PER_CHUNK, 12]

LONG_STORY = (
    "Once upon a time, in a small village by the sea, there lived an old fisherman named Tom. "
    "Every morning he rose before dawn, mended his nets, and rowed out past the lighthouse. "
    "The villagers said he talked to the gulls; he said the gulls talked back! "
    "Was it true? Nobody knew... but on stormy nights, his lamp burned until morning. "
    "One day, a stranger arrived with a map, a compass, and 3.5 kilograms of gold coins. "
    "\"I need a boat,\" she said. \"And a captain who isn't afraid of the dark.\" "
    "Tom looked at her for a long time. Then he nodded, and they left at 6 p.m. sharp."
)
LONG_NO_PUNCT = " ".join(["word"] * 20 + ["another", "stretch", "of", "words"] * 12)
LONG_TECH = (
    "Pocket TTS is a small text-to-speech model. It runs on a laptop CPU, in real time, and "
    "streams audio as it goes: 80 ms frames at 24 kHz. The model has 117.9 M parameters! "
    "Is that small? Compared with 7B-parameter models, yes. Version 1.1.1 was released in 2025; "
    "it supports voice cloning... with a catch. Dr. Smith and Mr. Jones, Ph.D., disagree."
)

TEXTS = [
    # plain sentences, punctuation at the end or not
    "Hello world.",
    "Hello world",
    "hello world",
    "Hello, this is a test.",
    "The quick brown fox jumps over the lazy dog!",
    "The quick brown fox jumps over the lazy dog",
    "What time is it?",
    "What time is it",
    "Wait -- really?! Yes; really: twice.",
    "Is this the end?!",
    "Well...",
    "Well... I don't know...",
    "Hmm?!?!",
    "...",
    ".",
    "!",
    "?",
    "?!",
    ".!...?",
    "It ends with a comma,",
    "It ends with a colon:",
    "It ends with a dash -",
    "It ends with a quote\"",
    "It ends with a parenthesis (really)",
    "semi;colon,comma.period!bang?question",
    "ALL CAPS SHOUTING HERE",
    "mIxEd CaSe WoRdS",
    # very short: 1 to 4 words, 5 words
    "a",
    "I",
    "x",
    "ok",
    "Yes",
    "yes!",
    "Two words",
    "three words here",
    "four words right here",
    "five words are right here",
    "six words are right here now",
    "1",
    "42",
    "A.",
    # numbers, decimals, abbreviations
    "3.14",
    "Pi is 3.14159 and e is 2.71828.",
    "It costs $1,000,000.50 today",
    "Call 555-0123 at 9:30pm on 2024-05-17",
    "1st 2nd 3rd 4th 21st",
    "100",
    "Dr. Smith met Mr. Jones at 5 p.m. on Jan. 3rd.",
    "Dr. Smith",
    "e.g. this, i.e. that, etc.",
    "U.S.A. and U.K. are countries.",
    "Version 2.0.1 is out. Update now!",
    "The score was 3-2. What a game!",
    # quotes and unicode punctuation
    '"double quoted"',
    "'single quoted'",
    "He said \"it's fine\" and left.",
    "\u201cCurly double quotes\u201d and \u2018curly single\u2019",
    "\u2018tis the season",
    "\u201cHello,\u201d she said. \u201cGoodbye.\u201d",
    "Ellipsis\u2026 and em\u2014dash and en\u2013dash",
    "Wait\u2026",
    "\u2026and then",
    "one\u2014two\u2014three\u2014four\u2014five",
    "\u00abGuillemets\u00bb \u2039single\u203a",
    "\u00bfQu\u00e9 tal? \u00a1Muy bien!",
    "\u00a1Hola!",
    "(parentheses) [brackets] {braces}",
    "#hashtag @mention $dollar %percent",
    "email@example.com and https://kyutai.org/path?q=1&x=2",
    # accents and case mapping of the first code point
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9",
    "\u00e9cole primaire",
    "\u00c9cole primaire",
    "\u00e0 bient\u00f4t, \u00e7a va tr\u00e8s bien",
    "\u00dfe is a word that starts with sharp s",
    "\u00df",
    "\u01c6emal",
    "\u01c5emal titlecase start",
    "\u0149 apostrophe n",
    "\ufb01ne ligature start",
    "\u0131i dotless",
    "\u0250 turned a",
    "cafe\u0301 with a combining accent",
    "\u0301combining mark first",
    "stra\u00dfe",
    "\u00fcber alles",
    "\u03c3\u03bf\u03c6\u03af\u03b1 greek lowercase",
    "\u0440\u0443\u0441\u0441\u043a\u0438\u0439 \u044f\u0437\u044b\u043a",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!",
    "\u0561\u0580\u0587 armenian",
    # non-Latin scripts, CJK
    "\u4f60\u597d\uff0c\u4e16\u754c\u3002",
    "\u4f60\u597d\u4e16\u754c",
    "\u4e00",
    "\u4e09\u4e2a\u4eba",
    "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c",
    "\uc548\ub155\ud558\uc138\uc694",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\u05e9\u05dc\u05d5\u05dd",
    "\u0928\u092e\u0938\u094d\u0924\u0947",
    "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35",
    "\u0663\u0664 arabic digits",
    "\u00bd and \u00b2 and \u2162",
    "\u2160 roman numeral",
    "\uff26\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48 \uff11\uff12\uff13",
    # emoji
    "I love it \U0001F600",
    "\U0001F600",
    "\U0001F600 smile",
    "\U0001F44D\U0001F3FD thumbs up",
    "Family: \U0001F468\u200d\U0001F469\u200d\U0001F467",
    "\u2764\ufe0f love",
    "\U0001F1EB\U0001F1F7",
    # whitespace: newlines, CRLF, tabs, repeated spaces
    "line one\nline two",
    "line one\n\nline two",
    "para one\n\n\npara two\n",
    "\r\nwindows\r\nnewlines\r\n",
    "a\r\rb",
    "tab\tseparated\tvalues",
    "\ttab first",
    " leading space",
    "trailing space ",
    "   several   spaces   between   ",
    "two  spaces",
    "three   spaces",
    "four    spaces",
    "five     spaces and more words here",
    "\u00a0nbsp\u00a0inside\u00a0",
    "\u3000ideographic\u3000space",
    "thin\u2009space and\u2003em space",
    "line\u2028separator",
    "next\u0085line",
    "file\u001cseparator",
    "vertical\u000btab and form\u000cfeed",
    "zero\u200bwidth",
    "\u200b",
    "\ufeff",
    "\u200b\u200b word",
    # empty and whitespace only (errors)
    "",
    " ",
    "\n",
    "\r\n",
    " \t\n ",
    "\u00a0\u3000\u2028",
    "\u001c\u001f",
    # control characters
    "bell\u0007and escape",
    # long, multi-chunk
    LONG_STORY,
    LONG_STORY.lower(),
    LONG_TECH,
    LONG_NO_PUNCT,
    LONG_STORY.replace(". ", ".\n"),
    "Short. " * 30,
    "A! B? C... D. " * 6,
    "\u201cQuoted sentence one.\u201d \u201cQuoted sentence two!\u201d " * 5,
    "\u4f60\u597d\u3002\u4e16\u754c\u3002" * 8,
    "word " * 80,
]


def fake_model(conditioner, frame_rate: float):
    """A stand-in `self` for TTSModel methods: the reference text path, no weights.

    `_generate_audio_stream_short_text` runs the reference `TTSModel._generate`, whose model
    calls only record their arguments.
    """
    calls = []
    model = SimpleNamespace(
        flow_lm=SimpleNamespace(conditioner=conditioner),
        config=SimpleNamespace(mimi=SimpleNamespace(frame_rate=frame_rate)),
        _TOKENS_PER_SECOND_ESTIMATE=TTSModel._TOKENS_PER_SECOND_ESTIMATE,
        _GEN_SECONDS_PADDING=TTSModel._GEN_SECONDS_PADDING,
    )
    model._estimate_max_gen_len = lambda n: TTSModel._estimate_max_gen_len(model, n)
    model._flow_lm_current_end = lambda state: 0
    model._expand_kv_cache = lambda state, sequence_length: None

    def run_flow_lm(model_state, text_tokens):
        calls.append({"tokens": text_tokens[0].tolist()})

    done = queue.Queue()

    def autoregressive(model_state, max_gen_len, frames_after_eos, latents_queue):
        calls[-1].update(max_gen_len=max_gen_len, frames_after_eos=frames_after_eos)
        done.put(None)

    def short_text(model_state, text_to_generate, frames_after_eos, copy_state):
        calls.append({"text": text_to_generate})
        TTSModel._generate(
            model, model_state, text_to_generate, frames_after_eos, queue.Queue(), queue.Queue()
        )
        done.get(timeout=10)  # _generate runs the generation on a thread
        yield from ()

    model._run_flow_lm_and_increment_step = run_flow_lm
    model._autoregressive_generation = autoregressive
    model._generate_audio_stream_short_text = short_text
    return model, calls


def stream_chunks(model, calls, text: str, max_tokens: int) -> list[dict]:
    """The chunks `generate_audio_stream` prompts the model with, as recorded."""
    calls.clear()
    for _ in TTSModel.generate_audio_stream(model, {}, text, max_tokens=max_tokens):
        pass
    # Each chunk recorded {"text"} then {"tokens", "max_gen_len", "frames_after_eos"}.
    assert len(calls) % 2 == 0
    return [
        {
            "text": calls[i]["text"],
            "tokens": calls[i + 1]["tokens"],
            "frames_after_eos": calls[i + 1]["frames_after_eos"],
            "max_gen_len": calls[i + 1]["max_gen_len"],
        }
        for i in range(0, len(calls), 2)
    ]


def error_name(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def fixture(model_path: Path, n_bins: int) -> dict:
    config = load_config(CONFIG)
    conditioner = LUTConditioner(n_bins, str(model_path), dim=4, output_dim=4)
    model, calls = fake_model(conditioner, config.mimi.frame_rate)
    cases = []
    for text in TEXTS:
        case = {"text": text}
        try:
            case["prepared"], case["frames_after_eos_guess"] = prepare_text_prompt(text)
        except ValueError as error:
            case["error"] = error_name(error)
        splits = []
        for max_tokens in MAX_TOKENS:
            split = {"max_tokens": max_tokens}
            try:
                sentences = split_into_best_sentences(conditioner.tokenizer, text, max_tokens)
                split["chunks"] = stream_chunks(model, calls, text, max_tokens)
                # The stream prompts with exactly the split's chunks: stored once.
                assert sentences == [chunk["text"] for chunk in split["chunks"]]
            except ValueError as error:
                split["error"] = error_name(error)
            splits.append(split)
        case["splits"] = splits
        cases.append(case)
    return {
        "generator": "Scripts/reference/make_text_fixture.py",
        "pocket_tts_version": pocket_tts.__version__ if hasattr(pocket_tts, "__version__") else "1.1.1",
        "model": model_path.name,
        "model_sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(),
        "vocab_size": n_bins,
        "frame_rate": config.mimi.frame_rate,
        "end_of_sentence_tokens": conditioner.tokenizer(".!...?").tokens[0].tolist()[1:],
        "cases": cases,
    }


def ranges(predicate) -> list[list[int]]:
    """Inclusive [first, last] code point ranges where `predicate(chr(c))` holds."""
    out = []
    for c in range(0x110000):
        if predicate(chr(c)):
            if out and out[-1][1] == c - 1:
                out[-1][1] = c
            else:
                out.append([c, c])
    return out


def unicode_fixture() -> dict:
    return {
        "generator": "Scripts/reference/make_text_fixture.py",
        "python_version": sys.version.split()[0],
        "unidata_version": unicodedata.unidata_version,
        "isspace": ranges(str.isspace),
        "isupper": ranges(str.isupper),
        "isalnum": ranges(str.isalnum),
        # Code points whose str.upper() differs from themselves: [code point, upper].
        "upper": [[c, chr(c).upper()] for c in range(0x110000)
                  if not 0xD800 <= c < 0xE000 and chr(c).upper() != chr(c)],
    }


def write(data: dict, path: Path) -> None:
    # One line per key, and per case: small, readable diffs.
    compact = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    lines = []
    for key, value in data.items():
        if isinstance(value, list) and len(value) > 8:
            body = ",\n  ".join(compact(v) for v in value)
            lines.append(f'"{key}":[\n  {body}]')
        else:
            lines.append(f'"{key}":{compact(value)}')
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}: {path.stat().st_size} bytes")


def main() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    write(unicode_fixture(), FIXTURES / "python_unicode.json")
    write(fixture(TEST_MODEL, 512), FIXTURES / "test_tokenizer_text.json")
    real = Path(sys.argv[1]) if len(sys.argv) > 1 else REAL_MODEL
    if real.exists():
        write(fixture(real, 4000), FIXTURES / "real_tokenizer_text.json")
    else:
        print(f"{real} not found: real tokenizer fixture not written")


if __name__ == "__main__":
    main()
