"""The performance issue's targets as one table for RESULTS.md, from the documents of one
`make bench` run: engine-bench at the default precision and at `exact` (one stream), the server
bench's per-row JSONs and start-up figures (Benchmarks/results/server), and `kernel-bench
quality`'s text. Used by format_results.py; standard library only. A figure whose run is missing
shows as "—" and its target as "not measured"."""
from __future__ import annotations

import json
import re
from pathlib import Path

ONE_STREAM = 10.0  # × real time, default precision, in process and through the service
EXACT_ONE_STREAM = 6.0
FIRST_AUDIO_MS = 40.0  # one session, median
SESSIONS = 12  # each ≥ 1× real time, no underrun
BURST_SESSIONS, BURST_P99_MS = 8, 250.0
IDLE_RSS_MB, LOADED_RSS_MB, LOADED_SESSIONS = 350.0, 500.0, 12
READY_S = 1.0
QUALITY_DB = 30.0


def load(path: Path | None) -> dict | None:
    try:
        return json.loads(path.read_text()) if path else None
    except (OSError, ValueError):
        return None


def server_rows(directory: Path | None) -> dict[int, dict]:
    """The server bench's agent/PCM rows of our service, by session count."""
    rows = {}
    for path in sorted(directory.glob("swift_agent_pcm_*.json")) if directory else []:
        doc = load(path)
        if doc:
            rows[doc["settings"]["sessions"]] = doc
    return rows


def quality(text: str | None) -> dict[str, dict[str, float]]:
    """`kernel-bench quality` lines: per precision, latent and audio SNR, and the Mimi decoder alone."""
    out: dict[str, dict[str, float]] = {}
    for line in (text or "").splitlines():
        if m := re.match(r"(\w+)\s*: latent SNR (-?[\d.]+) dB.*audio SNR (-?[\d.]+) dB", line):
            out.setdefault(m[1], {}).update(latent=float(m[2]), audio=float(m[3]))
        elif m := re.match(r"(\w+) Mimi decoder alone.*audio SNR (-?[\d.]+) dB", line):
            out.setdefault(m[1], {})["mimi_alone"] = float(m[2])
    return out


def verdict(value: float | None, ok) -> str:
    if value is None:
        return "not measured"
    return "**met**" if ok(value) else "**not met**"


def fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}{unit}"


def largest_real_time_count(rows: dict[int, dict]) -> int | None:
    """The largest session count whose every turn finished at ≥ 1× real time without an underrun."""
    good = [n for n, doc in rows.items()
            if doc["counts"]["ok"] == doc["counts"]["turns"] == n and doc["counts"]["turns_with_underruns"] == 0
            and (doc["summary"]["x_real_time"] or {}).get("min", 0) >= 1.0]
    return max(good) if good else (0 if rows else None)


