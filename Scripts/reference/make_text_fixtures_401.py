#!/usr/bin/env python3
"""Writes the text-pipeline parity fixtures of pocket-tts 4.0.1 that the Swift tests compare against.

Runs the REFERENCE code of pocket-tts 4.0.1 (`pocket_tts/models/text_chunking.py` and
`TTSModel.generate_audio_stream` in `models/tts_model.py`) for the text options of every config
among the 27 built-in ones (`pocket_tts/config/*.yaml`), configs with identical options grouped,
plus two made-up groups that reach the options no shipped config sets (`defaults`: a config with
no text keys, as the tests' tiny.yaml; `custom`: capitalization and terminal punctuation off,
padding and semicolons on, a multi-character replacement, `model_recommended_frames_after_eos`).
For every corpus text and group:
  - `prepare_text_prompt(text, ...)`: prepared text and frames-after-EOS guess (or the error);
  - `TTSModel.generate_audio_stream` itself, on a stand-in `self` with no weights, for each
    max_tokens: the chunks of `split_into_best_sentences`, then per chunk the text the model is
    prompted with (the chunk prepared again), its token ids (`conditioner.prepare`, the
    reference's own), `frames_after_eos` and `max_gen_len` (`_estimate_max_gen_len`) as the
    reference passes them on (or the error it raises).
Groups giving the same result for a text share one entry (`results[].groups`).
It also runs the reference `_autoregressive_generation` on made-up EOS flags (`eos_cases`): how
many frames it emits for a max_gen_len and frames_after_eos (EOS ignored on the first
`_MIN_FRAMES_BEFORE_EOS` frames), and writes Python's `str` predicates over all code points
(`python_unicode.json`: isspace, isupper, isalnum, isdigit, upper) for the Swift helpers.

Run from anywhere (paths are relative to the repository), after train_multilingual_tokenizer.py:

    /opt/ref4-venv/bin/python Scripts/reference/make_text_fixtures_401.py [path/to/real/tokenizer.model]

Writes Tests/PocketTTSTests/Fixtures/text/text_401_multilingual.json (the committed 1000-piece
multilingual test model) and python_unicode.json; when ../shared/assets/tokenizer.model exists,
also text_401_real_tokenizer.json (our texts and ids only, no content of the model file).
Deterministic: two runs give identical files.
"""
import hashlib
import json
import queue
import sys
import threading
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import torch

import pocket_tts
from pocket_tts.default_parameters import MAX_TOKEN_PER_CHUNK
from pocket_tts.models.text_chunking import prepare_text_prompt, split_into_best_sentences
from pocket_tts.models.tts_model import TTSModel
from pocket_tts.modules.text_conditioner import LUTConditioner
from pocket_tts.utils.config import load_config

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests/PocketTTSTests/Fixtures/text"
MULTILINGUAL_MODEL = ROOT / "Tests/PocketTTSTests/Fixtures/tokenizer/multilingual_test_tokenizer.model"
REAL_MODEL = ROOT.parent / "shared/assets/tokenizer.model"
CONFIGS = Path(pocket_tts.__file__).parent / "config"
MAX_TOKENS = [MAX_TOKEN_PER_CHUNK, 16]
REAL_GROUPS = ["english_2026-01", "english"]
TEXT_KEYS = ["pad_with_spaces_for_short_inputs", "remove_semicolons", "append_terminal_punctuation",
             "capitalize_first_letter", "replace_characters", "model_recommended_frames_after_eos"]
CUSTOM = {
    "pad_with_spaces_for_short_inputs": True,
    "remove_semicolons": True,
    "append_terminal_punctuation": False,
    "capitalize_first_letter": False,
    "replace_characters": {"«": "<<", "»": ">>", "\u2026": "...", "\u00a0": " ", ";": "; ", "&": " and "},
    "model_recommended_frames_after_eos": 4,
}

