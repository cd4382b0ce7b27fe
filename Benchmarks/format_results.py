#!/usr/bin/env python3
"""Writes Benchmarks/RESULTS.md from one run's two JSON documents (`engine-bench` and
`reference_bench.py`), with the machine (lscpu), the load average, the date, the git commit and
the issue's speed targets. Run by Benchmarks/run.sh; standard library only.

    python3 Benchmarks/format_results.py --swift swift.json --reference reference.json \
        --load-before "0.5 0.4 0.3" --load-after "1.9 1.2 0.7" [--before OLD_RESULTS.md] > RESULTS.md
"""
from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
from pathlib import Path

import perf_targets

REPO = Path(__file__).resolve().parents[1]
TARGET_TTFA_MS = 100.0
TARGET_SINGLE_SPEED = 4.0
TARGET_STREAMS = 4
BEFORE_HEADING = "## Before"


def run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine() -> dict:
    fields = {}
    for line in run(["lscpu"]).splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    flags = fields.get("Flags", "").split()
    return {"model": fields.get("Model name", "?"), "cpus": fields.get("CPU(s)", "?"),
            "threads_per_core": fields.get("Thread(s) per core", "?"),
            "cores_per_socket": fields.get("Core(s) per socket", "?"),
            "avx512": sorted(f for f in flags if f.startswith("avx512")) or ["none"],
            "amx": sorted(f for f in flags if f.startswith("amx"))}


def commit() -> str:
    head = run(["git", "rev-parse", "--short=10", "HEAD"]) or "?"
    subject = run(["git", "log", "-1", "--format=%s"])
    dirty = " (plus uncommitted changes)" if run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                                        ":!Benchmarks/results", ":!Benchmarks/RESULTS.md"]) else ""
    return f"`{head}` {subject}{dirty}"


def fmt(x, digits: int = 1) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def ratio(numerator, denominator) -> str:
    if numerator is None or denominator in (None, 0):
        return "—"
    return f"{numerator / denominator:.2f}×"


def time_rows(rows: list[tuple[str, float | None, float | None]], digits: int = 1) -> list[str]:
    """Times: ratio = reference / Swift (above 1: Swift is faster)."""
    out = ["| | Swift | reference | reference / Swift |", "|---|---:|---:|---:|"]
    for label, swift, ref in rows:
        out.append(f"| {label} | {fmt(swift, digits)} | {fmt(ref, digits)} | {ratio(ref, swift)} |")
    return out


def speed_rows(rows: list[tuple[str, float | None, float | None]]) -> list[str]:
    """Speed factors: ratio = Swift / reference (above 1: Swift is faster)."""
    out = ["| | Swift | reference | Swift / reference |", "|---|---:|---:|---:|"]
    for label, swift, ref in rows:
        out.append(f"| {label} | {fmt(swift, 2)} | {fmt(ref, 2)} | {ratio(swift, ref)} |")
    return out