def table(swift: dict, reference: dict, exact: dict | None, server_dir: Path | None,
          quality_text: str | None) -> list[str]:
    rows = server_rows(server_dir)
    startup = load(server_dir / "startup.json") if server_dir else None
    reference_server = load(server_dir / "reference_agent_wav_1.json") if server_dir else None
    precision = swift.get("precision", "?")
    one = swift["b_real_time_factor"]["times_faster_than_real_time"]
    exact_one = exact["e_concurrent_streams"][0]["min_times_faster_than_real_time"] if exact else None
    single = rows.get(1)
    through = single["summary"]["x_real_time"]["p50"] if single else None
    first = single["summary"]["first_audio_ms"]["p50"] if single else None
    ref_through = reference_server["summary"]["x_real_time"]["p50"] if reference_server else None
    ref_first = reference_server["summary"]["first_audio_ms"]["p50"] if reference_server else None
    largest = largest_real_time_count(rows)
    tried = max(rows) if rows else None
    burst = rows.get(BURST_SESSIONS)
    burst_p99 = burst["summary"]["first_audio_ms"]["p99"] if burst else None
    loaded = rows.get(LOADED_SESSIONS)
    loaded_rss = loaded.get("server_peak_rss_mb") if loaded else None
    idle_rss = startup.get("idle_rss_mb") if startup else None
    ready = startup.get("ready_s") if startup else None
    snr = quality(quality_text).get(precision, {})
    ref_one = reference["b_real_time_factor"]["times_faster_than_real_time"]

    def ref(value, text):
        return text.format(value) if value is not None else "—"

    lines = [f"## Targets (issue \"performance\")", "",
             f"Default precision `{precision}`. Reference: pocket-tts 1.1.1 in the same run (in process: "
             "`reference_bench.py`; through a server: its `POST /tts` in the server bench).", "",
             "| target | Swift | reference | |", "|---|---|---|---|",
             f"| one stream in process ≥ {ONE_STREAM:g}× real time ((b)) | {fmt(one, '×', 2)} | {fmt(ref_one, '×', 2)} "
             f"| {verdict(one, lambda v: v >= ONE_STREAM)} |",
             f"| one stream in process, `exact`, ≥ {EXACT_ONE_STREAM:g}× (engine-bench `--precision exact`) "
             f"| {fmt(exact_one, '×', 2)} | {fmt(ref_one, '×', 2)} | {verdict(exact_one, lambda v: v >= EXACT_ONE_STREAM)} |",
             f"| one session through the service ≥ {ONE_STREAM:g}× | {fmt(through, '×', 2)} "
             f"| {ref(ref_through, '{:.2f}×')} | {verdict(through, lambda v: v >= ONE_STREAM)} |",
             f"| first audio through the service, one session, median ≤ {FIRST_AUDIO_MS:g} ms | {fmt(first, ' ms')} "
             f"| {ref(ref_first, '{:.0f} ms')} | {verdict(first, lambda v: v <= FIRST_AUDIO_MS)} |",
             f"| sessions each ≥ 1× real time with no underrun (300 ms buffer) ≥ {SESSIONS} "
             f"| {'—' if largest is None else f'{largest} (of up to {tried} tried)'} | 1 at a time "
             f"| {verdict(largest, lambda v: v >= SESSIONS)} |",
             f"| {BURST_SESSIONS} sessions started together: first audio p99 ≤ {BURST_P99_MS:g} ms | {fmt(burst_p99, ' ms')} "
             f"| — | {verdict(burst_p99, lambda v: v <= BURST_P99_MS)} |",
             f"| server RSS idle ≤ {IDLE_RSS_MB:g} MB | {fmt(idle_rss, ' MB', 0)} | — "
             f"| {verdict(idle_rss, lambda v: v <= IDLE_RSS_MB)} |",
             f"| server peak RSS with {LOADED_SESSIONS} sessions ≤ {LOADED_RSS_MB:g} MB | {fmt(loaded_rss, ' MB', 0)} | — "
             f"| {verdict(loaded_rss, lambda v: v <= LOADED_RSS_MB)} |",
             f"| `/ready` ≤ {READY_S:g} s after start (cached model{', ' + startup['voice_kind'] if startup and startup.get('voice_kind') else ''}) "
             f"| {fmt(ready, ' s', 2)} | — | {verdict(ready, lambda v: v <= READY_S)} |",
             f"| default precision's latent SNR against `exact` ≥ {QUALITY_DB:g} dB (`kernel-bench quality`) "
             f"| {fmt(snr.get('latent'), ' dB')} (audio {fmt(snr.get('audio'), ' dB')}, Mimi decoder alone "
             f"{fmt(snr.get('mimi_alone'), ' dB')}) | — | {verdict(snr.get('latent'), lambda v: v >= QUALITY_DB)} |"]
    if any(line.endswith("| **not met** |") for line in lines):
        lines += ["", "Why a target is not met, with its profile: Benchmarks/README.md, \"Where the performance "
                      "targets stand\"."]
    return lines