EN_LONG = (
    "Once upon a time, in a small village by the sea, there lived an old fisherman named Tom, who "
    "rose before dawn every morning, mended his nets with great care, rowed out past the lighthouse, "
    "and came back at noon with a basket full of silver fish, singing the songs his father had "
    "taught him, while the gulls circled overhead and the children ran along the pier to greet him."
)
FR_LONG = (
    "Il était une fois, dans un petit village au bord de la mer, un vieux pêcheur nommé Paul, qui se "
    "levait avant l'aube, réparait ses filets avec soin, ramait jusqu'au phare, et rentrait à midi "
    "avec un panier plein de poissons, en chantant les chansons que son père lui avait apprises, "
    "pendant que les mouettes tournaient au-dessus de lui et que les enfants couraient sur le quai."
)
DE_LONG = (
    "Es war einmal, in einem kleinen Dorf am Meer, ein alter Fischer namens Hans, der jeden Morgen "
    "vor der Dämmerung aufstand, seine Netze sorgfältig flickte, bis zum Leuchtturm hinausruderte, "
    "und mittags mit einem Korb voller Fische zurückkam, während er die Lieder sang, die ihm sein "
    "Vater beigebracht hatte, und die Möwen über ihm kreisten; die Kinder liefen ihm entgegen."
)
ES_LONG = (
    "Había una vez, en un pequeño pueblo junto al mar, un viejo pescador llamado Juan, que se "
    "levantaba antes del amanecer, remendaba sus redes con cuidado, remaba hasta el faro, y volvía "
    "al mediodía con una cesta llena de peces, cantando las canciones que su padre le había "
    "enseñado, mientras las gaviotas volaban sobre él y los niños corrían por el muelle."
)
IT_LONG = (
    "C'era una volta, in un piccolo villaggio sul mare, un vecchio pescatore di nome Marco, che si "
    "alzava prima dell'alba, riparava le reti con cura, remava fino al faro, e tornava a mezzogiorno "
    "con un cesto pieno di pesci, cantando le canzoni che suo padre gli aveva insegnato, mentre i "
    "gabbiani volavano sopra di lui e i bambini correvano lungo il molo."
)
PT_LONG = (
    "Era uma vez, numa pequena aldeia à beira-mar, um velho pescador chamado João, que se levantava "
    "antes do amanhecer, remendava as redes com cuidado, remava até ao farol, e voltava ao meio-dia "
    "com um cesto cheio de peixes, cantando as canções que o pai lhe tinha ensinado, enquanto as "
    "gaivotas voavam por cima dele e as crianças corriam pelo cais."
)
NL_LONG = (
    "Er was eens, in een klein dorp aan zee, een oude visser die Jan heette, die elke ochtend voor "
    "zonsopgang opstond, zijn netten zorgvuldig herstelde, naar de vuurtoren roeide, en om twaalf "
    "uur terugkwam met een mand vol vis, terwijl hij de liedjes zong die zijn vader hem had geleerd, "
    "en de meeuwen boven hem cirkelden: de kinderen renden hem tegemoet."
)
EN_STORY = (
    "Once upon a time, in a small village by the sea, there lived an old fisherman named Tom. "
    "Every morning he rose before dawn, mended his nets, and rowed out past the lighthouse. "
    "The villagers said he talked to the gulls; he said the gulls talked back! "
    "Was it true? Nobody knew... but on stormy nights, his lamp burned until morning. "
    "One day, a stranger arrived with a map, a compass, and 3.5 kilograms of gold coins. "
    "\"I need a boat,\" she said. \"And a captain who isn't afraid of the dark.\" "
    "Tom looked at her for a long time. Then he nodded, and they left at 6 p.m. sharp."
)
FR_STORY = (
    "« Bonjour ! » dit-elle en entrant. « Il fait beau aujourd'hui, n'est-ce pas ? » "
    "Le vieil homme leva les yeux : il avait 3,5 kilos de pommes dans son panier… et un chat sur "
    "l'épaule. « Asseyez-vous ; le café est prêt », répondit-il. Elle sourit — puis elle s'assit."
)
DE_STORY = (
    "„Guten Morgen!“, sagte sie. „Wie geht es Ihnen?“ Er antwortete nicht sofort; er las die "
    "Zeitung. Der Kaffee kostete 3,50 Euro – das war teuer! Um 7.30 Uhr fuhr der Zug ab… "
    "„Kommen Sie mit?“, fragte er schließlich. „Ja“, sagte sie: „gern.“"
)
ES_STORY = (
    "¿Dónde estás? ¡Te estoy buscando! «No lo sé», respondió él. El tren sale a las 3.5 horas; "
    "la entrada cuesta 12,50 euros — más o menos. Después, todos fueron a la playa… y nadie volvió "
    "antes de la cena: hacía demasiado calor."
)
IT_STORY = (
    "«Buongiorno!» disse lei. «Come sta?» Lui rispose: «Bene, grazie; e lei?» Il caffè costava "
    "1,20 euro — un affare. Poi uscirono insieme… e la pioggia cominciò a cadere (come sempre)."
)
PT_STORY = (
    "«Bom dia!», disse ela. “Como está?” Ele respondeu: “Bem, obrigado; e você?” O pão custava "
    "0,85 euros – barato. Depois saíram juntos… e começou a chover [outra vez]."
)
NL_STORY = (
    "„Goedemorgen!”, zei ze. “Hoe gaat het?” Hij antwoordde: ‘Goed, dank je; en met jou?’ De koffie "
    "kostte 2,75 euro – niet duur. Daarna gingen ze samen naar buiten… en het begon te regenen."
)

