#!/usr/bin/env python3
"""Server-level benchmark: `pocket-tts-bench` through the real WebSocket service on the full-size
b6369a24 model with random bf16 weights, for 1, 2, 4, 8, 12 and 16 concurrent sessions, in each
style and format asked; optionally the reference's HTTP server (`POST /tts`) in the same run for
the single-session figures (right after ours, agent style, PCM/WAV). Run it through `Benchmarks/server_bench.sh`, which builds the release
binary and the client's virtual environment first.

    Benchmarks/server_bench.sh [--sessions 1,2,4,8,12,16] [--styles agent,caption,poisson]
        [--formats pcm,opus] [--reference] [--out Benchmarks/results/server]
    Benchmarks/server_bench.sh --capacity [--out Benchmarks/results/capacity]
    Benchmarks/server_bench.sh --model english_2m_2026-10 [...]

`--model NAME|FILE`: the model served (a config of Configs/models/, e.g. `english`,
`english_2m_2026-10`, `french`, or a config file); default b6369a24. Random bf16 weights of its
shapes are made once per model in `--workdir`; the tokenizer stays `--tokenizer`.

`--capacity` (issue 24): starts the service with the default configuration (`max_streams: auto`),
reads the capacity it measured from /metrics (`pocket_tts_capacity_streams`), offers that many
sessions plus one at once, and reports how many were admitted, how many refused (`at_capacity`)
and the underruns among the admitted (the invariant: none).

Every run: the same three-sentence text, temperature 0.7, EOS disabled (threshold 1e9) so every
sentence runs to its frame budget and every turn has the same length, a 300 ms playout buffer.
Writes one JSON (and PNG, with matplotlib) per run and SUMMARY.md, a table of them all.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Scripts" / "reference"))
from fullsize_common import DEFAULT_CONFIG, DEFAULT_SPEECH, DEFAULT_TOKENIZER, ensure_binary, ensure_random_weights, log  # noqa: E402


# The served model's config (`--model`); set once in main.
MODEL_CONFIG = DEFAULT_CONFIG


def model_config(name: str | None) -> Path:
    """`--model`: a config file, or the name of one in Configs/models/ (default: b6369a24)."""
    if name is None:
        return DEFAULT_CONFIG
    for candidate in (Path(name), REPO / "Configs" / "models" / f"{name}.yaml", REPO / "Configs" / f"{name}.yaml"):
        if candidate.is_file():
            return candidate
    known = sorted(p.stem for p in (REPO / "Configs" / "models").glob("*.yaml"))
    raise SystemExit(f"--model {name}: no such config file or model ({', '.join(known)})")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise SystemExit(f"{url} not ready after {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process (VmRSS), MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def start_service(binary: Path, weights: Path, tokenizer: Path, voice: Path, max_streams: int | None,
                  log_file: Path, extra: list[str] = ()) -> tuple[subprocess.Popen, str, dict]:
    """Starts the service; returns it, its URL and its start-up figures: seconds from spawn to a 200
    from /ready (weights from the page cache, the voice file encoded at start) and idle RSS."""
    port = free_port()
    settings = log_file.with_name("server.yaml")
    # The built-in defaults (not Configs/server.yaml), except the per-address cap: every bench
    # session comes from 127.0.0.1; and no Wyoming port (the bench does not use it, and another
    # service on the machine may hold 10200).
    settings.write_text("max_sessions_per_address: 0\nwyoming_port: 0\n")
    command = [str(binary), "serve", "--no-download", "--config", str(MODEL_CONFIG.resolve()), "--weights", str(weights),
               "--tokenizer", str(tokenizer),
               "--voice", str(voice), "--server-config", str(settings), "--host", "127.0.0.1", "--port", str(port),
               *(["--max-streams", str(max_streams), "--max-sessions", str(max_streams * 2)] if max_streams else []),
               "--log-level", "info" if max_streams is None else "warning", *extra]
    log("$ " + " ".join(command))
    environment = {key: value for key, value in os.environ.items() if not key.startswith("POCKET_TTS_")}
    spawned = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=log_file.open("wb"), stderr=subprocess.STDOUT)
    wait_ready(f"http://127.0.0.1:{port}/ready", process, timeout=300)
    kind = "a voice state" if voice.suffix == ".safetensors" else "an audio file cloned at start"
    startup = {"ready_s": time.monotonic() - spawned, "voice": str(voice), "voice_kind": kind}
    time.sleep(1)
    startup["idle_rss_mb"] = rss_mb(process.pid)
    log(f"service ready {startup['ready_s']:.2f} s after start; idle RSS {startup['idle_rss_mb']:.0f} MB")
    return process, f"ws://127.0.0.1:{port}/tts/ws", startup


def ensure_voice_state(binary: Path, weights: Path, tokenizer: Path, audio: Path, workdir: Path) -> Path:
    """The voice state (`pocket-tts export-voice`) of `audio` for these weights, made once in workdir:
    what a predefined voice is, so `/ready` times a start with a cached model and voice."""
    out = workdir / f"voice_state_{audio.stem}_{weights.stem}.safetensors"
    if not out.exists() or out.stat().st_mtime < max(audio.stat().st_mtime, weights.stat().st_mtime):
        command = [str(binary), "export-voice", "--no-download", "--quiet", "--config", str(MODEL_CONFIG.resolve()),
                   "--weights", str(weights),
                   "--tokenizer", str(tokenizer), str(audio), str(out)]
        log("$ " + " ".join(command))
        subprocess.run(command, cwd=REPO, check=True)
    return out


def start_reference(python: str, workdir: Path, binary: Path, log_file: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [python, str(REPO / "Benchmarks" / "reference_server.py"), "--port", str(port),
               "--workdir", str(workdir), "--binary", str(binary)]
    log("$ " + " ".join(command))
    process = subprocess.Popen(command, cwd=REPO, stdout=log_file.open("wb"), stderr=subprocess.STDOUT)
    wait_ready(f"http://127.0.0.1:{port}/health", process, timeout=600)
    return process, f"http://127.0.0.1:{port}/tts"


def reference_python(given: str | None) -> str | None:
    candidates = [given, "/opt/ref-venv/bin/python", str(REPO / ".build" / "ref-venv" / "bin" / "python")]
    return next((c for c in candidates if c and Path(c).exists()), None)


class CPUMeter:
    """Cores used during a run (Linux /proc): by the server, by the bench client, and by everything
    else on the machine (other processes competing for the cores). The load average cannot tell:
    it lags by a minute and counts the server's own threads."""

    TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.peak_rss_mb: float | None = None
        self._done = threading.Event()

    def _rss_now(self) -> float | None:
        return rss_mb(self.server_pid)

    def _sample_rss(self) -> None:
        while not self._done.wait(0.1):
            value = self._rss_now()
            if value is not None:
                self.peak_rss_mb = max(self.peak_rss_mb or 0.0, value)

    def _read(self) -> tuple[float, float, float, float] | None:
        try:
            fields = Path("/proc/stat").read_text().split("\n")[0].split()[1:]
            busy = sum(int(value) for i, value in enumerate(fields[:8]) if i not in (3, 4))  # not idle, iowait
            stat = Path(f"/proc/{self.server_pid}/stat").read_text().rsplit(")", 1)[1].split()
            server = int(stat[11]) + int(stat[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            return None
        children = os.times()
        return time.monotonic(), busy / self.TICKS, server / self.TICKS, children.children_user + children.children_system

    def __enter__(self) -> "CPUMeter":
        self.start = self._read()
        self.cores: dict | None = None
        self._sampler = threading.Thread(target=self._sample_rss, daemon=True)
        self._sampler.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._sampler.join()
        end = self._read()
        if self.start is None or end is None or end[0] <= self.start[0]:
            return
        wall, busy, server, client = (b - a for a, b in zip(self.start, end))
        self.cores = {"server": server / wall, "bench_client": client / wall,
                      "others": max(0.0, busy - server - client) / wall}


def bench(url: str, name: str, out: Path, arguments: list[str], plot: bool, server_pid: int | None = None) -> dict | None:
    command = [sys.executable, "-m", "pocket_tts_client.bench", "--url", url, "--json", str(out / f"{name}.json"),
               "--eos-threshold", "1e9", *arguments]
    if plot:
        command += ["--plot", str(out / f"{name}.png")]
    log("$ pocket-tts-bench " + " ".join(command[3:]))
    with CPUMeter(server_pid or 0) as meter:
        result = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    print(result.stdout, file=sys.stderr, flush=True)
    if meter.cores:
        log("cores used: " + ", ".join(f"{key} {value:.2f}" for key, value in meter.cores.items()))
    path = out / f"{name}.json"
    if not path.exists():
        return None
    doc = json.loads(path.read_text())
    doc["cores_used"] = meter.cores
    doc["server_peak_rss_mb"] = meter.peak_rss_mb
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return doc


def cell(stats: dict | None, key: str, digits: int = 0) -> str:
    return "-" if not stats else f"{stats[key]:.{digits}f}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def cores_cell(cores: dict | None) -> str:
    if not cores:
        return "-"
    return f"{cores['server']:.2f} / {cores['bench_client']:.2f} / {cores['others']:.2f}"


def summary_table(rows: list[tuple[str, dict]]) -> str:
    lines = ["| server | style | format | sessions | ok | first audio p50 / p90 / p99 ms | x real time min / p50 "
             "| turns with underruns | stall p99 ms | max gap p99 ms | cores: server / client / others | server peak RSS MB |",
             "|---|---|---|--:|--:|---|---|--:|--:|--:|--:|--:|"]
    for server, doc in rows:
        s, counts, settings = doc["summary"], doc["counts"], doc["settings"]
        first = s["first_audio_ms"]
        lines.append(
            f"| {server} | {settings['style']} | {settings['format'] if settings['url'].startswith('ws') else 'wav'} "
            f"| {settings['sessions']} | {counts['ok']}/{counts['turns']} "
            f"| {cell(first, 'p50')} / {cell(first, 'p90')} / {cell(first, 'p99')} "
            f"| {cell(s['x_real_time'], 'min', 2)} / {cell(s['x_real_time'], 'p50', 2)} "
            f"| {counts['turns_with_underruns']} | {cell(s['stall_ms'], 'p99')} | {cell(s['max_gap_ms'], 'p99')} "
            f"| {cores_cell(doc.get('cores_used'))} | {cell(doc, 'server_peak_rss_mb') if doc.get('server_peak_rss_mb') else '-'} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", default="1,2,4,8,12,16")
    parser.add_argument("--styles", default="agent,caption,poisson")
    parser.add_argument("--formats", default="pcm,opus")
    parser.add_argument("--buffer-ms", default="300")
    parser.add_argument("--wps", default="3", help="caption style: words per second")
    parser.add_argument("--arrival-mean-ms", default="500", help="poisson style: mean interval between sessions")
    parser.add_argument("--reference", action="store_true", help="also the reference's POST /tts, 1 session")
    parser.add_argument("--reference-python", default=os.environ.get("REFERENCE_PYTHON"),
                        help="python with pocket-tts==1.1.1 (default: /opt/ref-venv, then .build/ref-venv)")
    parser.add_argument("--out", type=Path, default=REPO / "Benchmarks" / "results" / "server")
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("WORKDIR", "/tmp/pocket-tts-bench")))
    parser.add_argument("--binary", type=Path)
    parser.add_argument("--tokenizer", type=Path, default=DEFAULT_TOKENIZER)
    parser.add_argument("--voice", type=Path, default=DEFAULT_SPEECH,
                        help="the service's voice: an audio file (exported once to a voice state in --workdir, unless "
                             "--clone-at-start) or a voice state (.safetensors)")
    parser.add_argument("--capacity", action="store_true",
                        help="the capacity scenario: a default-config service offered its measured capacity + 1 sessions")
    parser.add_argument("--playout-margin", help="--capacity: the service's playout_margin (default: its default)")
    parser.add_argument("--clone-at-start", action="store_true",
                        help="start the service with the audio file itself (cloned at start: a slower /ready)")
    parser.add_argument("--model", help="the model served: a name of Configs/models/ (english, english_2m_2026-10, ...) "
                                        "or a config file (default: b6369a24)")
    args = parser.parse_args()

    global MODEL_CONFIG
    MODEL_CONFIG = model_config(args.model)
    sessions = [int(n) for n in args.sessions.split(",")]
    binary = ensure_binary(args.binary)
    suffix = "" if MODEL_CONFIG == DEFAULT_CONFIG else f"_{MODEL_CONFIG.stem}"
    weights = ensure_random_weights(binary, MODEL_CONFIG.resolve(), args.workdir / f"random_bf16_seed0{suffix}.safetensors", 0, "bf16")
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        import matplotlib  # noqa: F401
        plot = True
    except ImportError:
        plot = False
        log("matplotlib missing: no plots")

    if args.capacity:
        return capacity_scenario(args, binary, weights)

    rows: list[tuple[str, dict]] = []
    common = ["--buffer-ms", args.buffer_ms]
    servers: list[subprocess.Popen] = []
    try:
        voice = args.voice
        if voice.suffix != ".safetensors" and not args.clone_at_start:
            voice = ensure_voice_state(binary, weights, args.tokenizer, voice, args.workdir)
        process, url, startup = start_service(binary, weights, args.tokenizer, voice, max(sessions), args.out / "service.log")
        (args.out / "startup.json").write_text(json.dumps(startup, indent=1) + "\n")
        servers.append(process)
        reference_url = None
        if args.reference:
            python = reference_python(args.reference_python)
            if python is None:
                log("no Python with pocket-tts==1.1.1: the reference is skipped (see Benchmarks/reference_server.py)")
            else:
                process, reference_url = start_reference(python, args.workdir, binary, args.out / "reference.log")
                servers.append(process)
        bench(url, "warmup", args.out, ["--sessions", "1", "--text", "Warm up."], plot=False)
        if reference_url:
            bench(reference_url, "warmup", args.out, ["--sessions", "1", "--text", "Warm up."], plot=False)
        for style in args.styles.split(","):
            for audio_format in args.formats.split(","):
                for count in sessions:
                    extra = {"caption": ["--wps", args.wps], "poisson": ["--arrival-mean-ms", args.arrival_mean_ms]}.get(style, [])
                    doc = bench(url, f"swift_{style}_{audio_format}_{count}", args.out,
                                ["--sessions", str(count), "--style", style, "--format", audio_format, *common, *extra],
                                plot, servers[0].pid)
                    if doc:
                        rows.append(("swift", doc))
                    if reference_url and count == 1 and style == "agent" and audio_format == "pcm":
                        # Right after our single session, under the same load: the reference's.
                        doc = bench(reference_url, "reference_agent_wav_1", args.out, ["--sessions", "1", *common], plot,
                                    servers[1].pid)
                        if doc:
                            rows.append(("reference", doc))
    finally:
        for process in servers:
            stop(process)
        (args.out / "warmup.json").unlink(missing_ok=True)

    table = summary_table(rows)
    (args.out / "SUMMARY.md").write_text(
        "# Server benchmark (`Benchmarks/server_bench.sh`)\n\n"
        f"{time.strftime('%Y-%m-%d %H:%M')}, {cpu_model()}, {os.cpu_count()} CPUs; model {MODEL_CONFIG.stem}, full-size random bf16 weights, EOS disabled, "
        f"buffer {args.buffer_ms} ms. One JSON (+ PNG) per row in this directory. Cores: CPU time / wall time "
        f"during the run of the server, the bench client and every other process on the machine.\n\n"
        f"Service start (`serve` with `--max-streams {max(sessions)}`, weights in the page cache, {startup['voice_kind']}): "
        f"`/ready` answered 200 after {startup['ready_s']:.2f} s; idle RSS {startup['idle_rss_mb']:.0f} MB. "
        f"Server peak RSS: the largest VmRSS sampled every 100 ms during the row's run.\n\n{table}\n")
    print(table)
    return 0


