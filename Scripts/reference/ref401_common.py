"""Shared helpers of the pocket-tts 4.0.1 fixture scripts (run with /opt/ref4-venv/bin/python).

Builds `TTSModel` from a config the way `TTSModel.load_model` does, with every weights path
removed (nothing is downloaded) and the tokenizer replaced by a stand-in: the reference only
reads the tokenizer to check `n_bins`, and the layout and the FlowLM's arithmetic do not
depend on it.
"""
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "Configs" / "models"


class StandInTokenizer:
    """Takes the place of the SentencePiece / tokenizer.json reader (never called)."""

    def __init__(self, nbins: int) -> None:
        self.nbins = nbins


def build_model(config_dict: dict, temp: float = 0.0, sampler_decode_steps: int = 1):
    """`TTSModel._from_pydantic_config_with_weights` on `config_dict` without any weights file."""
    import pocket_tts.modules.text_conditioner as text_conditioner
    from pocket_tts.models.tts_model import TTSModel
    from pocket_tts.utils.config import Config

    text_conditioner.build_tokenizer = lambda nbins, path, kind="sentencepiece": StandInTokenizer(nbins)
    config = Config(**config_dict)
    config.weights_path = None
    config.weights_path_without_voice_cloning = None
    config.flow_lm.weights_path = None
    config.mimi.weights_path = None
    model = TTSModel._from_pydantic_config_with_weights(
        config, temp=temp, sampler_decode_steps=sampler_decode_steps, noise_clamp=None, eos_threshold=-4.0
    )
    model.eval()
    return model


def load_yaml(name: str) -> dict:
    import yaml

    return yaml.safe_load((CONFIG_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def config_names() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


torch.set_grad_enabled(False)
