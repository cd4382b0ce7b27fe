#!/usr/bin/env python3
"""Golden values for KernelsTests, computed by the real reference (pocket-tts 1.1.1 + torch).

Usage: /opt/ref-venv/bin/python Scripts/reference/make_kernel_fixtures.py \
           Tests/KernelsTests/Fixtures/kernels.json

Writes a tiny JSON file; never edit it by hand. Inputs are seeded random float32 values,
stored in the file so the Swift tests feed the exact same inputs.
"""

import json
import sys

import torch
import torch.nn.functional as F

from pocket_tts.modules.mlp import RMSNorm
from pocket_tts.modules.rope import apply_rope


def flat(t: torch.Tensor) -> list[float]:
    return [float(v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def rope_cases(gen: torch.Generator) -> list[dict]:
    cases = []
    for T, H, D, offset in [(3, 2, 8, 0), (2, 2, 16, 7), (2, 1, 64, 1000)]:
        x = torch.randn(1, T, H, D, generator=gen)
        q, _ = apply_rope(x, x.clone(), offset=offset, max_period=10_000)
        cases.append(dict(T=T, H=H, D=D, offset=offset, input=flat(x), output=flat(q)))
    return cases


def rope_frequencies(D: int) -> list[float]:
    # The exact expression of pocket_tts/modules/rope.py.
    import math

    ds = torch.arange(D // 2, dtype=torch.float32)
    return flat(torch.exp(ds * (-math.log(10_000) * 2 / D)))


def rms_cases(gen: torch.Generator) -> list[dict]:
    cases = []
    for rows, dim in [(2, 16), (1, 37)]:
        norm = RMSNorm(dim)  # eps default of the reference (1e-5)
        with torch.no_grad():
            norm.alpha.copy_(torch.rand(dim, generator=gen) + 0.5)
        x = torch.randn(rows, dim, generator=gen) * 3 + 0.7
        y = norm(x)
        cases.append(dict(rows=rows, dim=dim, eps=norm.eps, alpha=flat(norm.alpha), input=flat(x), output=flat(y)))
    return cases


def attention_case(gen: torch.Generator) -> dict:
    # Windowed causal attention with the mask of pocket_tts MimiStreamingMultiheadAttention:
    # visible iff pos_k >= 0 and 0 <= pos_q - pos_k < context.
    Tq, Tk, H, D, q0, context = 3, 6, 2, 4, 4, 3
    q = torch.randn(Tq, H, D, generator=gen)
    k = torch.randn(Tk, H, D, generator=gen)
    v = torch.randn(Tk, H, D, generator=gen)
    pos_k = torch.tensor([4, 5, 6, 1, 2, 3])  # a ring buffer holding positions 1...6
    pos_q = torch.arange(Tq) + q0
    delta = pos_q[:, None] - pos_k[None, :]
    mask = (pos_k[None, :] >= 0) & (delta >= 0) & (delta < context)
    out = F.scaled_dot_product_attention(
        q.permute(1, 0, 2)[None], k.permute(1, 0, 2)[None], v.permute(1, 0, 2)[None], mask[None, None]
    )[0].permute(1, 0, 2)
    return dict(
        Tq=Tq, Tk=Tk, H=H, D=D, queryStart=q0, window=context, keyPositions=pos_k.tolist(),
        queries=flat(q), keys=flat(k), values=flat(v), output=flat(out),
    )


def main() -> None:
    gen = torch.Generator().manual_seed(1234)
    gelu_x = torch.linspace(-6, 6, 25)
    fixture = dict(
        rope=rope_cases(gen),
        ropeFrequencies64=rope_frequencies(64),
        rmsNorm=rms_cases(gen),
        attention=attention_case(gen),
        gelu=dict(input=flat(gelu_x), output=flat(F.gelu(gelu_x))),
    )
    with open(sys.argv[1], "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
