#!/usr/bin/env python3
"""Parity of the Swift tokenizer.json reader with Python `tokenizers` on the *real* Pocket TTS
tokenizer (../shared/assets/tokenizer.model, or $POCKET_TTS_SHARED_ASSETS/tokenizer.model),
converted to tokenizer.json at run time in each way of tokenizer_json_common.CONVERSIONS.

The converted files are copies of a shared file: they go to a scratch folder (--workdir), never
into the repository. For each conversion the script writes NAME.json and NAME.expected.json
(Python's ids and decodes of the test corpus, as make_tokenizer_json_fixtures.py does), then runs
the Swift suite TokenizerJSONSharedAssetTests on that folder and reports its result. It also says,
for information, how often each conversion gives SentencePiece's own ids.

    /opt/tok-venv/bin/python Scripts/reference/check_tokenizer_json.py [--skip-build]

Needs the venv of tokenizer_json_common.py and the Swift toolchain on PATH (or /opt/swift/usr/bin).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import sentencepiece as spm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tokenizer_json_common import CONVERSIONS, components, convert, expected  # noqa: E402
from tokenizer_json_corpus import fuzz_texts, test_corpus  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def shared_model() -> Path | None:
    assets = Path(os.environ.get("POCKET_TTS_SHARED_ASSETS", ROOT.parent / "shared/assets"))
    model = assets / "tokenizer.model"
    return model if model.exists() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pocket-tts-tokenizer-json-check"))
    parser.add_argument("--skip-build", action="store_true", help="the test binary is already built")
    parser.add_argument("--fuzz", type=int, default=0, metavar="N",
                        help="add N random texts to the corpus, and check the committed fixture tokenizers on it too")
    args = parser.parse_args()
    model = shared_model()
    if model is None:
        print("skipped: no shared tokenizer.model (../shared/assets or $POCKET_TTS_SHARED_ASSETS)")
        return 0
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    texts = test_corpus() + fuzz_texts(args.fuzz)
    (args.workdir / "corpus.json").write_text(json.dumps({"texts": texts}, ensure_ascii=False) + "\n", encoding="utf-8")
    sp = spm.SentencePieceProcessor(model_file=str(model))
    reference = [sp.encode(text, out_type=int) for text in texts]
    for method in CONVERSIONS:
        name = f"real_{method}"
        path = args.workdir / f"{name}.json"
        convert(model, method, path)
        result = {"tokenizer": path.name, **expected(path, texts)}
        (args.workdir / f"{name}.expected.json").write_text(json.dumps(result, ensure_ascii=False) + "\n", encoding="utf-8")
        same = sum(a == b for a, b in zip(result["ids"], reference))
        print(f"{name}: {components(path)}")
        print(f"    equals SentencePiece's ids on {same}/{len(texts)} texts")
    if args.fuzz:
        fixtures = ROOT / "Tests/PocketTTSTests/Fixtures/tokenizer_json"
        for path in sorted(fixtures.glob("*.expected.json")):
            name = path.name.removesuffix(".expected.json")
            shutil.copy(fixtures / f"{name}.json", args.workdir / f"{name}.json")
            result = {"tokenizer": f"{name}.json", **expected(args.workdir / f"{name}.json", texts)}
            (args.workdir / path.name).write_text(json.dumps(result, ensure_ascii=False) + "\n", encoding="utf-8")

    env = dict(os.environ, POCKET_TTS_TOKENIZER_JSON_CHECK=str(args.workdir))
    if not shutil.which("swift") and Path("/opt/swift/usr/bin/swift").exists():
        env["PATH"] = "/opt/swift/usr/bin:" + env["PATH"]
    if not args.skip_build:
        subprocess.run(["swift", "build", "--build-tests"], cwd=ROOT, env=env, check=True)
    run = subprocess.run(["swift", "test", "--skip-build", "--filter", "TokenizerJSONSharedAssetTests"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    output = run.stdout + run.stderr
    for line in output.splitlines():
        if "TokenizerJSONSharedAsset" in line or "issue" in line.lower() or "passed" in line or "failed" in line:
            print("swift:", line)
    print(f"{len(CONVERSIONS)} conversions of {model} x {len(texts)} texts:",
          "Swift equals Python tokenizers" if run.returncode == 0 else "MISMATCH (see above)")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
