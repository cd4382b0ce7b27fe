"""pocket-tts-bench end to end: against the live server (WebSocket) and the POST /tts stand-in."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading

import pytest

from pocket_tts_client import bench

from fake_http_tts import FRAME, FakeTTSServer

TEXT = "Hello world. How are you?"


def run_bench(capsys, *arguments: str) -> tuple[int, str]:
    code = bench.main(list(arguments))
    return code, capsys.readouterr().out


def load(path) -> dict:
    return json.loads(path.read_text())


def check_turn(turn: dict) -> None:
    assert turn["error"] is None
    assert turn["messages"] > 0 and turn["audio_seconds"] == pytest.approx(turn["messages"] * 0.08)
    assert turn["first_audio_ms"] > 0 and turn["wall_seconds"] > 0
    assert turn["rtf"] == pytest.approx(turn["wall_seconds"] / turn["audio_seconds"])
    assert turn["underruns"] >= 0 and turn["stall_ms"] >= 0
    levels = turn["buffer_levels"]
    assert levels[-1][1] == 0 and all(level >= 0 for _, level in levels)


def test_agent_sessions_write_percentiles(server, capsys, tmp_path):
    out = tmp_path / "agent.json"
    code, printed = run_bench(capsys, "--url", server.url, "--sessions", "2", "--text", TEXT, "--temperature", "0",
                              "--json", str(out), "--per-turn")
    assert code == 0
    for label in ("first audio (ms)", "real-time factor", "underruns", "stall (ms)", "p50", "p90", "p99"):
        assert label in printed
    doc = load(out)
    assert doc["counts"]["ok"] == 2 and doc["counts"]["failed"] == 0
    assert {turn["session"] for turn in doc["turns"]} == {0, 1}
    for turn in doc["turns"]:
        check_turn(turn)
    # Temperature 0, same text: every turn has the same length.
    assert len({turn["messages"] for turn in doc["turns"]}) == 1
    first = doc["summary"]["first_audio_ms"]
    assert first["n"] == 2 and first["min"] <= first["p50"] <= first["p90"] <= first["p99"] <= first["max"]
    assert doc["settings"]["buffer_ms"] == 300 and doc["text"] == TEXT


def test_caption_style_times_first_audio_from_the_first_word(server, capsys, tmp_path):
    out = tmp_path / "caption.json"
    code, _ = run_bench(capsys, "--url", server.url, "--style", "caption", "--wps", "20", "--text", TEXT,
                        "--format", "opus", "--json", str(out))
    assert code == 0
    turn = load(out)["turns"][0]
    check_turn(turn)
    # The first sentence is complete only with its second word, sent 50 ms after the first.
    assert turn["first_audio_ms"] >= 50


def test_poisson_sessions_arrive_at_their_drawn_times(server, capsys, tmp_path):
    out = tmp_path / "poisson.json"
    code, _ = run_bench(capsys, "--url", server.url, "--style", "poisson", "--sessions", "3",
                        "--arrival-mean-ms", "150", "--arrival-seed", "7", "--text", "Hello world.", "--json", str(out))
    assert code == 0
    doc = load(out)
    delays = bench.arrival_delays(bench.parse_args(["--url", server.url, "--style", "poisson", "--sessions", "3",
                                                    "--arrival-mean-ms", "150", "--arrival-seed", "7"]))
    assert delays[0] == 0 and delays == sorted(delays) and len(set(delays)) == 3
    for turn in doc["turns"]:
        check_turn(turn)
        assert turn["arrived_at"] >= delays[turn["session"]]  # connects at its arrival, then speaks


def test_plot_draws_a_png(server, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "plot.png"
    code, _ = run_bench(capsys, "--url", server.url, "--text", "Hello world.", "--plot", str(out))
    assert code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_refused_sessions_are_reported_and_fail_the_run(start_server, capsys, tmp_path):
    one_stream = start_server("--max-streams", "1")
    out = tmp_path / "refused.json"
    code, printed = run_bench(capsys, "--url", one_stream.url, "--sessions", "2", "--text", "Hello world.",
                              "--json", str(out))
    assert code == 1
    doc = load(out)
    assert doc["counts"] == {**doc["counts"], "ok": 1, "failed": 1}
    errors = [turn["error"] for turn in doc["turns"] if turn["error"]]
    assert len(errors) == 1 and errors[0].startswith("at_capacity") and "at_capacity" in printed


def test_unknown_voice_fails_every_session(server, capsys):
    code, printed = run_bench(capsys, "--url", server.url, "--sessions", "2", "--voice", "nobody")
    assert code == 1 and printed.count("unknown_voice") == 2


def bench_against_fake(capsys, fake: FakeTTSServer, *arguments: str) -> tuple[int, str]:
    """Runs the bench (its own event loop) against `fake`, served by a loop in another thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result()
    try:
        return run_bench(capsys, "--url", fake.url, *arguments)
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()


def test_http_url_posts_the_form(capsys, tmp_path):
    fake = FakeTTSServer(frames=8)
    out = tmp_path / "http.json"
    code, _ = bench_against_fake(capsys, fake, "--sessions", "2", "--json", str(out))
    assert code == 0
    doc = load(out)
    assert doc["counts"]["ok"] == 2 and len(fake.forms) == 2
    for turn in doc["turns"]:
        assert turn["audio_seconds"] == pytest.approx(8 * FRAME / 24000)
        assert turn["first_audio_ms"] > 0 and turn["underruns"] >= 0


def test_a_stalled_turn_fails_after_the_timeout_keeping_what_arrived(capsys, tmp_path):
    # The header, then 2 frames, then a pause far longer than --timeout.
    fake = FakeTTSServer(frames=4, stall_after=2, stall=3.0)
    out = tmp_path / "stalled.json"
    code, printed = bench_against_fake(capsys, fake, "--timeout", "0.5", "--json", str(out))
    assert code == 1 and "timeout" in printed
    turn = load(out)["turns"][0]
    assert turn["error"].startswith("timeout") and turn["messages"] == 2
    assert turn["audio_seconds"] == pytest.approx(2 * FRAME / 24000)


@pytest.mark.parametrize("arguments, message", [
    (["--url", "ftp://host/tts"], "--url must start with"),
    (["--url", "http://host/tts", "--style", "caption"], "needs the WebSocket protocol"),
    (["--url", "ws://host/tts/ws", "--sessions", "0"], "at least 1"),
    (["--url", "http://host/tts", "--model", "english"], "--model is sent in the WebSocket config"),
])
def test_command_line_errors(arguments, message):
    result = subprocess.run([sys.executable, "-m", "pocket_tts_client.bench", *arguments],
                            capture_output=True, text=True)
    assert result.returncode == 2 and message in result.stderr


def test_model_goes_into_every_turns_config():
    args = bench.parse_args(["--url", "ws://host/tts/ws", "--model", "english_2m_2026-10"])
    assert bench.turn_config(args)["model"] == "english_2m_2026-10"
    assert bench.turn_config(bench.parse_args(["--url", "ws://host/tts/ws"]))["model"] is None  # configure() leaves None out
