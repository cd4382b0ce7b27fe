#!/usr/bin/env python3
"""Dumps the `mimi.*` part of pocket-tts 4.0.1's `TTSModel.state_dict()` for each of its 27 configs.

The Mimi model is built from each config in the package (`pocket_tts/config/*.yaml`) with
`build_mimi(config.mimi)`, as `TTSModel` builds it; its `state_dict()` keys (prefixed "mimi.")
and shapes, in order, are written. So is the `mimi:` section of the layout test's variant config
(Tests/PocketTTSTests/Fixtures/layout/variant.yaml: input/output projections in the transformers,
several output dimensions), as "variant". Distinct layouts are stored once:

    {"layouts": {"<id>": [[name, shape], ...]}, "configs": {"<config name>": "<id>"}}

The Swift test (MimiLayoutTests) checks `ModelLayout.tensors(for:)`'s mimi part against it:

    /opt/ref4-venv/bin/python Scripts/reference/dump_layout_401_mimi.py \
        Tests/PocketTTSTests/Fixtures/reference401/mimi_layout.json

Needs `pip install pocket-tts==4.0.1`. Deterministic (no weights are initialised randomly
in a way that matters: only names and shapes are written).
"""
import hashlib
import json
import sys
from pathlib import Path

import yaml

import pocket_tts
from pocket_tts.models.mimi import build_mimi
from pocket_tts.utils.config import MimiConfig, load_config

REPO = Path(__file__).resolve().parents[2]
VARIANT = REPO / "Tests/PocketTTSTests/Fixtures/layout/variant.yaml"


def main(output: str) -> None:
    config_dir = Path(pocket_tts.__file__).parent / "config"
    layouts: dict[str, list] = {}
    configs: dict[str, str] = {}
    mimi_configs = {path.stem: load_config(path).mimi for path in sorted(config_dir.glob("*.yaml"))}
    mimi_configs["variant"] = MimiConfig(**yaml.safe_load(VARIANT.read_text())["mimi"])
    for name, config in mimi_configs.items():
        mimi = build_mimi(config)
        entries = [[f"mimi.{key}", list(t.shape)] for key, t in mimi.state_dict().items()]
        key = hashlib.sha256(json.dumps(entries).encode()).hexdigest()[:12]
        layouts.setdefault(key, entries)
        configs[name] = key
    Path(output).write_text(json.dumps({"layouts": layouts, "configs": configs}, indent=None) + "\n")
    print(f"{len(configs)} configs (variant included), {len(layouts)} distinct Mimi layouts -> {output}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/PocketTTSTests/Fixtures/reference401/mimi_layout.json")
