#!/usr/bin/env python3
"""Agreement of the Swift text normalizer's number words with `num2words` (PyPI).

Not run by CI. Feeds number cases both sides handle through `pocket-tts normalize` and compares
each line with num2words (lang "en"):

  cardinal  "1,234"   (thousands separators: a bare 4-digit number may be read as a year)
  negative  "-42"
  decimal   "3.14"    (num2words of the Decimal, so "point one four")
  ordinal   "21st"    (num2words to="ordinal")
  year      "in 1984" (num2words to="year"; the leading "in " is dropped from our output)

Two rates per kind: exact (the strings are equal) and same words (after lower-casing and
dropping "and", commas and hyphens, the British "one hundred and one" and the American "one
hundred one" agree). Differences are printed (the first few of each kind).

    python3 -m venv /tmp/num2words-venv && /tmp/num2words-venv/bin/pip install num2words
    swift build --product pocket-tts
    /tmp/num2words-venv/bin/python Scripts/reference/check_number_words.py [--binary .build/debug/pocket-tts]
"""
import argparse
import random
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from num2words import num2words


def cases(seed=13):
    """(kind, our input, num2words output, prefix to drop from our output)."""
    rng = random.Random(seed)
    out = []
    cardinals = list(range(0, 1001)) + [rng.randrange(10**k, 10**(k + 1)) for k in range(3, 15) for _ in range(40)]
    for n in cardinals:
        out.append(("cardinal", f"{n:,}", num2words(n), ""))
    for n in [rng.randrange(1, 10**6) for _ in range(200)]:
        out.append(("negative", f"-{n}", num2words(-n), ""))
    for _ in range(300):
        text = f"{rng.randrange(0, 10**rng.randrange(1, 7))}.{rng.randrange(0, 1000):0{rng.randrange(1, 4)}d}"
        out.append(("decimal", text, num2words(Decimal(text)), ""))
    ordinals = list(range(1, 201)) + [rng.randrange(200, 10**9) for _ in range(300)]
    for n in ordinals:
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        out.append(("ordinal", f"{n:,}{suffix}", num2words(n, to="ordinal"), ""))
    for year in list(range(1000, 2100)):
        out.append(("year", f"in {year}", num2words(year, to="year"), "in "))
    return out


def same_words(text):
    text = text.lower().replace("-", " ").replace(",", " ")
    return [word for word in text.split() if word != "and"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = Path(__file__).resolve().parents[2]
    parser.add_argument("--binary", default=str(root / ".build/debug/pocket-tts"))
    parser.add_argument("--show", type=int, default=8, help="differences printed per kind")
    args = parser.parse_args()

    all_cases = cases()
    text = "\n".join(case[1] for case in all_cases) + "\n"
    result = subprocess.run([args.binary, "normalize", "--text", "-"], input=text, capture_output=True, text=True, check=True)
    ours = result.stdout.split("\n")[:-1]
    assert len(ours) == len(all_cases), (len(ours), len(all_cases))

    kinds = {}
    for (kind, written, theirs, prefix), mine in zip(all_cases, ours):
        mine = mine[len(prefix):] if mine.startswith(prefix) else mine
        stats = kinds.setdefault(kind, {"n": 0, "exact": 0, "words": 0, "diffs": []})
        stats["n"] += 1
        stats["exact"] += mine == theirs
        if same_words(mine) == same_words(theirs):
            stats["words"] += 1
        else:
            stats["diffs"].append((written, mine, theirs))

    total = {"n": 0, "exact": 0, "words": 0}
    print(f"{'kind':10} {'cases':>6} {'exact':>8} {'same words':>11}")
    for kind, stats in kinds.items():
        for key in total:
            total[key] += stats[key]
        print(f"{kind:10} {stats['n']:6} {stats['exact'] / stats['n']:8.1%} {stats['words'] / stats['n']:11.1%}")
    print(f"{'all':10} {total['n']:6} {total['exact'] / total['n']:8.1%} {total['words'] / total['n']:11.1%}")
    for kind, stats in kinds.items():
        for written, mine, theirs in stats["diffs"][: args.show]:
            print(f"  {kind}: {written!r}: ours {mine!r}, num2words {theirs!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