TEXTS = [
    # --- English: plain, punctuation at the end or not
    "Hello world.",
    "Hello world",
    "hello world",
    "Hello, this is a test.",
    "The quick brown fox jumps over the lazy dog",
    "What time is it?",
    "Is this the end?!",
    "Well...",
    "Well... I don't know...",
    "Wait\u2026",
    "\u2026and then",
    "...",
    ".",
    "?!",
    ".!...?",
    # trailing weak punctuation, closers
    "It ends with a comma,",
    "It ends with a colon:",
    "It ends with a semicolon;",
    "It ends with a dash -",
    "It ends with an en dash \u2013",
    "It ends with an em dash\u2014",
    "It ends with several ,;: -",
    "It ends with a quote\"",
    "He said \"hello.\"",
    "He said \"hello,\"",
    "He said \u201chello\u201d",
    "He said \u201chello,\u201d",
    "She asked \u2018why?\u2019",
    "It ends with a parenthesis (really)",
    "It ends with a parenthesis (really.)",
    "A list [one, two, three]",
    "A list [one, two, three,]",
    "Nested (quotes \"inside\")",
    "Closers then space ) ]",
    "\"Hi?\", she said",
    "\"Hi!\" ; he replied : fine",
    "Really?, yes.",
    "Wow!: amazing",
    "End\u2026, then more",
    ",",
    "-",
    "\u2014",
    "\"\"",
    "( )",
    "\u00ab\u00bb",
    # semicolons and colons inside
    "semi;colon,comma.period!bang?question",
    "First part; second part: third part, fourth part.",
    "Wait -- really?! Yes; really: twice.",
    "Note: this is important; read it twice.",
    # decimals and numbers
    "3.5",
    "It weighs 3.5 kilograms.",
    "Pi is 3.14159 and e is 2.71828.",
    "Version 2.0.1 is out. Update now!",
    "The price rose 4. 5 people noticed.",
    "Chapter 3. 5 pages later, it ended.",
    "It costs $1,000,000.50 today",
    "The score was 3-2. What a game!",
    "Call 555-0123 at 9:30pm on 2024-05-17",
    "Dr. Smith met Mr. Jones at 5 p.m. on Jan. 3rd.",
    "U.S.A. and U.K. are countries.",
    "Values: 0.5, 1.5, 2.5; total 4.5.",
    "1.",
    "42",
    "2.5.",
    # short inputs: 1 to 5 words
    "a",
    "I",
    "ok",
    "yes!",
    "Two words",
    "three words here",
    "four words right here",
    "five words are right here",
    "six words are right here now",
    # case
    "ALL CAPS SHOUTING HERE",
    "mIxEd CaSe WoRdS",
    "\u00e9cole primaire",
    "\u00dfe is a word that starts with sharp s",
    "\u00df",
    "\u01c6emal",
    "\u01c5emal titlecase start",
    "\u0149 apostrophe n",
    "\ufb01ne ligature start",
    "cafe\u0301 with a combining accent",
    "cafe\u0301",
    "\u0301combining mark first",
    # whitespace: newlines, CRLF, tabs, repeated spaces, unicode spaces
    "line one\nline two",
    "line one\n\nline two",
    "para one.\n\n\npara two\n",
    "\r\nwindows\r\nnewlines\r\n",
    "a\r\rb",
    "tab\tseparated\tvalues",
    "   several   spaces   between   ",
    "two  spaces",
    "three   spaces",
    "five     spaces and more words here",
    "\u00a0nbsp\u00a0inside\u00a0",
    "\u3000ideographic\u3000space",
    "line\u2028separator",
    "next\u0085line",
    "file\u001cseparator",
    "zero\u200bwidth",
    "\u200b",
    # other scripts, emoji
    "I love it \U0001F600",
    "\U0001F600",
    "ok \U0001F44D\U0001F3FD",
    "\u4f60\u597d\uff0c\u4e16\u754c\u3002",
    "\u4f60\u597d\u4e16\u754c",
    "\u0440\u0443\u0441\u0441\u043a\u0438\u0439 \u044f\u0437\u044b\u043a",
    "\u00bd and \u00b2 and \u2162",
    # empty and whitespace only (errors)
    "",
    " ",
    "\r\n",
    "\u00a0\u3000\u2028",
    "\u001c\u001f",
    # --- French
    "Bonjour le monde.",
    "bonjour",
    "\u00ab Bonjour ! \u00bb",
    "\u00abBonjour\u00bb, dit-il.",
    "Il a dit : \u00ab oui \u00bb.",
    "Il a dit : \u00ab oui \u00bb",
    "Qu'est-ce que c'est ?",
    "Attention : le train part \u00e0 7 h 30 ; soyez \u00e0 l'heure !",
    "Le prix est de 3,5 euros.",
    "Le prix est de 3.5 euros. Merci.",
    "\u00c9t\u00e9 comme hiver, il pleut\u2026",
    "\u00e0 bient\u00f4t, \u00e7a va tr\u00e8s bien",
    "\u0153uvre compl\u00e8te",
    "C\u2019est l\u2019\u00e9t\u00e9 \u2013 enfin !",
    "Les enfants (et les parents) sont venus.",
    "Il faut acheter : du pain, du lait, des \u0153ufs,",
    "Voil\u00e0 \u2014 c\u2019est fini",
    "\u201cGuillemets anglais\u201d et \u00ab fran\u00e7ais \u00bb",
    "Premi\u00e8re ligne\nDeuxi\u00e8me ligne",
    FR_LONG,
    FR_STORY,
    # --- German
    "Guten Tag.",
    "guten Morgen",
    "\u00fcber alles",
    "\u201eHallo\u201c, sagte er.",
    "\u201eWie geht es dir?\u201c",
    "Das kostet 3,50 Euro \u2013 oder 3.5 Dollar.",
    "Stra\u00dfe und Gr\u00fc\u00dfe; sch\u00f6n!",
    "Achtung: Der Zug f\u00e4hrt um 7.30 Uhr ab",
    "Er sagte \u201aja\u2018 und ging.",
    "Das M\u00e4dchen (zehn Jahre alt) liest.",
    "Erstens, zweitens; drittens:",
    DE_LONG,
    DE_STORY,
    # --- Spanish
    "Hola mundo.",
    "\u00bfQu\u00e9 tal? \u00a1Muy bien!",
    "\u00a1Hola!",
    "\u00bfD\u00f3nde est\u00e1s",
    "\u00abNo lo s\u00e9\u00bb, respondi\u00f3.",
    "Cuesta 12,50 euros; es caro.",
    "El ni\u00f1o \u2014 muy cansado \u2014 durmi\u00f3.",
    "Son las 3.5 horas\u2026",
    "Compra: pan, leche, huevos,",
    "se\u00f1or Garc\u00eda",
    ES_LONG,
    ES_STORY,
    # --- Italian
    "Buongiorno a tutti.",
    "\u00abCome stai?\u00bb chiese lei.",
    "Perch\u00e9 no?",
    "Il caff\u00e8 costa 1,20 euro; l\u2019acqua 0.5.",
    "C\u2019era una volta \u2013 tanto tempo fa \u2013 un re",
    "\u00e8 vero",
    "Universit\u00e0 di Roma (La Sapienza)",
    IT_LONG,
    IT_STORY,
    # --- Portuguese
    "Bom dia.",
    "\u201cOl\u00e1\u201d, disse ela.",
    "\u00abBom dia!\u00bb",
    "S\u00e3o 3,5 quil\u00f3metros \u2013 n\u00e3o mais.",
    "Voc\u00ea vem? Sim; amanh\u00e3.",
    "a\u00e7\u00e3o e cora\u00e7\u00e3o",
    "O p\u00e3o [fresco] custa 0,85 euros",
    PT_LONG,
    PT_STORY,
    # --- Dutch
    "Goedemorgen.",
    "\u2018Hallo\u2019, zei hij.",
    "\u201eGoedemorgen!\u201d",
    "Het kost 2,75 euro \u2013 niet duur.",
    "IJs en zee\u00ebn; caf\u00e9 of thee?",
    "\u2019s Morgens drinkt hij koffie",
    "De kinderen (en de honden) spelen buiten:",
    NL_LONG,
    NL_STORY,
    # --- long, multi-chunk
    EN_LONG,
    EN_STORY,
    EN_STORY.lower(),
    EN_STORY.replace(". ", ".\n"),
    "Short. " * 20,
    "A! B? C... D. " * 4,
    "\u201cQuoted sentence one.\u201d \u201cQuoted sentence two!\u201d " * 3,
    "word " * 60,
    ", ".join(["one more clause"] * 20),
    "; ".join(["un autre morceau"] * 12) + ".",
    ": ".join(["ein weiterer Teil"] * 12),
    "Numbers 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5, 13.5, 14.5 and 15.5 in a row.",
    "Lists: " + ", ".join(f"item {i}" for i in range(1, 30)) + ".",
]