def met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def report(swift: dict, ref: dict, load_before: str, load_after: str) -> list[str]:
    m = machine()
    sa, ra = swift["a_time_to_first_audio"], ref["a_time_to_first_audio"]
    sb, rb = swift["b_real_time_factor"], ref["b_real_time_factor"]
    sc, rc = swift["c_voice_encode_7s"], ref["c_voice_encode_7s"]
    sd, rd = swift["d_per_step_isolated"], ref["d_per_step_isolated"]
    se = {e["streams"]: e for e in swift["e_concurrent_streams"]}
    sf, rf = swift["f_text_prompt"], ref["e_text_prompt"]
    ref_speed = rb["times_faster_than_real_time"]

    four = se.get(TARGET_STREAMS)
    batch_steps = {b["batch"]: b["step"]["median_ms"] for b in sd.get("batched_flow_lm_step", [])}
    mimi_ms = sd["mimi_decode_frame"]["median_ms"]

    def bound(n: int):
        """Per-stream speed two free cores would allow, from (d): the producer needs one batched step
        and the consumer n Mimi frames per 80 ms frame of every stream, in parallel."""
        return 80.0 / max(batch_steps[n], n * mimi_ms) if n in batch_steps else None

    most = max((n for n, e in se.items() if e["min_times_faster_than_real_time"] >= 1.0), default=0)
    lines = [
        "## Targets (issue \"engine\")", "",
        "| target | Swift | |", "|---|---|---|",
        f"| time to first audio ≤ {TARGET_TTFA_MS:.0f} ms (median of (a)) | {fmt(sa['median_ms'])} ms "
        f"(min {fmt(sa['min_ms'])}) | {met(sa['median_ms'] <= TARGET_TTFA_MS)} |",
        f"| ≥ {TARGET_SINGLE_SPEED:.0f}× real time, one stream ((b)) | {fmt(sb['times_faster_than_real_time'], 2)}× "
        f"| {met(sb['times_faster_than_real_time'] >= TARGET_SINGLE_SPEED)} |",
        f"| ≥ {TARGET_STREAMS} concurrent streams, each ≥ 1× real time ((e), slowest stream) | "
        + (f"{fmt(four['min_times_faster_than_real_time'], 2)}× with {TARGET_STREAMS} streams; "
           f"most streams tried with every one ≥ 1×: {most or 'none'} | {met(four['min_times_faster_than_real_time'] >= 1.0)} |"
           if four else f"not measured ({TARGET_STREAMS} streams not in the run) | — |"),
        "",
        "## Machine and run", "",
        f"- CPU: {m['model']}; {m['cpus']} logical CPUs ({m['cores_per_socket']} cores per socket, "
        f"{m['threads_per_core']} thread(s) per core)",
        f"- AVX-512: {', '.join(m['avx512'])}" + (f"; AMX: {', '.join(m['amx'])}" if m["amx"] else ""),
        f"- Load average (1/5/15 min) before the run: {load_before}; after: {load_after}. "
        f"Reference bench {ref['machine']['load_average_before']} → {ref['machine']['load_average_after']}, "
        f"Swift bench {swift['machine']['load_average_before']} → {swift['machine']['load_average_after']}. "
        "The machine is shared with other builds: a load above ~1 means something else competed for the cores.",
        f"- Date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}; commit {commit()}",
        f"- Swift: {swift['implementation']}; OpenBLAS threads {swift['machine']['blas_threads']}; "
        f"engine queue {swift['engine']['max_queued_frames']} frames, prefill slice {swift['engine']['prefill_slice_tokens']} tokens.",
        f"- Reference: {ref['reference']}; torch {ref['machine']['torch']}, {ref['machine']['torch_threads']} thread.",
        f"- Both: the same weights file, the {swift['text_tokens']}-token sentence "
        f"(reference: {ref['text_tokens']} tokens), the {fmt(sc['audio_seconds'], 2)} s speech sample as the voice. "
        f"Model load: Swift {swift['model_load_s']:.2f} s, reference {ref['model_load_s']:.2f} s.",
        "",
        "## (a) Time to first audio, cached voice (ms)", "",
        "Swift: `Engine.enqueue` → first frame at the sink. Reference: `generate_audio_stream` call → first chunk.", "",
        *time_rows([("min", sa["min_ms"], ra["min_ms"]), ("median", sa["median_ms"], ra["median_ms"])]),
        "",
        f"## (b) Real-time factor, one {sb['audio_s']:.2f} s utterance ({sb['frames']} frames)", "",
        *time_rows([("wall time (s)", sb["wall_s"], rb["wall_s"]),
                    ("first chunk (ms)", sb["first_chunk_ms"], rb["first_chunk_ms"])], 2),
        "",
        *speed_rows([("times faster than real time", sb["times_faster_than_real_time"], ref_speed)]),
        "",
        f"Swift frame interval at the sink: median {fmt(sb['frame_interval']['median_ms'])} ms, "
        f"p90 {fmt(sb['frame_interval']['p90_ms'])} ms (real time needs < 80 ms on average). "
        f"Cores the Swift process got during the run (CPU time / wall time, 2 at most): {fmt(sb.get('cores_used'), 2)}.",
        "",
        f"## (c) Voice encoding, {sc['audio_seconds']:.2f} s of audio (ms)", "",
        *time_rows([("total, min", sc["total"]["min_ms"], rc["total"]["min_ms"]),
                    ("total, median", sc["total"]["median_ms"], rc["total"]["median_ms"]),
                    ("Mimi encoder + speaker projection, min", sc["mimi_encode_and_speaker_proj"]["min_ms"],
                     rc["mimi_encode_and_speaker_proj"]["min_ms"])]),
        "",
        f"Total = read + resample to 24 kHz + Mimi encoder + speaker projection + FlowLM voice prompt "
        f"({sc['voice_frames']} frames). Swift parts (min): read {fmt(sc['read']['min_ms'])}, "
        f"resample {fmt(sc['resample_to_24k']['min_ms'])}, voice prompt {fmt(sc['flow_lm_voice_prompt']['min_ms'])} ms.",
        "",
        f"## (d) Isolated per-step costs on the calling thread ({sd['frames']} frames, ms; Swift prompts of 16+ rows also use the second core, the reference one thread)", "",
        *time_rows([("FlowLM step, min", sd["flow_lm_step"]["min_ms"], rd["flow_lm_step"]["min_ms"]),
                    ("FlowLM step, median", sd["flow_lm_step"]["median_ms"], rd["flow_lm_step"]["median_ms"]),
                    ("Mimi decode per frame, min", sd["mimi_decode_frame"]["min_ms"], rd["mimi_decode_frame"]["min_ms"]),
                    ("Mimi decode per frame, median", sd["mimi_decode_frame"]["median_ms"],
                     rd["mimi_decode_frame"]["median_ms"]),
                    ("text prompt, 43 tokens, min", sf["min_ms"], rf["min_ms"]),
                    ("text prompt, 43 tokens, median", sf["median_ms"], rf["median_ms"])], 2),
        "",
        "One frame is 80 ms of audio." + (
            f" Swift thread CPU time (leaves out time descheduled on a busy machine), min / median: FlowLM step "
            f"{fmt(sd['flow_lm_step_thread_cpu']['min_ms'], 2)} / {fmt(sd['flow_lm_step_thread_cpu']['median_ms'], 2)}, "
            f"Mimi frame {fmt(sd['mimi_decode_frame_thread_cpu']['min_ms'], 2)} / "
            f"{fmt(sd['mimi_decode_frame_thread_cpu']['median_ms'], 2)} ms." if "flow_lm_step_thread_cpu" in sd else ""),
        "",
        "Swift batched FlowLM steps (`stepBatch`, as the engine's producer; the reference has no batching):", "",
        "| streams in the batch | step, median (ms) | per stream (ms) |", "|---:|---:|---:|",
        *[f"| {b['batch']} | {fmt(b['step']['median_ms'], 2)} | {fmt(b['median_ms_per_stream'], 2)} |"
          for b in sd["batched_flow_lm_step"]],
        "",
        f"## (e) Concurrent streams, each {swift['e_concurrent_streams'][0]['audio_s_per_stream']:.2f} s, all opened at once", "",
        "Per stream: audio seconds / wall seconds from its `enqueue` to its last frame (times faster than "
        "real time). Aggregate: all audio seconds / wall seconds from the first enqueue to the last frame. "
        f"The reference runs one stream at a time, so its aggregate is its single-stream speed ({fmt(ref_speed, 2)}×) "
        "whatever the count, and a stream queued behind others would wait for them.", "",
        "| streams | slowest stream | median stream | aggregate (Swift) | aggregate (reference) | Swift / reference | "
        "first audio, median (ms) | largest frame gap (ms) | cores used | bound from (d) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *[f"| {n} | {fmt(e['min_times_faster_than_real_time'], 2)}× | {fmt(e['median_times_faster_than_real_time'], 2)}× "
          f"| {fmt(e['aggregate_audio_s_per_wall_s'], 2)}× | {fmt(ref_speed, 2)}× "
          f"| {ratio(e['aggregate_audio_s_per_wall_s'], ref_speed)} | {fmt(e['first_audio']['median_ms'])} "
          f"| {fmt(e['largest_frame_gap_ms'])} | {fmt(e.get('cores_used'), 2)} | {fmt(bound(n), 2)}× |"
          for n, e in sorted(se.items())],
        "",
        "Cores used: the Swift process's CPU time over the run's wall time (2 at most on this machine; less "
        "means other processes took the cores). Bound from (d): the per-stream speed a producer and ONE "
        "consumer thread would allow with both cores free, 80 ms / max(batched FlowLM step for n streams, "
        "n × Mimi frame median); with two consumer threads (the default) the engine can beat it once the "
        "consumer is the bottleneck, since both cores then decode (approximate: runs of up to 4 frames of a "
        "stream are decoded per call, which (d) does not time).",
    ]
    return lines


