#!/usr/bin/env python3
"""Scale-out benchmark: two `pocket-tts serve` instances behind Debian's nginx with
Configs/nginx.conf (least_conn, WebSocket upgrade), all on loopback, and `pocket-tts-bench` through
nginx; then the same bench against one instance alone, in the same run, for comparison. Run it
through `Benchmarks/scale_out.sh`, which builds the release binary and the client's environment.

    Benchmarks/scale_out.sh [--sessions 1,2,4,8] [--styles agent] [--formats pcm] [--instances 2]
        [--demo] [--out Benchmarks/results/scale_out]

Model: the full-size b6369a24 architecture with random bf16 weights (as server_bench.py), or
`--demo` (seeded random weights made in memory). Same text and settings as server_bench.py: three
sentences, EOS disabled, temperature 0.7, 300 ms playout buffer. On one machine the instances
share its cores: this shows the balancer working and what it costs, not more throughput.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Benchmarks"))
import server_bench  # noqa: E402
from server_bench import CPUMeter, cpu_model, rss_mb, free_port, log, stop, summary_table, wait_ready  # noqa: E402
from fullsize_common import DEFAULT_CONFIG, DEFAULT_SPEECH, DEFAULT_TOKENIZER, ensure_binary, ensure_random_weights  # noqa: E402


class GroupMeter(CPUMeter):
    """CPUMeter over several server processes (the instances and nginx): their CPU time summed."""

    def __init__(self, pids: list[int]):
        super().__init__(pids[0])
        self.pids = pids

    def _rss_now(self) -> float | None:
        """The instances' and nginx's resident memory together."""
        values = [rss_mb(pid) for pid in self.pids]
        return None if None in values else sum(values)

    def _read(self):
        total = 0.0
        first = None
        for pid in self.pids:
            self.server_pid = pid
            sample = CPUMeter._read(self)
            if sample is None:
                return None
            first = first or sample
            total += sample[2]
        return first[0], first[1], total, first[3]


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise SystemExit("nginx not found: apt-get install nginx-light (or: bash Scripts/install-deps.sh --bench)")
    return found


def nginx_config(site: str, listen: int, upstreams: list[int], prefix: Path) -> str:
    """Configs/nginx.conf with the listen port and upstream servers rewritten, inside a main
    config that keeps every path in `prefix` (no root-owned directories, no daemon)."""
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;\n" for port in upstreams)
    site = re.sub(r"(?m)^    server 127\.0\.0\.1:\d+ [^\n]*\n", "", site)
    site = site.replace("    least_conn;\n", "    least_conn;\n" + servers, 1)
    site = re.sub(r"(?m)^    listen 8080;", f"    listen 127.0.0.1:{listen};", site)
    return f"""worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{site}
}}
"""


def start_instance(binary: Path, model: list[str], tokenizer: Path, voice: Path, max_streams: int, log_file: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    settings = log_file.with_suffix(".yaml")
    settings.write_text("")  # the built-in defaults, not Configs/server.yaml
    command = [str(binary), "serve", *model, "--no-download", "--tokenizer", str(tokenizer), "--voice", str(voice),
               "--server-config", str(settings), "--host", "127.0.0.1", "--port", str(port), "--wyoming-port", "0",
               "--max-streams", str(max_streams), "--max-sessions", str(max_streams * 2), "--log-level", "warning"]
    log("$ " + " ".join(command))
    environment = {key: value for key, value in os.environ.items() if not key.startswith("POCKET_TTS_")}
    process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=log_file.open("wb"), stderr=subprocess.STDOUT)
    return process, port


def sessions_opened(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        lines = answer.read().decode().splitlines()
    # One series per protocol: pocket_tts_sessions_opened_total{protocol="native"}.
    return int(sum(float(line.split()[-1]) for line in lines if line.startswith("pocket_tts_sessions_opened_total")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", default="1,2,4,8")
    parser.add_argument("--styles", default="agent")
    parser.add_argument("--formats", default="pcm")
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--buffer-ms", default="300")
    parser.add_argument("--text", help="the text of every turn (default: the bench's three sentences)")
    parser.add_argument("--demo", action="store_true", help="--demo weights instead of the full-size random bf16 file")
    parser.add_argument("--no-single", action="store_true", help="skip the one-instance comparison runs")
    parser.add_argument("--out", type=Path, default=REPO / "Benchmarks" / "results" / "scale_out")
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("WORKDIR", "/tmp/pocket-tts-bench")))
    parser.add_argument("--binary", type=Path)
    parser.add_argument("--tokenizer", type=Path, default=DEFAULT_TOKENIZER)
    parser.add_argument("--voice", type=Path, default=DEFAULT_SPEECH)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers (finally) on SIGTERM too

    sessions = [int(n) for n in args.sessions.split(",")]
    binary = ensure_binary(args.binary)
    nginx = nginx_binary()
    if args.demo:
        model = ["--demo"]
    else:
        weights = ensure_random_weights(binary, DEFAULT_CONFIG.resolve(), args.workdir / "random_bf16_seed0.safetensors", 0, "bf16")
        model = ["--weights", str(weights)]
    args.out.mkdir(parents=True, exist_ok=True)
    prefix = Path(tempfile.mkdtemp(prefix="pocket-tts-nginx-"))
    os.chmod(prefix, 0o755)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / name).mkdir(mode=0o777)
        os.chmod(prefix / name, 0o777)  # nginx's workers run as nobody when started by root

    rows: list[tuple[str, dict]] = []
    processes: list[subprocess.Popen] = []
    balance: list[str] = []
    try:
        instances = [start_instance(binary, model, args.tokenizer, args.voice, max(sessions), args.out / f"instance{i}.log")
                     for i in range(args.instances)]
        processes += [process for process, _ in instances]
        for process, port in instances:
            wait_ready(f"http://127.0.0.1:{port}/ready", process, timeout=900)  # slow on a busy machine
        ports = [port for _, port in instances]
        listen = free_port()
        config = prefix / "nginx.conf"
        config.write_text(nginx_config((REPO / "Configs" / "nginx.conf").read_text(), listen, ports, prefix))
        subprocess.run([nginx, "-t", "-q", "-c", str(config), "-p", str(prefix)], check=True)
        proxy = subprocess.Popen([nginx, "-c", str(config), "-p", str(prefix), "-g", "daemon off;"],
                                 stdout=(args.out / "nginx.log").open("wb"), stderr=subprocess.STDOUT)
        processes.append(proxy)
        wait_ready(f"http://127.0.0.1:{listen}/ready", proxy, timeout=20)
        log(f"nginx on 127.0.0.1:{listen} -> instances on {', '.join(map(str, ports))}")

        def run(url: str, name: str, extra: list[str], pids: list[int]) -> dict | None:
            server_bench.CPUMeter = lambda _pid: GroupMeter(pids)  # bench() meters every server process
            return server_bench.bench(url, name, args.out, extra, plot=False, server_pid=pids[0])

        every = [process.pid for process in processes]
        run(f"ws://127.0.0.1:{listen}/tts/ws", "warmup", ["--sessions", str(args.instances), "--text", "Warm up."], every)
        for style in args.styles.split(","):
            for audio_format in args.formats.split(","):
                for count in sessions:
                    extra = ["--sessions", str(count), "--style", style, "--format", audio_format, "--buffer-ms", args.buffer_ms,
                             *(["--text", args.text] if args.text else [])]
                    before = [sessions_opened(port) for port in ports]
                    doc = run(f"ws://127.0.0.1:{listen}/tts/ws", f"nginx{args.instances}_{style}_{audio_format}_{count}", extra, every)
                    spread = [sessions_opened(port) - b for port, b in zip(ports, before)]
                    balance.append(f"{style} {audio_format} {count} sessions: " + " + ".join(map(str, spread)))
                    if doc:
                        rows.append((f"nginx, {args.instances} instances", doc))
                    if not args.no_single:
                        doc = run(f"ws://127.0.0.1:{ports[0]}/tts/ws", f"single_{style}_{audio_format}_{count}", extra,
                                  [processes[0].pid])
                        if doc:
                            rows.append(("1 instance, direct", doc))
    finally:
        for process in reversed(processes):
            stop(process)
        (args.out / "warmup.json").unlink(missing_ok=True)
        shutil.copy(prefix / "nginx.conf", args.out / "nginx.generated.conf") if (prefix / "nginx.conf").exists() else None
        shutil.rmtree(prefix, ignore_errors=True)

    table = summary_table(rows)
    weights_text = "--demo weights" if args.demo else "full-size random bf16 weights"
    (args.out / "SUMMARY.md").write_text(
        "# Scale-out benchmark (`Benchmarks/scale_out.sh`)\n\n"
        f"{time.strftime('%Y-%m-%d %H:%M')}, {cpu_model()}, {os.cpu_count()} CPUs; {args.instances} instances behind nginx "
        f"(Configs/nginx.conf, least_conn) on loopback, {weights_text}, EOS disabled, buffer {args.buffer_ms} ms. "
        "The instances share the machine's cores. Cores: CPU time / wall time of the servers (instances + nginx), "
        "the bench client and every other process. Server peak RSS: the largest sum of the servers' VmRSS "
        "(instances + nginx) sampled every 100 ms during the row's run.\n\n"
        f"{table}\n\nSessions each instance received through nginx (least_conn):\n\n"
        + "".join(f"- {line}\n" for line in balance))
    print(table)
    print("\n".join(balance))
    return 0


if __name__ == "__main__":
    sys.exit(main())
