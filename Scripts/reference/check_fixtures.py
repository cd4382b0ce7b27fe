#!/usr/bin/env python3
"""Independent NumPy re-implementation that checks the fixtures against MANIFEST.md / NOTES.md.

    /opt/ref-venv/bin/python Scripts/reference/check_fixtures.py

Uses only numpy/scipy + the committed files (no pocket_tts, no torch): the weights, the voice state, the
manifest. It re-derives FlowLM, the flow head, LSD, the streaming Mimi decoder (ring-buffer attention,
streaming convs) and the end-to-end loops, and prints the max abs error of each fixture. A port
written from the same notes should land at the same errors (f32 rounding only).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf

REF = Path(__file__).resolve().parents[2] / "Tests/PocketTTSTests/Fixtures/reference"
W = {k: v.astype(np.float32) for k, v in load_file(str(REF / "tiny_weights.safetensors")).items()}
FX = load_file(str(REF / "modules.safetensors"))
E2E = load_file(str(REF / "e2e.safetensors"))
MAN = json.loads((REF / "manifest.json").read_text())
CFG = MAN["config"]
F32 = np.float32


def lin(x, w, b=None):
    y = x @ w.T
    return y if b is None else y + b


def layer_norm(x, w, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    y = (x - m) / np.sqrt(v + eps)
    return y if w is None else y * w + b


def gelu(x):
    return (0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(F32)


def silu(x):
    return x / (1 + np.exp(-x))


def elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def rope(x, positions, max_period=10000.0):  # x [T, H, D]
    d = x.shape[-1]
    freqs = np.exp(np.arange(d // 2, dtype=F32) * F32(-math.log(max_period) * 2 / d)).astype(F32)
    ang = (positions.astype(F32)[:, None, None] * freqs).astype(F32)
    c, s = np.cos(ang), np.sin(ang)
    re, im = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = re * c - im * s
    out[..., 1::2] = re * s + im * c
    return out


def attend(q, k, v, visible):  # q [Tq,H,D], k/v [Tk,H,D], visible [Tq,Tk]
    sc = np.einsum("qhd,khd->hqk", q, k) / math.sqrt(q.shape[-1])
    sc = np.where(visible[None], sc, -np.inf)
    sc = np.exp(sc - sc.max(-1, keepdims=True))
    p = sc / sc.sum(-1, keepdims=True)
    return np.einsum("hqk,khd->qhd", p, v)


# ------------------------------------------------------------------------------------------- FlowLM
FT = CFG["flow_lm"]["transformer"]
H = FT["num_heads"]


class FlowLM:
    def __init__(self, cache_k=None, cache_v=None):
        nl = FT["num_layers"]
        self.k = cache_k or [np.zeros((0, H, FT["d_model"] // H), F32) for _ in range(nl)]
        self.v = cache_v or [np.zeros((0, H, FT["d_model"] // H), F32) for _ in range(nl)]

    @property
    def end(self):
        return self.k[0].shape[0]

    def run(self, x):  # x [T, d] -> out_norm [T, d]
        t, off = x.shape[0], self.end
        pos = np.arange(off, off + t)
        for i in range(FT["num_layers"]):
            p = f"flow_lm.transformer.layers.{i}."
            h = layer_norm(x, W[p + "norm1.weight"], W[p + "norm1.bias"], 1e-5)
            qkv = lin(h, W[p + "self_attn.in_proj.weight"]).reshape(t, 3, H, -1)
            q, k, v = rope(qkv[:, 0], pos), rope(qkv[:, 1], pos), qkv[:, 2]
            self.k[i] = np.concatenate([self.k[i], k])
            self.v[i] = np.concatenate([self.v[i], v])
            kp = np.arange(self.end)
            a = attend(q, self.k[i], self.v[i], kp[None, :] <= pos[:, None]).reshape(t, -1)
            x = x + lin(a, W[p + "self_attn.out_proj.weight"])
            h = layer_norm(x, W[p + "norm2.weight"], W[p + "norm2.bias"], 1e-5)
            x = x + lin(gelu(lin(h, W[p + "linear1.weight"])), W[p + "linear2.weight"])
        return layer_norm(x, W["flow_lm.out_norm.weight"], W["flow_lm.out_norm.bias"], 1e-5)

    def step(self, tokens=(), latents=None, audio=None):
        parts = [W["flow_lm.conditioner.embed.weight"][list(tokens)]]
        if audio is not None:
            parts.append(audio)
        if latents is not None:
            lat = np.where(np.isnan(latents), W["flow_lm.bos_emb"], latents)
            parts.append(lin(lat, W["flow_lm.input_linear.weight"]))
        h = self.run(np.concatenate(parts).astype(F32))[-1]
        eos = lin(h, W["flow_lm.out_eos.weight"], W["flow_lm.out_eos.bias"])[0]
        return h, eos, lsd(h[None], np.zeros((1, 32), F32), 1)[0]


def time_embed(i, t):
    p = f"flow_lm.flow_net.time_embed.{i}."
    a = t * W[p + "freqs"]
    e = np.concatenate([np.cos(a), np.sin(a)], -1)
    e = lin(silu(lin(e, W[p + "mlp.0.weight"], W[p + "mlp.0.bias"])), W[p + "mlp.2.weight"], W[p + "mlp.2.bias"])
    var = e.var(-1, ddof=1, keepdims=True)
    return e * W[p + "mlp.3.alpha"] / np.sqrt(var + 1e-5)


def flow(c, s, t, x):
    p = "flow_lm.flow_net."
    x = lin(x, W[p + "input_proj.weight"], W[p + "input_proj.bias"])
    y = (time_embed(0, s) + time_embed(1, t)) / 2 + lin(c, W[p + "cond_embed.weight"], W[p + "cond_embed.bias"])
    for i in range(CFG["flow_lm"]["flow"]["depth"]):
        b = f"{p}res_blocks.{i}."
        sh, sc, g = np.split(lin(silu(y), W[b + "adaLN_modulation.1.weight"], W[b + "adaLN_modulation.1.bias"]), 3, -1)
        h = layer_norm(x, W[b + "in_ln.weight"], W[b + "in_ln.bias"], 1e-6) * (1 + sc) + sh
        h = lin(silu(lin(h, W[b + "mlp.0.weight"], W[b + "mlp.0.bias"])), W[b + "mlp.2.weight"], W[b + "mlp.2.bias"])
        x = x + g * h
    f = p + "final_layer."
    sh, sc = np.split(lin(silu(y), W[f + "adaLN_modulation.1.weight"], W[f + "adaLN_modulation.1.bias"]), 2, -1)
    return lin(layer_norm(x, None, None, 1e-6) * (1 + sc) + sh, W[f + "linear.weight"], W[f + "linear.bias"])


def lsd(c, x0, n):
    x = x0.copy()
    for i in range(n):
        s = np.full((x.shape[0], 1), i / n, F32)
        t = np.full((x.shape[0], 1), (i + 1) / n, F32)
        x = x + flow(c, s, t, x) / n
    return x


# --------------------------------------------------------------------------------------------- Mimi
SE = CFG["mimi"]["seanet"]
MT = CFG["mimi"]["transformer"]


class Conv:
    """Streaming Conv1d: keeps (k-1)*d+1-stride previous samples."""

    def __init__(self, key, stride=1, dilation=1, replicate=False):
        self.w, self.b = W[key + ".weight"], W.get(key + ".bias")
        self.s, self.d, self.rep = stride, dilation, replicate
        k = self.w.shape[-1]
        self.prev = np.zeros((self.w.shape[1], (k - 1) * dilation + 1 - stride), F32)
        self.first = True

    def __call__(self, x):  # [C, T]
        if self.rep and self.first and self.prev.shape[1]:
            self.prev[:] = x[:, :1]
        self.first = False
        xx = np.concatenate([self.prev, x], 1)
        k = self.w.shape[-1]
        n = (xx.shape[1] - ((k - 1) * self.d + 1)) // self.s + 1
        cols = np.stack([xx[:, j * self.d: j * self.d + (n - 1) * self.s + 1: self.s] for j in range(k)], -1)
        y = np.einsum("ctk,ock->ot", cols, self.w)
        if self.prev.shape[1]:
            self.prev = xx[:, -self.prev.shape[1]:]
        return y if self.b is None else y + self.b[:, None]


class ConvTr:
    def __init__(self, key, stride, groups=1):
        self.w, self.b, self.s, self.g = W[key + ".weight"], W.get(key + ".bias"), stride, groups
        k = self.w.shape[-1]
        out_ch = self.w.shape[1] * groups
        self.partial = np.zeros((out_ch, k - stride), F32)

    def __call__(self, x):
        cin, t = x.shape
        k = self.w.shape[-1]
        y = np.zeros((self.w.shape[1] * self.g, (t - 1) * self.s + k), F32)
        per = cin // self.g
        for gi in range(self.g):
            xs = x[gi * per:(gi + 1) * per]
            wg = self.w[gi * per:(gi + 1) * per]  # [per, out/g, k]
            contrib = np.einsum("ct,cok->otk", xs, wg)
            o0 = gi * wg.shape[1]
            for j in range(t):
                y[o0:o0 + wg.shape[1], j * self.s: j * self.s + k] += contrib[:, j]
        if self.b is not None:
            y += self.b[:, None]
        pt = self.partial.shape[1]
        y[:, :pt] += self.partial
        self.partial = y[:, -pt:] - (0 if self.b is None else self.b[:, None])
        return y[:, :-pt]


class ResBlock:
    def __init__(self, key):
        self.c1, self.c2 = Conv(key + ".block.1.conv"), Conv(key + ".block.3.conv")

    def __call__(self, x):
        return x + self.c2(elu(self.c1(elu(x))))


class MimiTransformer:
    def __init__(self, prefix, streaming):
        self.p, self.streaming = prefix, streaming
        cap, h, d = MT["context"], MT["num_heads"], MT["d_model"] // MT["num_heads"]
        self.ck = [np.zeros((cap, h, d), F32) for _ in range(MT["num_layers"])]
        self.cv = [np.zeros((cap, h, d), F32) for _ in range(MT["num_layers"])]
        self.cpos = [np.full(cap, -1) for _ in range(MT["num_layers"])]
        self.offset = 0

    def __call__(self, x):  # [C, T]
        x = x.T
        t, hn, ctx = x.shape[0], MT["num_heads"], MT["context"]
        pos = np.arange(self.offset, self.offset + t)
        for i in range(MT["num_layers"]):
            p = f"{self.p}.transformer.layers.{i}."
            h = layer_norm(x, W[p + "norm1.weight"], W[p + "norm1.bias"], 1e-5)
            qkv = lin(h, W[p + "self_attn.in_proj.weight"]).reshape(t, 3, hn, -1)
            q, k, v = rope(qkv[:, 0], pos), rope(qkv[:, 1], pos), qkv[:, 2]
            if self.streaming:
                idx = pos % ctx
                self.ck[i][idx], self.cv[i][idx], self.cpos[i][idx] = k, v, pos
                k, v, kp = self.ck[i], self.cv[i], self.cpos[i]
            else:
                kp = pos
            delta = pos[:, None] - kp[None, :]
            vis = (kp[None, :] >= 0) & (delta >= 0) & (delta < ctx)
            a = attend(q, k, v, vis).reshape(t, -1)
            x = x + W[p + "layer_scale_1.scale"] * lin(a, W[p + "self_attn.out_proj.weight"])
            h = layer_norm(x, W[p + "norm2.weight"], W[p + "norm2.bias"], 1e-5)
            x = x + W[p + "layer_scale_2.scale"] * lin(gelu(lin(h, W[p + "linear1.weight"])), W[p + "linear2.weight"])
        self.offset += t
        return x.T


class MimiDecoder:
    def __init__(self):
        self.up = ConvTr("mimi.upsample.convtr.convtr", 16, groups=SE["dimension"])
        self.tr = MimiTransformer("mimi.decoder_transformer", streaming=True)
        layers, i = [], 0
        layers.append(Conv(f"mimi.decoder.model.{i}.conv"))
        i += 1
        for r in SE["ratios"]:
            layers += ["elu", ConvTr(f"mimi.decoder.model.{i + 1}.convtr", r), ResBlock(f"mimi.decoder.model.{i + 2}")]
            i += 3
        layers += ["elu", Conv(f"mimi.decoder.model.{i + 1}.conv")]
        self.layers = layers

    def __call__(self, latent):  # [32] normalised
        x = (latent * W["flow_lm.emb_std"] + W["flow_lm.emb_mean"])[:, None]
        x = np.einsum("oc,ct->ot", W["mimi.quantizer.output_proj.weight"][:, :, 0], x)
        x = self.tr(self.up(x))
        for layer in self.layers:
            x = elu(x) if layer == "elu" else layer(x)
        return x[0]


def encode_voice(audio):  # [N] float
    n = math.ceil(len(audio) / 1920) * 1920
    x = np.zeros((1, n), F32)
    x[0, : len(audio)] = audio
    x = Conv("mimi.encoder.model.0.conv")(x)
    i = 1
    for r in reversed(SE["ratios"]):
        x = ResBlock(f"mimi.encoder.model.{i}")(x)
        x = Conv(f"mimi.encoder.model.{i + 2}.conv", stride=r)(elu(x))
        i += 3
    seanet = Conv(f"mimi.encoder.model.{i + 1}.conv")(elu(x))
    tr = MimiTransformer("mimi.encoder_transformer", streaming=False)(seanet)
    down = Conv("mimi.downsample.conv.conv", stride=16, replicate=True)(tr)
    return seanet, tr, down, lin(down.T, W["flow_lm.speaker_proj_weight"])


# ------------------------------------------------------------------------------------------ checks
def err(name, got, want):
    e = float(np.max(np.abs(np.asarray(got, F32) - want))) if np.size(want) else 0.0
    scale = float(np.max(np.abs(want))) if np.size(want) else 0.0
    print(f"{name:42s} max|err| {e:.2e}  (max|ref| {scale:.2f})")
    return e


def main():
    errs = []
    import wave

    with wave.open(str(REF / "voice.wav")) as w:
        audio = np.frombuffer(w.readframes(-1), "<i2").astype(F32) / 32768
    seanet, tr, down, cond = encode_voice(audio)
    errs += [err("mimi_enc/seanet_out", seanet, FX["mimi_enc/seanet_out"]),
             err("mimi_enc/transformer_out", tr, FX["mimi_enc/transformer_out"]),
             err("mimi_enc/downsample_out", down, FX["mimi_enc/downsample_out"]),
             err("voice/conditioning", cond, FX["voice/conditioning"])]
    voice = FlowLM()
    voice.step(audio=cond)
    vs = load_file(str(REF / "voice_state.safetensors"))
    for i in range(FT["num_layers"]):
        c = vs[f"transformer.layers.{i}.self_attn/cache"][:, 0]
        errs += [err(f"voice_state layer {i} k", voice.k[i], c[0]), err(f"voice_state layer {i} v", voice.v[i], c[1])]

    fm = MAN["flowlm"]
    lm = FlowLM()
    h, eos, nxt = lm.step(tokens=fm["tokens"], latents=FX["flowlm/prompt_latents_in"])
    errs += [err("flowlm/prompt_eos_logit", eos, FX["flowlm/prompt_eos_logit"][0]),
             err("flowlm/prompt_next_latent", nxt, FX["flowlm/prompt_next_latent"])]
    for k in range(2):
        h, eos, nxt = lm.step(latents=nxt[None])
        errs += [err(f"flowlm/step{k}_out_norm", h, FX[f"flowlm/step{k}_out_norm"][0]),
                 err(f"flowlm/step{k}_next_latent", nxt, FX[f"flowlm/step{k}_next_latent"])]
    errs += [err("flow/out", flow(FX["flow/c"], FX["flow/s"], FX["flow/t"], FX["flow/x"]), FX["flow/out"]),
             err("lsd/out_3steps", lsd(FX["flow/c"][:2], FX["lsd/x0"], 3), FX["lsd/out_3steps"])]

    dec = MimiDecoder()
    out = np.concatenate([dec(latent) for latent in FX["mimi_dec/latents"]])
    errs.append(err("mimi_dec/seanet_out", out, FX["mimi_dec/seanet_out"][0]))

    for sname, sc in MAN["e2e"].items():
        for tname, t in sc["texts"].items():
            pieces = []
            for ci, ch in enumerate(t["chunks"]):
                lm = FlowLM([k.copy() for k in voice.k], [v.copy() for v in voice.v])
                lm.step(tokens=ch["tokens"])
                max_len = ch["max_gen_len"]
                x, eos_step, lats, logits = np.full((1, 32), np.nan, F32), None, [], []
                dec = MimiDecoder()
                for step in range(max_len):
                    _, eos, nxt = lm.step(latents=x)
                    lats.append(nxt)
                    logits.append(eos)
                    if eos > sc["eos_threshold"] and eos_step is None:
                        eos_step = step
                    if eos_step is not None and step >= eos_step + ch["frames_after_eos"]:
                        break
                    pieces.append(dec(nxt))
                    x = nxt[None]
                base = f"e2e/{sname}/{tname}/chunk{ci}"
                assert eos_step == ch["eos_step"], (base, eos_step, ch["eos_step"])
                errs += [err(base + "/latents", np.stack(lats), E2E[base + "/latents"]),
                         err(base + "/eos_logits", np.array(logits), E2E[base + "/eos_logits"])]
            errs.append(err(f"e2e/{sname}/{tname}/audio", np.concatenate(pieces), E2E[f"e2e/{sname}/{tname}/audio"]))
    worst = max(errs)
    print(f"worst {worst:.2e}")
    assert worst < 1e-3, worst


if __name__ == "__main__":
    main()
