"""The simulated playout buffer, on hand-computed arrival patterns."""
import pytest

from pocket_tts_client import simulate_playout

FRAME = 0.08


def frames(times):
    return [(at, FRAME) for at in times]


def test_no_audio_never_plays():
    playout = simulate_playout([], 0.3)
    assert playout.start_time is None and playout.underruns == 0 and playout.levels == []


def test_steady_real_time_arrivals_never_underrun():
    playout = simulate_playout(frames([0.1 + 0.08 * i for i in range(20)]), 0.3)
    assert playout.start_time == pytest.approx(0.1 + 0.08 * 3)  # the 4th frame makes 320 ms >= 300 ms
    assert playout.underruns == 0 and playout.stall_seconds == 0
    assert playout.end_time == pytest.approx(0.1 + 0.08 * 19 + 4 * 0.08)


def test_a_burst_then_a_late_frame_stalls_once_for_the_gap():
    # 4 frames at once (320 ms), then one frame 1 s later: dry at 0.32, stall until 1.0.
    playout = simulate_playout(frames([0, 0, 0, 0, 1.0]), 0.3)
    assert playout.start_time == 0
    assert playout.underruns == 1
    assert playout.stall_seconds == pytest.approx(1.0 - 0.32)
    assert playout.end_time == pytest.approx(1.08)
    assert (pytest.approx(0.32), 0.0) in [(at, level) for at, level in playout.levels]


def test_slower_than_real_time_counts_every_stall():
    # One frame every 100 ms, playback after the first 4 (at 0.3 s): from then on each frame
    # lasts 80 ms and the next comes 100 ms later: 20 ms stalls between the remaining frames.
    playout = simulate_playout(frames([0.1 * i for i in range(10)]), 0.3)
    assert playout.start_time == pytest.approx(0.3)
    # The buffer holds 320 ms at 0.3 and gains 80 ms per 100 ms: it first runs dry only when
    # 320 + 80k < 100 (k + 1), i.e. after k = 11 frames; with 10 frames it never does.
    assert playout.underruns == 0
    slow = simulate_playout(frames([0.2 * i for i in range(10)]), 0.3)
    # Start at 0.6 with 320 ms; each later frame arrives 200 ms after the previous and brings 80 ms.
    # Level at 0.8: 120 + 80 = 200; at 1.0: 0 + 80 (no stall: exactly empty); at 1.2: dry at 1.08, stall 120 ms.
    assert slow.start_time == pytest.approx(0.6)
    assert slow.underruns == 4  # frames at 1.2, 1.4, 1.6, 1.8
    assert slow.stall_seconds == pytest.approx(4 * 0.12)


def test_a_turn_shorter_than_the_buffer_plays_from_its_last_frame():
    playout = simulate_playout(frames([0.0, 0.05]), 0.3)
    assert playout.start_time == 0.05 and playout.underruns == 0
    assert playout.end_time == pytest.approx(0.05 + 0.16)


def test_zero_buffer_starts_at_the_first_frame():
    playout = simulate_playout(frames([0.5, 0.58, 0.7]), 0.0)
    assert playout.start_time == 0.5
    assert playout.underruns == 1 and playout.stall_seconds == pytest.approx(0.7 - 0.66)


def test_levels_step_up_on_arrival_and_drain_linearly():
    playout = simulate_playout(frames([0.0, 0.1, 0.2, 0.3, 0.35]), 0.3)
    levels = playout.levels
    times = [at for at, _ in levels]
    assert times == sorted(times)
    assert levels[0] == (0.0, 0.0) and levels[1] == (0.0, pytest.approx(0.08))
    assert levels[-1] == (pytest.approx(playout.end_time), 0.0)
    assert max(level for _, level in levels) == pytest.approx(0.32 - 0.05 + 0.08)
