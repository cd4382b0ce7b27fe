#!/usr/bin/env python3
"""Where a FlowLM step's time goes, from a `perf record -g` of `kernel-bench profile`.

Usage (release build, see Benchmarks/README.md, "FlowLM step profile"):
    perf record -o step.data -F 2000 -g .build/release/kernel-bench profile --streams 8 --steps 300
    python3 Benchmarks/profile_step.py step.data

Only samples whose call stack is inside FlowLM.stepCore count (not the set-up: weights, prompts).
Each sample goes to the first category its stack matches, in the order below.
"""
import collections
import re
import subprocess
import sys

CATEGORIES = [  # (name, stack pattern, also required in the stack)
    ("int8 linears: flow head", r"ck_linear_int8dot", ["FlowHead"]),
    ("int8 linears: transformer (qkv, out, FFN), input, EOS", r"ck_linear_int8dot", []),
    ("attention: one-query kernel (reduced precisions)", r"ck_attend_one", []),
    ("attention: BLAS sgemv (exact; before)", r"sgemv", []),
    ("attention: softmax (exact; before)", r"softmax", []),
    ("attention: other (RoPE, cache append)", r"FlowTransformerV6attend", []),
    ("GELU (erff)", r"gelu|erff", []),
    ("LayerNorm / RMSNorm", r"LayerNorm|RMSNorm", []),
    ("flow head: other (SiLU, time embedding, modulation)", r"FlowHead", []),
    ("copies (memmove)", r"memmove|memcpy", []),
]


def main(path: str) -> None:
    script = subprocess.run(["perf", "script", "-i", path, "-F", "ip,sym"], capture_output=True, text=True).stdout
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for sample in script.split("\n\n"):
        frames = [line.strip().split(" ", 1)[-1] for line in sample.strip().split("\n") if line.strip()]
        if not any("FlowLMV8stepCore" in f for f in frames):
            continue
        total += 1
        stack = " ".join(frames)
        for name, pattern, required in CATEGORIES:
            if re.search(pattern, stack) and all(r in stack for r in required):
                counts[name] += 1
                break
        else:
            counts["other"] += 1
    print(f"samples inside FlowLM.stepCore: {total}")
    for name in [c[0] for c in CATEGORIES] + ["other"]:
        print(f"{name:58s} {100 * counts[name] / max(total, 1):5.1f}%")


if __name__ == "__main__":
    main(sys.argv[1])