def metric(url: str, name: str) -> float | None:
    with urllib.request.urlopen(url, timeout=5) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
    return None


def capacity_scenario(args: argparse.Namespace, binary: Path, weights: Path) -> int:
    """Issue 24's invariant: with the defaults, capacity + 1 sessions offered at once: capacity
    admitted, one refused (`at_capacity`), no underrun among the admitted."""
    out = args.out if args.out != REPO / "Benchmarks" / "results" / "server" else REPO / "Benchmarks" / "results" / "capacity"
    out.mkdir(parents=True, exist_ok=True)
    voice = args.voice
    if voice.suffix != ".safetensors" and not args.clone_at_start:
        voice = ensure_voice_state(binary, weights, args.tokenizer, voice, args.workdir)
    extra = ["--playout-margin", args.playout_margin] if args.playout_margin else []
    load_before = os.getloadavg()
    process, url, startup = start_service(binary, weights, args.tokenizer, voice, None, out / "service.log", extra)
    try:
        http = url.replace("ws://", "http://").rsplit("/tts/ws", 1)[0]
        bench(url, "warmup", out, ["--sessions", "1", "--text", "Warm up."], plot=False)
        # The probe runs after /ready (a few seconds under load): wait for its log line.
        deadline = time.monotonic() + 60
        while "capacity of" not in (out / "service.log").read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # a live window or two: the cores other processes keep busy
        capacity = int(metric(f"{http}/metrics", "pocket_tts_capacity_streams") or 0)
        log(f"measured capacity: {capacity} streams")
        offered = capacity + 1
        doc = bench(url, f"capacity_{offered}", out, ["--sessions", str(offered), "--buffer-ms", args.buffer_ms],
                    plot=False, server_pid=process.pid)
        capacity_after = metric(f"{http}/metrics", "pocket_tts_capacity_streams")
    finally:
        stop(process)
        (out / "warmup.json").unlink(missing_ok=True)
    load_after = os.getloadavg()
    if not doc:
        log("the bench wrote no JSON")
        return 1
    turns = doc["turns"]
    refused = [t for t in turns if t["error"] and "capacity" in t["error"]]
    admitted = [t for t in turns if t not in refused]
    failed = [t for t in admitted if t["error"]]
    underrun_turns = [t for t in admitted if t.get("underruns")]
    result = {
        "machine": f"{cpu_model()}, {os.cpu_count()} CPUs",
        "load_average_before": load_before, "load_average_after": load_after,
        "cores_used": doc.get("cores_used"), "startup": startup,
        "capacity_measured": capacity, "capacity_after_run": capacity_after, "offered": offered,
        "admitted": len(admitted), "refused": len(refused), "failed_admitted": len(failed),
        "admitted_turns_with_underruns": len(underrun_turns),
        "underruns_total": sum(t.get("underruns") or 0 for t in admitted),
        "x_real_time_min_admitted": min((t["x_real_time"] for t in admitted if t.get("x_real_time")), default=None),
        "first_audio_ms_p50": doc["summary"]["first_audio_ms"]["p50"] if doc["summary"].get("first_audio_ms") else None,
        "buffer_ms": args.buffer_ms, "playout_margin": args.playout_margin or "default (0.2)",
    }
    (out / "capacity.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
