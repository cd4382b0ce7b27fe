"""`pocket-tts say`, the Swift client on libwebsockets' client API, against a live server."""
from __future__ import annotations

import re
import subprocess
import wave

from conftest import server_binary

FIRST_AUDIO = re.compile(r"first audio: (\d+\.\d) ms; ([\d.]+) s of audio")


def say(*arguments: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(server_binary()), "say", *arguments], input=stdin, capture_output=True, timeout=120)


def test_say_writes_a_wav_file_and_reports_first_audio(server, tmp_path):
    out = tmp_path / "out.wav"
    done = say("--url", server.url, "--text", "Hello big world.", "--output", str(out))
    assert done.returncode == 0, done.stderr.decode()
    match = FIRST_AUDIO.search(done.stderr.decode())
    assert match, done.stderr.decode()
    with wave.open(str(out)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 24000)
        frames = audio.getnframes()
    assert frames > 0 and frames % 1920 == 0  # whole 80 ms frames
    assert abs(frames / 24000 - float(match.group(2))) < 0.01


def test_say_streams_raw_pcm_to_stdout_from_stdin_text(server):
    done = say("--url", server.url, stdin=b"Good morning.")
    assert done.returncode == 0, done.stderr.decode()
    assert len(done.stdout) > 0 and len(done.stdout) % (1920 * 2) == 0
    assert "first audio:" in done.stderr.decode()


def test_say_needs_the_key_when_the_server_has_keys(start_server, tmp_path):
    keyed = start_server("--api-key", "k1")
    refused = say("--url", keyed.url, "--text", "Hi.", "--output", str(tmp_path / "no.pcm"))
    assert refused.returncode != 0 and "connection failed" in refused.stderr.decode()
    allowed = say("--url", keyed.url, "--text", "Hi.", "--api-key", "k1", "--format", "opus",
                  "--output", str(tmp_path / "yes.opus"))
    assert allowed.returncode == 0, allowed.stderr.decode()
    assert (tmp_path / "yes.opus").stat().st_size > 0


def test_say_rejects_a_wav_file_for_opus(server, tmp_path):
    done = say("--url", server.url, "--text", "Hi.", "--format", "opus", "--output", str(tmp_path / "x.wav"))
    assert done.returncode != 0 and "--format pcm" in done.stderr.decode()