def load_group_configs():
    """Configs by name, grouped by identical text options (and frame rate)."""
    groups = {}
    for path in sorted(CONFIGS.glob("*.yaml")):
        config = load_config(path)
        options = {key: getattr(config, key) for key in TEXT_KEYS}
        key = json.dumps([options, config.mimi.frame_rate], sort_keys=True, ensure_ascii=False)
        groups.setdefault(key, []).append((path.stem, config))
    out = []
    for members in groups.values():
        names = [name for name, _ in members]
        name = names[0] if len(names) == 1 else sorted(names, key=len)[0]
        out.append({"name": name, "configs": names, "config": members[0][1]})
    base = load_config(CONFIGS / "english.yaml")
    defaults = base.model_copy(update={key: type(base).model_fields[key].default for key in TEXT_KEYS})
    defaults = defaults.model_copy(update={"replace_characters": {}})
    out.append({"name": "defaults", "configs": [], "config": defaults})
    out.append({"name": "custom", "configs": [], "config": base.model_copy(update=CUSTOM)})
    return out


def options_of(config) -> dict:
    return {
        "pad_with_spaces_for_short_inputs": config.pad_with_spaces_for_short_inputs,
        "remove_semicolons": config.remove_semicolons,
        "append_terminal_punctuation": config.append_terminal_punctuation,
        "capitalize_first_letter": config.capitalize_first_letter,
        "replace_characters": dict(sorted(config.replace_characters.items())),
    }


