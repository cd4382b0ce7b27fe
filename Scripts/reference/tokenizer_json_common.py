"""Conversions of a SentencePiece model to a Hugging Face tokenizer.json, and the expected
ids/decodes of Python `tokenizers` on a corpus. Shared by make_tokenizer_json_fixtures.py and
check_tokenizer_json.py.

Needs `tokenizers` (the version pocket-tts 4.0.1 runs: 0.23.3), `sentencepiece`, `protobuf` and
`transformers` (5.x, for its converters):

    python3 -m venv /opt/tok-venv
    /opt/tok-venv/bin/pip install tokenizers==0.23.3 sentencepiece==0.2.3 protobuf transformers
"""
import json
import random
import shutil
import sys
import tempfile
import types
from pathlib import Path

import sentencepiece as spm
import tokenizers

# The conversions a SentencePiece .model may have gone through (how Kyutai made theirs is unknown):
#   from_spm          tokenizers.implementations.SentencePieceUnigramTokenizer.from_spm
#   transformers_auto transformers 5 AutoTokenizer on a folder holding tokenizer.model
#                     (SpmConverter.build_tokenizer_from_spm_proto), then backend_tokenizer.save
#   moshi             transformers' MoshiConverter (Kyutai's Moshi tokenizer)
#   llama             transformers' LlamaConverter (legacy, byte fallback)
CONVERSIONS = ["from_spm", "transformers_auto", "moshi", "llama"]


def convert(model_path: Path, method: str, out_path: Path) -> None:
    """Writes the tokenizer.json of `model_path` made by `method` to `out_path`."""
    if method == "from_spm":
        from sentencepiece import sentencepiece_model_pb2

        sys.modules["sentencepiece_model_pb2"] = sentencepiece_model_pb2  # from_spm imports it by this name
        from tokenizers.implementations import SentencePieceUnigramTokenizer

        SentencePieceUnigramTokenizer.from_spm(str(model_path)).save(str(out_path))
    elif method == "transformers_auto":
        from transformers import AutoTokenizer

        with tempfile.TemporaryDirectory() as folder:
            shutil.copy(model_path, Path(folder) / "tokenizer.model")
            AutoTokenizer.from_pretrained(folder).backend_tokenizer.save(str(out_path))
    elif method == "moshi":
        from transformers.convert_slow_tokenizer import MoshiConverter

        MoshiConverter(str(model_path)).converted().save(str(out_path))
    elif method == "llama":
        from transformers.convert_slow_tokenizer import LlamaConverter

        sp = spm.SentencePieceProcessor(model_file=str(model_path))
        slow = types.SimpleNamespace(  # the attributes LlamaConverter reads from a slow LlamaTokenizer
            vocab_file=str(model_path), legacy=True, add_prefix_space=True, convert_ids_to_tokens=sp.id_to_piece)
        LlamaConverter(slow).converted().save(str(out_path))
    else:
        raise ValueError(f"unknown conversion {method}")
    # Compact, stable JSON (the saved file is pretty-printed).
    data = json.loads(out_path.read_text(encoding="utf-8"))
    out_path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def components(path: Path) -> str:
    """A one-line summary of the pipeline of a tokenizer.json, for the logs."""
    data = json.loads(path.read_text(encoding="utf-8"))

    def name(node):
        if node is None:
            return "-"
        inner = node.get("normalizers") or node.get("pretokenizers") or node.get("decoders") or node.get("processors")
        return node["type"] + (f"[{', '.join(name(n) for n in inner)}]" if inner else "")

    added = len(data.get("added_tokens") or [])
    return (f"normalizer {name(data['normalizer'])}; pre-tokenizer {name(data['pre_tokenizer'])}; "
            f"model {data['model']['type']}; post-processor {name(data['post_processor'])}; "
            f"decoder {name(data['decoder'])}; {added} added tokens")


def expected(json_path: Path, texts: list[str], seed: int = 7) -> dict:
    """What Python `tokenizers` gives for `texts`, the way pocket-tts 4.0.1's JsonTokenizer calls it:
    `encode(text).ids` and `decode(ids)`; plus id lists decoded directly, the piece of every id and
    the id of that piece (`token_to_id`; not always the same id: duplicates, normalized added tokens)."""
    tok = tokenizers.Tokenizer.from_file(str(json_path))
    size = tok.get_vocab_size()
    ids = [tok.encode(text).ids for text in texts]
    rng = random.Random(seed)
    added = list(tok.get_added_tokens_decoder())
    vocab = tok.get_vocab()
    byte_ids = [vocab[f"<0x{b:02X}>"] for b in range(256) if f"<0x{b:02X}>" in vocab]
    decode_ids = [
        [],
        sorted(added),
        list(range(min(size, 8))),
        byte_ids[0xE2:0xE3] + byte_ids[0x82:0x83] + byte_ids[0xAC:0xAD],  # "€" as three byte pieces
        byte_ids[0xE2:0xE3] + byte_ids[0x82:0x83],                         # a truncated sequence
        byte_ids[0xFF:0x100] + byte_ids[0x41:0x42] + byte_ids[0x80:0x81],   # invalid UTF-8
        ids[0] + ids[1] + ids[2],
    ]
    decode_ids += [[rng.randrange(size) for _ in range(rng.randint(1, 12))] for _ in range(40)]
    pieces = [tok.id_to_token(i) for i in range(size)]
    return {
        "vocab_size": size,
        "ids": ids,
        "decoded": [tok.decode(i) for i in ids],
        "decode_cases": [{"ids": i, "text": tok.decode(i)} for i in decode_ids],
        "pieces": pieces,
        "piece_ids": [tok.token_to_id(piece) if piece is not None else None for piece in pieces],
    }
