#!/usr/bin/env python3
"""Every model family through the service with its default configuration (issue 24 items 2, 3
and 5), beside the reference 4.0.1 server in the same run: the table RESULTS.md opens with.

    .build/python/bin/python Benchmarks/family_server_bench.py [--models english,english_2m_2026-10,...]
        [--sessions 1,8,capacity] [--reference4-python /opt/ref4-venv/bin/python] [--out DIR]

For each model: random bf16 weights of its shapes (made once in --workdir), the speech sample's
voice state, `serve` with the built-in defaults (`max_streams: auto`: no `--max-streams`; only
`max_sessions_per_address: 0`, every bench session comes from 127.0.0.1), one warm-up turn, then
`pocket-tts-bench` (agent style, PCM, the bench's three sentences, EOS off, 300 ms playout
buffer) with each session count of `--sessions`. `capacity` offers the capacity the service
measured (`pocket_tts_capacity_streams` after the warm-up) plus one: the issue's invariant is
that the one over is refused and no admitted turn underruns. A count above the measured capacity
is offered as it is (the sessions over capacity are refused with `at_capacity`; the row says how
many were admitted). Then, with --reference4-python, the reference 4.0.1 server
(`Benchmarks/reference4_server.py`, the same config with random weights) for one session, right
after ours. Writes one JSON per row and SUMMARY.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Benchmarks"))
import server_bench as sb  # noqa: E402
from server_bench import bench, cpu_model, ensure_voice_state, free_port, metric, start_service, stop, wait_ready  # noqa: E402

DEFAULT_MODELS = "english,french,english_2026-09_24l,english_18m_2026-10,english_7m_2026-10,english_2m_2026-10"


def start_reference4(python: str, model: str, out: Path, workdir: Path):
    import subprocess

    port = free_port()
    command = [python, str(REPO / "Benchmarks" / "reference4_server.py"), "--model", model, "--port", str(port),
               "--workdir", str(workdir)]
    sb.log("$ " + " ".join(command))
    process = subprocess.Popen(command, cwd=REPO, stdout=(out / f"reference4_{model}.log").open("wb"),
                               stderr=subprocess.STDOUT)
    wait_ready(f"http://127.0.0.1:{port}/health", process, timeout=600)
    return process, f"http://127.0.0.1:{port}/tts"


def compact(path: Path) -> None:
    """Drops each turn's per-message playout buffer levels from a row's JSON (several MB at a
    tiny model's hundreds of sessions; the summary and every per-turn figure stay)."""
    doc = json.loads(path.read_text())
    for turn in doc.get("turns", []):
        turn.pop("buffer_levels", None)
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")


def row_of(model: str, server: str, offered: int, doc: dict, capacity: int | None) -> dict:
    turns = doc["turns"]
    refused = [t for t in turns if t.get("error") and "capacity" in t["error"]]
    admitted = [t for t in turns if t not in refused]
    first = sorted(t["first_audio_ms"] for t in admitted if t.get("first_audio_ms") is not None)
    rtf = [t["x_real_time"] for t in admitted if t.get("x_real_time")]

    def pct(q: float) -> float | None:
        return first[min(len(first) - 1, int(round(q * (len(first) - 1))))] if first else None

    return {"model": model, "server": server, "offered": offered, "capacity": capacity,
            "admitted": len(admitted), "refused": len(refused),
            "failed": sum(1 for t in admitted if t.get("error")),
            "first_audio_ms_p50": pct(0.5), "first_audio_ms_p99": pct(0.99),
            "x_real_time_min": min(rtf) if rtf else None,
            "turns_with_underruns": sum(1 for t in admitted if t.get("underruns")),
            "peak_rss_mb": doc.get("server_peak_rss_mb"), "cores_used": doc.get("cores_used")}


def fmt(value, digits=0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(rows: list[dict]) -> str:
    lines = ["| model | server | sessions offered (capacity) | admitted / refused / failed | first audio p50 / p99 ms "
             "| x real time, slowest admitted | admitted turns with underruns | peak RSS MB | cores: server / others |",
             "|---|---|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        cores = r.get("cores_used") or {}
        cap = f" ({r['capacity']})" if r["capacity"] is not None else ""
        lines.append(f"| {r['model']} | {r['server']} | {r['offered']}{cap} | {r['admitted']} / {r['refused']} / {r['failed']} "
                     f"| {fmt(r['first_audio_ms_p50'])} / {fmt(r['first_audio_ms_p99'])} | {fmt(r['x_real_time_min'], 2)} "
                     f"| {r['turns_with_underruns']} | {fmt(r['peak_rss_mb'])} "
                     f"| {fmt(cores.get('server'), 2)} / {fmt(cores.get('others'), 2)} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=DEFAULT_MODELS)
    parser.add_argument("--sessions", default="1,8,capacity",
                        help="session counts, comma-separated; `capacity`: the measured capacity + 1")
    parser.add_argument("--buffer-ms", default="300")
    parser.add_argument("--reference4-python", default=os.environ.get("REFERENCE4_PYTHON"),
                        help="python with pocket-tts==4.0.1: also the reference's server, one session")
    parser.add_argument("--out", type=Path, default=REPO / "Benchmarks" / "results" / "family_server")
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("WORKDIR", "/tmp/pocket-tts-bench")))
    parser.add_argument("--binary", type=Path)
    parser.add_argument("--tokenizer", type=Path, default=sb.DEFAULT_TOKENIZER)
    parser.add_argument("--voice", type=Path, default=sb.DEFAULT_SPEECH)
    args = parser.parse_args()

    binary = sb.ensure_binary(args.binary)
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()
    for model in args.models.split(","):
        sb.MODEL_CONFIG = sb.model_config(model)
        weights = sb.ensure_random_weights(binary, sb.MODEL_CONFIG.resolve(),
                                           args.workdir / f"random_bf16_seed0_{sb.MODEL_CONFIG.stem}.safetensors", 0, "bf16")
        voice = ensure_voice_state(binary, weights, args.tokenizer, args.voice, args.workdir)
        out = args.out / model
        out.mkdir(parents=True, exist_ok=True)
        process, url, startup = start_service(binary, weights, args.tokenizer, voice, None, out / "service.log")
        try:
            http = url.replace("ws://", "http://").rsplit("/tts/ws", 1)[0]
            bench(url, "warmup", out, ["--sessions", "1", "--text", "Warm up."], plot=False)
            for token in args.sessions.split(","):
                capacity = int(metric(f"{http}/metrics", "pocket_tts_capacity_streams") or 0)
                offered = capacity + 1 if token == "capacity" else int(token)
                doc = bench(url, f"swift_{offered}", out, ["--sessions", str(offered), "--buffer-ms", args.buffer_ms],
                            plot=False, server_pid=process.pid)
                if doc:
                    compact(out / f"swift_{offered}.json")
                    rows.append(row_of(model, "Swift (defaults)", offered, doc, capacity))
                    sb.log(json.dumps(rows[-1]))
        finally:
            stop(process)
            (out / "warmup.json").unlink(missing_ok=True)
        if args.reference4_python:
            process, url = start_reference4(args.reference4_python, model, out, args.workdir)
            try:
                doc = bench(url, "reference4_1", out, ["--sessions", "1", "--buffer-ms", args.buffer_ms],
                            plot=False, server_pid=process.pid)
                if doc:
                    compact(out / "reference4_1.json")
                    rows.append(row_of(model, "pocket-tts 4.0.1 serve", 1, doc, None))
                    sb.log(json.dumps(rows[-1]))
            finally:
                stop(process)
    (args.out / "rows.json").write_text(json.dumps(rows, indent=1) + "\n")
    text = (f"# Every family through the service, defaults (`Benchmarks/family_server_bench.py`)\n\n"
            f"{started}, {cpu_model()}, {os.cpu_count()} CPUs, load average before {load_before[0]:.1f}, after "
            f"{os.getloadavg()[0]:.1f}. Full-size random bf16 weights, EOS off, agent style, PCM, "
            f"{args.buffer_ms} ms playout buffer; `serve` with the built-in defaults (`max_streams: auto`). "
            f"Capacity: `pocket_tts_capacity_streams` when the row started. Cores: CPU time / wall time of "
            f"the server and of every other process during the row.\n\n{table(rows)}\n")
    (args.out / "SUMMARY.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
