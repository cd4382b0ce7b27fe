"""SSML documents for the fuzzer (README "SSML"): valid ones built from the subset (and unknown
tags, entities, comments), and malformed ones (cut, unbalanced, bad entities and attributes, too
deep, too many pieces), each with the outcome it must get: "ok" (the turn ends in final),
"invalid_ssml", or None (a random mutation: either is fine, but nothing else).
"""
import random

WORDS = ["Hello", "big", "world", "the", "river", "was", "calm", "today", "3.14", "42", "é\u0301", "😀", "你好"]
BREAKS = ['<break/>', '<break time="0ms"/>', '<break time="120ms"/>', '<break time="1.5s"/>', '<break strength="x-weak"/>',
          '<break strength="none"/>', '<break strength="x-strong"/>', "<break time='10s'/>"]
RATES = ["x-slow", "slow", "medium", "fast", "x-fast", "default", "25%", "400%", "+20%", "-50%", "1.3"]
SAY_AS = ["characters", "spell-out", "cardinal", "ordinal", "digits", "date", "time", "telephone"]
ENTITIES = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#65;", "&#x1F600;"]


def text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 5))) + rng.choice([".", "", "!", " "])


def content(rng: random.Random, depth: int) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(10 if depth < 6 else 3)
        if choice == 0:
            parts.append(text(rng))
        elif choice == 1:
            parts.append(rng.choice(BREAKS))
        elif choice == 2:
            parts.append(rng.choice(ENTITIES) + text(rng) + rng.choice(["<!-- c -->", ""]))
        elif choice == 3:
            parts.append(f'<prosody rate="{rng.choice(RATES)}">{content(rng, depth + 1)}</prosody>')
        elif choice == 4:
            parts.append(f'<say-as interpret-as="{rng.choice(SAY_AS)}">{rng.choice(["123", "ABC", "2024-05-03", "15:30", "+1 555-0123", "x"])}</say-as>')
        elif choice == 5:
            parts.append(f'<sub alias="{text(rng)}">{text(rng)}</sub>')
        elif choice == 6:
            parts.append(f'<phoneme alphabet="ipa" ph="təˈmeɪtoʊ">{text(rng)}</phoneme>')
        elif choice == 7:
            tag = rng.choice(["p", "s"])
            parts.append(f"<{tag}>{content(rng, depth + 1)}</{tag}>")
        else:
            tag = rng.choice(["emphasis", "amazon:effect", "voice", "mark", "audio", "lang"])
            parts.append(f"<{tag} name=\"x\">{content(rng, depth + 1)}</{tag}>" if rng.random() < 0.8 else f'<{tag} name="y"/>')
    return "".join(parts)


def valid(rng: random.Random) -> str:
    body = content(rng, 0)
    return rng.choice([f"<speak>{body}</speak>", f'<?xml version="1.0"?>\n<speak version="1.1">{body}</speak>', body])


def malformed(rng: random.Random) -> str:
    body = content(rng, 0)
    return rng.choice([
        f"<speak>{body}",                                    # unclosed root
        f"<speak>{body}</p></speak>",                        # closes nothing open
        f"<speak><prosody rate=\"fast\">{body}</speak>",     # unclosed element
        f"<speak>{body} & more</speak>",                     # bare ampersand
        f"<speak>{body}&nbsp;</speak>",                      # unknown entity
        f"<speak>{body}&#xD800;</speak>",                    # a surrogate
        f"<speak>{body}<break time=\"11s\"/></speak>",       # too long a break
        f"<speak>{body}<break time=\"5\"/></speak>",         # no unit
        f"<speak>{body}<prosody rate=\"9000%\">x</prosody></speak>",
        f"<speak>{body}<say-as interpret-as=\"nope\">x</say-as></speak>",
        f"<speak>{body}<sub>x</sub></speak>",
        f"<speak>{body}<break time=1s/></speak>",            # unquoted
        f"<speak>{body} 1 < 2</speak>",                      # a lone <
        f"<speak>{body}</speak> trailing",                   # text after the root
        "<speak>" + "<p>" * 40 + "x" + "</p>" * 40 + "</speak>",  # too deep
        "<speak>" + "a<break/>" * 600 + "</speak>",          # too many pieces
        f"<!DOCTYPE speak><speak>{body}</speak>",
        f"<speak><![CDATA[{body}]]></speak>",
    ])


def mutated(rng: random.Random) -> str:
    data = list(valid(rng))
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(data) + 1)
        op = rng.randrange(3)
        if op == 0 and data:
            del data[i:i + rng.randint(1, 6)]
        elif op == 1:
            data[i:i] = rng.choice(["<", ">", "&", "/", '"', "'", "<speak>", "</s>", "<break", "=", "&#", ";"])
        else:
            data = data[:i]
    return "".join(data)


def document(rng: random.Random) -> tuple[str, str | None]:
    """A document and its outcome: "ok", "invalid_ssml" or None (either)."""
    choice = rng.randrange(5)
    if choice < 2:
        return valid(rng), "ok"
    if choice < 4:
        return malformed(rng), "invalid_ssml"
    return mutated(rng), None


def looks_like_ssml(source: str) -> bool:
    """As the server tells SSML from text on OpenAI's endpoint and /tts: `<speak` first, after
    white space and an XML declaration."""
    text = source.lstrip()
    if text.startswith("<?xml"):
        end = text.find("?>")
        text = text[end + 2:].lstrip() if end >= 0 else text
    return text.startswith("<speak")


def pieces(rng: random.Random, source: str) -> list[str]:
    """`source` cut at random places (text messages of one turn: cuts may fall inside tags)."""
    cuts = sorted(rng.sample(range(len(source) + 1), min(len(source) + 1, rng.randint(0, 3))))
    parts, last = [], 0
    for cut in cuts + [len(source)]:
        parts.append(source[last:cut])
        last = cut
    return [part for part in parts if part] or [source]