def fake_model(config, conditioner):
    """A stand-in `self` for `TTSModel.generate_audio_stream`: the reference text path, no weights.

    Its `_generate_audio_stream_short_text` does what the reference's does before generating
    (`conditioner.prepare`, `_estimate_max_gen_len`) and records it.
    """
    calls = []
    model = SimpleNamespace(
        flow_lm=SimpleNamespace(conditioner=conditioner),
        config=config,
        pad_with_spaces_for_short_inputs=config.pad_with_spaces_for_short_inputs,
        model_recommended_frames_after_eos=config.model_recommended_frames_after_eos,
        remove_semicolons=config.remove_semicolons,
        append_terminal_punctuation=config.append_terminal_punctuation,
        capitalize_first_letter=config.capitalize_first_letter,
        replace_characters=config.replace_characters or {},
        _TOKENS_PER_SECOND_ESTIMATE=TTSModel._TOKENS_PER_SECOND_ESTIMATE,
        _GEN_SECONDS_PADDING=TTSModel._GEN_SECONDS_PADDING,
    )

    def short_text(model_state, text_to_generate, frames_after_eos, copy_state, stop):
        prepared = conditioner.prepare(text_to_generate)
        token_count = prepared.shape[1]
        calls.append({
            "text": text_to_generate,
            "tokens": prepared[0].tolist(),
            "frames_after_eos": frames_after_eos,
            "max_gen_len": TTSModel._estimate_max_gen_len(model, token_count),
        })
        yield from ()

    model._generate_audio_stream_short_text = short_text
    return model, calls


