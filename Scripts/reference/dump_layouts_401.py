#!/usr/bin/env python3
"""Dumps `TTSModel.state_dict()` (names, shapes, buffers) of pocket-tts 4.0.1 for every built-in
config (Configs/models/*.yaml, the 27 files of 4.0.1's `pocket_tts/config/`).

Each model is built with `TTSModel._from_pydantic_config_with_weights` without weight files
(ref401_common.build_model). Configs with the same layout share one entry. The output is the
fixture of the Swift layout test (ModelLayout401Tests):

    /opt/ref4-venv/bin/python Scripts/reference/dump_layouts_401.py \
        Tests/PocketTTSTests/Fixtures/layout/layouts_401.json
"""
import argparse
import json
from pathlib import Path

from ref401_common import build_model, config_names, load_yaml


def layout(name: str) -> dict:
    model = build_model(load_yaml(name))
    state = model.state_dict()
    parameters = {n for n, _ in model.named_parameters()}
    return {
        "tensors": [[n, list(t.shape)] for n, t in state.items()],
        "buffers": [n for n in state if n not in parameters],
        "total_elements": sum(t.numel() for t in state.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    args = parser.parse_args()
    groups: list[dict] = []
    for name in config_names():
        entry = layout(name)
        for group in groups:
            if group["layout"] == entry:
                group["configs"].append(name)
                break
        else:
            groups.append({"configs": [name], "layout": entry})
        print(f"{name}: {len(entry['tensors'])} tensors, {entry['total_elements']} elements")
    document = {
        "generator": "Scripts/reference/dump_layouts_401.py (pocket-tts 4.0.1)",
        "layouts": [{"configs": g["configs"], **g["layout"]} for g in groups],
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    # One tensor per line: readable diffs, small file.
    lines = json.dumps(document, indent=1).splitlines()
    Path(args.out).write_text(compact(document) + "\n")
    print(f"{len(groups)} distinct layouts -> {args.out} ({len(lines)} lines before compacting)")


def compact(document: dict) -> str:
    out = ['{', f' "generator": {json.dumps(document["generator"])},', ' "layouts": [']
    for gi, group in enumerate(document["layouts"]):
        out.append("  {")
        out.append(f'   "configs": {json.dumps(group["configs"])},')
        out.append(f'   "total_elements": {group["total_elements"]},')
        out.append(f'   "buffers": {json.dumps(group["buffers"])},')
        out.append('   "tensors": [')
        rows = [f"    {json.dumps(t)}" for t in group["tensors"]]
        out.append(",\n".join(rows))
        out.append("   ]")
        out.append("  }" + ("," if gi + 1 < len(document["layouts"]) else ""))
    out += [" ]", "}"]
    return "\n".join(out)


if __name__ == "__main__":
    main()
