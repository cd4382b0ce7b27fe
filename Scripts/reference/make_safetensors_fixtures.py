#!/usr/bin/env python3
"""Writes small safetensors files with the Python `safetensors` library, for the Swift tests:

    python Scripts/reference/make_safetensors_fixtures.py Tests/PocketTTSTests/Fixtures/safetensors

- f32.safetensors: F32 tensors (rounding edge cases, specials, seeded normals, an empty and a
  0-d tensor) with string metadata. The Swift writer must reproduce it byte for byte.
- bf16.safetensors: the same tensors converted by torch to bfloat16 (round to nearest even).
  The Swift writer, given the F32 values, must reproduce it byte for byte.
- f16.safetensors: "x" in float16 and "x_as_f32", torch's exact up-conversion, for reading.

Needs `pip install torch safetensors`.
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file


def bits_to_f32(values: list[int]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.int64).to(torch.int32).view(torch.float32)


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(1234)
    edges = bits_to_f32([
        0x3F808000,  # exactly halfway, lower neighbour even -> rounds down
        0x3F818000,  # exactly halfway, lower neighbour odd -> rounds up
        0x3F808001,  # just above halfway -> rounds up
        0x3F807FFF,  # just below halfway -> rounds down
        0xBF818000,  # negative tie -> away to even
        0x7F7FFFFF,  # largest float32 -> rounds to +inf in bfloat16
        0x00000001,  # smallest subnormal
        0x80000000,  # -0
        0x7F800000,  # +inf
        0xFF800000,  # -inf
    ])
    tensors = {
        "edges": edges,
        "normal.weight": torch.randn(3, 4, 5, generator=generator),
        "a.bias": torch.randn(7, generator=generator) * 1e-3,
        "empty": torch.zeros(0, 3),
        "scalar": torch.tensor(2.5),
    }
    # One key only: the library writes metadata in hash-map order, which is not stable.
    metadata = {"note": "quote \" backslash \\ tab \t é"}
    save_file(tensors, out / "f32.safetensors", metadata=metadata)
    save_file({k: v.to(torch.bfloat16) for k, v in tensors.items()}, out / "bf16.safetensors", metadata=metadata)

    half = torch.cat([
        torch.randn(20, generator=generator) * 100,
        torch.tensor([65504.0, 1e-7, -6e-8, 1e6, -1e6, 0.0]),
    ]).to(torch.float16)
    save_file({"x": half, "x_as_f32": half.to(torch.float32)}, out / "f16.safetensors")
    print(f"wrote {out}/{{f32,bf16,f16}}.safetensors")


if __name__ == "__main__":
    main()