def error_name(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def group_result(model, calls, tokenizer, config, text: str) -> dict:
    """What one group's config does with `text`: prepare, and per max_tokens the chunks."""
    options = options_of(config)
    result = {}
    try:
        result["prepared"], result["frames_after_eos_guess"] = prepare_text_prompt(
            text, options["pad_with_spaces_for_short_inputs"], options["remove_semicolons"],
            options["append_terminal_punctuation"], options["capitalize_first_letter"],
            options["replace_characters"])
    except ValueError as error:
        result["error"] = error_name(error)
    splits = []
    for max_tokens in MAX_TOKENS:
        split = {}
        try:
            sentences = split_into_best_sentences(
                tokenizer, text, max_tokens, options["pad_with_spaces_for_short_inputs"],
                options["remove_semicolons"], options["append_terminal_punctuation"],
                options["capitalize_first_letter"], options["replace_characters"])
            calls.clear()
            try:
                for _ in TTSModel.generate_audio_stream(model, {}, text, max_tokens=max_tokens):
                    pass
                assert len(calls) == len(sentences)
                split["chunks"] = list(calls)
            except ValueError as error:
                split["chunks_error"] = error_name(error)
            # Stored only where the prompted texts differ from the split's (prepared again).
            if [call["text"] for call in split.get("chunks", [])] != sentences:
                split["sentences"] = sentences
        except ValueError as error:
            split["error"] = error_name(error)
        same = next((s for s in splits if {k: v for k, v in s.items() if k != "max_tokens"} == split), None)
        if same is not None:
            same["max_tokens"].append(max_tokens)
        else:
            splits.append({"max_tokens": [max_tokens], **split})
    result["splits"] = splits
    return result


def eos_cases() -> list[dict]:
    """The reference frame loop (`_autoregressive_generation`) on made-up EOS flags."""
    patterns = {
        "never": [],
        "from_0": list(range(40)),
        "only_2": [2],
        "from_3": list(range(3, 40)),
        "only_5": [5],
        "only_6": [6],
        "from_6": list(range(6, 40)),
        "at_1_and_9": [1, 9],
        "from_12": list(range(12, 40)),
    }
    cases = []
    for name, eos_steps in patterns.items():
        for max_gen_len in [4, 8, 30]:
            for frames_after_eos in [0, 1, 3, 5]:
                step = {"n": 0}
                model = SimpleNamespace(
                    flow_lm=SimpleNamespace(ldim=2, dtype=torch.float32,
                                            parameters=lambda: iter([torch.zeros(1)])),
                    _MIN_FRAMES_BEFORE_EOS=TTSModel._MIN_FRAMES_BEFORE_EOS,
                )

                def run(model_state, backbone_input_latents, step=step, eos_steps=eos_steps):
                    i = step["n"]
                    step["n"] += 1
                    return torch.full((1, 1, 2), float(i)), torch.tensor([i in eos_steps])

                model._run_flow_lm_and_increment_step = run
                latents = queue.Queue()
                TTSModel._autoregressive_generation(model, {}, max_gen_len, frames_after_eos, latents,
                                                    threading.Event())
                emitted = 0
                while latents.get() is not None:
                    emitted += 1
                cases.append({"eos_steps": [s for s in eos_steps if s < max_gen_len], "max_gen_len": max_gen_len,
                              "frames_after_eos": frames_after_eos, "frames_emitted": emitted})
    return cases


def fixture(model_path: Path, n_bins: int, only: list[str] | None = None) -> dict:
    groups = [g for g in load_group_configs() if only is None or g["name"] in only]
    conditioner = LUTConditioner(n_bins, str(model_path), dim=4, output_dim=4, tokenizer="sentencepiece")
    tokenizer = conditioner.tokenizer
    models = [fake_model(group["config"], conditioner) for group in groups]
    cases = []
    for text in TEXTS:
        results = []
        for group, (model, calls) in zip(groups, models):
            result = group_result(model, calls, tokenizer, group["config"], text)
            for entry in results:
                if entry["result"] == result:
                    entry["groups"].append(group["name"])
                    break
            else:
                results.append({"groups": [group["name"]], "result": result})
        # Each distinct chunk once per text (`chunk_table`); splits list their chunks' indices.
        table = []
        for entry in results:
            for split in entry["result"]["splits"]:
                if "chunks" in split:
                    indices = []
                    for chunk in split["chunks"]:
                        if chunk not in table:
                            table.append(chunk)
                        indices.append(table.index(chunk))
                    split["chunks"] = indices
        cases.append({"text": text, "chunk_table": table,
                      "results": [{"groups": r["groups"], **r["result"]} for r in results]})
    return {
        "generator": "Scripts/reference/make_text_fixtures_401.py",
        "pocket_tts_version": "4.0.1",
        "model": model_path.name,
        "model_sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(),
        "vocab_size": n_bins,
        "min_frames_before_eos": TTSModel._MIN_FRAMES_BEFORE_EOS,
        "end_of_sentence_tokens": tokenizer(".!...?")[0].tolist()[1:],
        "fallback_tokens": tokenizer(",;:")[0].tolist()[1:],
        "groups": [
            {"name": g["name"], "configs": g["configs"], "options": options_of(g["config"]),
             "model_recommended_frames_after_eos": g["config"].model_recommended_frames_after_eos,
             "frame_rate": g["config"].mimi.frame_rate}
            for g in groups
        ],
        "eos_cases": eos_cases(),
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
        "generator": "Scripts/reference/make_text_fixtures_401.py",
        "python_version": sys.version.split()[0],
        "unidata_version": unicodedata.unidata_version,
        "isspace": ranges(str.isspace),
        "isupper": ranges(str.isupper),
        "isalnum": ranges(str.isalnum),
        "isdigit": ranges(str.isdigit),
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
    assert len(TEXTS) == len(set(TEXTS)), "duplicate corpus texts"
    FIXTURES.mkdir(parents=True, exist_ok=True)
    write(unicode_fixture(), FIXTURES / "python_unicode.json")
    write(fixture(MULTILINGUAL_MODEL, 1000), FIXTURES / "text_401_multilingual.json")
    real = Path(sys.argv[1]) if len(sys.argv) > 1 else REAL_MODEL
    if real.exists():
        # The English model's tokenizer: the English groups only (with and without padding).
        write(fixture(real, 4000, only=REAL_GROUPS), FIXTURES / "text_401_real_tokenizer.json")
    else:
        print(f"{real} not found: real tokenizer fixture not written")


if __name__ == "__main__":
    main()