def previous_body(path: Path) -> list[str]:
    """An earlier RESULTS.md without its title and without its own "Before" section."""
    text = path.read_text()
    text = text.split("\n" + BEFORE_HEADING, 1)[0]
    body = [line for line in text.splitlines() if not line.startswith("# ")]
    return [("#" + line) if line.startswith("## ") else line for line in body]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--swift", type=Path, required=True)
    parser.add_argument("--reference", type=Path, required=True)
    parser.add_argument("--load-before", default="?")
    parser.add_argument("--load-after", default="?")
    parser.add_argument("--title", default="", help="what this run is (e.g. 'after the skinny GEMM merge')")
    parser.add_argument("--before", type=Path, help="an earlier RESULTS.md kept as a 'Before' section")
    parser.add_argument("--before-title", default="an earlier run")
    parser.add_argument("--exact", type=Path, help="engine-bench --precision exact --only-concurrent --streams 1")
    parser.add_argument("--server-dir", type=Path, help="the server bench's results (its JSONs and startup.json)")
    parser.add_argument("--quality", type=Path, help="kernel-bench quality's output")
    parser.add_argument("--lead", type=Path, action="append", default=[],
                        help="a summary placed first, right after the title (the family table of family_server_bench.py)")
    parser.add_argument("--include", type=Path, action="append", default=[],
                        help="another benchmark's markdown summary (e.g. results/server/SUMMARY.md), appended as a "
                             "section with its headings one level down; repeatable")
    args = parser.parse_args()
    swift, ref = json.loads(args.swift.read_text()), json.loads(args.reference.read_text())

    lines = ["# Benchmark results", "",
             "Written by `Benchmarks/run.sh` (Swift `engine-bench` and `reference_bench.py`, same run, same "
             "machine, same random bf16 weights, sentence and voice); see Benchmarks/README.md for what each figure "
             "measures." + (f" This run: {args.title}." if args.title else ""),
             "Times: reference / Swift (above 1×: Swift faster). Speed factors: Swift / reference.", ""]
    for path in args.lead:
        lines += [("#" + line) if line.startswith("#") else line for line in path.read_text().splitlines()] + [""]
    quality = args.quality.read_text() if args.quality and args.quality.exists() else None
    lines += perf_targets.table(swift, ref, perf_targets.load(args.exact), args.server_dir, quality) + [""]
    lines += report(swift, ref, args.load_before, args.load_after)
    for path in args.include:
        lines += [""] + [("#" + line) if line.startswith("#") else line for line in path.read_text().splitlines()]
    if args.before:
        lines += ["", f"{BEFORE_HEADING}: {args.before_title}", ""] + previous_body(args.before)
    print(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n")


if __name__ == "__main__":
    main()
