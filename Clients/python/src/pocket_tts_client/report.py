"""The benchmark's figures: one JSON document, a printed summary, an optional plot."""
from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import numpy as np

from . import __version__

SUMMARY_METRICS = (
    # key, label, TurnResult attribute
    ("first_audio_ms", "first audio (ms)", "first_audio_ms"),
    ("rtf", "real-time factor", "rtf"),
    ("x_real_time", "x real time", "x_real_time"),
    ("underruns", "underruns", "underruns"),
    ("stall_ms", "stall (ms)", "stall_ms"),
    ("max_gap_ms", "max frame gap (ms)", "max_gap_ms"),
)


def distribution(values: list[float]) -> dict | None:
    """n, min, mean, p50, p90, p99, max (linear interpolation between ranks)."""
    values = [value for value in values if value is not None]
    if not values:
        return None
    array = np.asarray(values, dtype=np.float64)
    p50, p90, p99 = np.percentile(array, [50, 90, 99])
    return {"n": len(values), "min": float(array.min()), "mean": float(array.mean()), "p50": float(p50),
            "p90": float(p90), "p99": float(p99), "max": float(array.max())}


def title(args) -> str:
    style = args.style
    if style == "caption":
        style += f" {args.wps:g} words/s"
    elif style == "poisson":
        style += f" mean {args.arrival_mean_ms:g} ms"
    return (f"{args.sessions} session{'s' if args.sessions > 1 else ''}, {style}, "
            f"{args.format} {args.sample_rate} Hz, buffer {args.buffer_ms:g} ms")


def _machine() -> dict:
    machine = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    try:
        machine["load_average"] = list(os.getloadavg())
    except OSError:
        pass
    return machine


def document(args, text: str, results: list, wall_start: float, elapsed: float) -> dict:
    ok = [result for result in results if result.ok]
    summary = {key: distribution([getattr(result, attribute) for result in ok]) for key, _, attribute in SUMMARY_METRICS}
    summary["frame_gap_ms"] = distribution([gap for result in ok for gap in result.gaps_ms])
    audio = sum(result.audio_seconds for result in ok)
    settings = {key: (str(value) if isinstance(value, Path) else value) for key, value in vars(args).items()}
    return {
        "tool": "pocket-tts-bench",
        "version": __version__,
        "title": title(args),
        "started_unix": wall_start,
        "elapsed_seconds": elapsed,
        "settings": settings,
        "text": text,
        "machine": _machine(),
        "counts": {
            "turns": len(results), "ok": len(ok), "failed": len(results) - len(ok),
            "turns_with_underruns": sum(1 for result in ok if result.underruns),
            "audio_seconds": audio,
            "aggregate_x_real_time": audio / elapsed if elapsed else None,
        },
        "summary": summary,
        "turns": [
            {
                "session": result.session, "turn": result.turn, "error": result.error,
                "arrived_at": result.arrived_at, "first_audio_ms": result.first_audio_ms,
                "audio_seconds": result.audio_seconds, "wall_seconds": result.wall_seconds,
                "rtf": result.rtf, "x_real_time": result.x_real_time, "messages": result.messages,
                "underruns": result.underruns, "stall_ms": result.stall_ms, "max_gap_ms": result.max_gap_ms,
                "gap_ms": distribution(result.gaps_ms), "playout_start_ms": result.playout_start_ms,
                "buffer_levels": result.levels,
            }
            for result in results
        ],
    }


def _cell(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render(doc: dict, per_turn: bool = False) -> str:
    counts = doc["counts"]
    lines = [f"pocket-tts-bench: {doc['title']}, {doc['settings']['url']}",
             f"turns: {counts['ok']} ok, {counts['failed']} failed; "
             f"{counts['turns_with_underruns']} with underruns; "
             f"{counts['audio_seconds']:.1f} s of audio in {doc['elapsed_seconds']:.1f} s"]
    for turn in doc["turns"]:
        if turn["error"]:
            lines.append(f"  session {turn['session']} turn {turn['turn']}: {turn['error']}")
    lines.append(f"{'':22}{'min':>9}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}")
    rows = [(label, key) for key, label, _ in SUMMARY_METRICS] + [("frame gap (ms, all)", "frame_gap_ms")]
    for label, key in rows:
        stats = doc["summary"].get(key)
        digits = 2 if key in ("rtf", "x_real_time") else (0 if key == "underruns" else 1)
        cells = "".join(f"{_cell(stats and stats[name], digits):>9}" for name in ("min", "p50", "p90", "p99", "max"))
        lines.append(f"{label:22}{cells}")
    if per_turn:
        lines.append(f"{'session':>8}{'turn':>5}{'first ms':>10}{'audio s':>9}{'x rt':>7}{'underruns':>10}{'stall ms':>10}{'max gap':>9}")
        for turn in doc["turns"]:
            if turn["error"]:
                continue
            lines.append(f"{turn['session']:>8}{turn['turn']:>5}{_cell(turn['first_audio_ms'], 1):>10}"
                         f"{turn['audio_seconds']:>9.2f}{_cell(turn['x_real_time'], 2):>7}{turn['underruns']:>10}"
                         f"{turn['stall_ms']:>10.1f}{_cell(turn['max_gap_ms'], 1):>9}")
    return "\n".join(lines)


def write_json(doc: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")


def plot(results: list, path: Path, title: str) -> None:
    """First-audio histogram and every turn's buffer level over time. ImportError without matplotlib."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [result for result in results if result.ok]
    figure, (histogram, levels) = plt.subplots(1, 2, figsize=(12, 4.5))
    firsts = [result.first_audio_ms for result in ok if result.first_audio_ms is not None]
    histogram.hist(firsts, bins=min(30, max(5, len(firsts))), color="tab:blue")
    histogram.set_xlabel("time to first audio (ms)")
    histogram.set_ylabel("turns")
    histogram.set_title("first audio")
    for result in ok:
        if result.levels:
            times, buffered = zip(*result.levels)
            levels.plot(times, buffered, linewidth=0.8)
    levels.set_xlabel("seconds after the turn started")
    levels.set_ylabel("buffered audio (ms)")
    levels.set_title("playout buffer per turn")
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
