"""A simulated playout buffer: would a listener have heard gaps?

Audio arrives in pieces (arrival time, seconds of audio). Playback starts once `start_buffer`
seconds have arrived (or at the last arrival, for a turn shorter than that), then drains the
buffer in real time. When it runs dry before the turn's last audio has arrived, that is an
underrun: playback stalls until the next piece arrives and resumes at once. The end of the turn
(the buffer draining after the last piece) is not an underrun.

Pure functions of their inputs: no clocks.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Playout:
    start_time: float | None  # when playback began (same clock as the arrivals); None: no audio
    underruns: int = 0
    stall_seconds: float = 0.0  # total time playback waited after it began
    end_time: float | None = None  # when the last sample was played
    levels: list[tuple[float, float]] = field(default_factory=list)  # (time, buffered seconds), piecewise linear


def simulate_playout(arrivals: list[tuple[float, float]], start_buffer: float) -> Playout:
    """`arrivals`: (time, seconds of audio) in arrival order. `start_buffer`: seconds buffered
    before playback starts."""
    if not arrivals:
        return Playout(start_time=None)
    levels: list[tuple[float, float]] = []

    # Before playback: the level only rises.
    buffered = 0.0
    index = 0
    while index < len(arrivals):
        time, seconds = arrivals[index]
        levels.append((time, buffered))
        buffered += seconds
        levels.append((time, buffered))
        index += 1
        if buffered >= start_buffer - 1e-9:
            break
    clock = arrivals[index - 1][0]
    playout = Playout(start_time=clock, levels=levels)

    # Playing: drain in real time between arrivals.
    for time, seconds in arrivals[index:]:
        elapsed = time - clock
        if elapsed > buffered + 1e-9:
            dry_at = clock + buffered
            levels.append((dry_at, 0.0))
            levels.append((time, 0.0))
            playout.underruns += 1
            playout.stall_seconds += time - dry_at
            buffered = 0.0
        else:
            buffered -= elapsed
            levels.append((time, buffered))
        buffered += seconds
        levels.append((time, buffered))
        clock = time
    playout.end_time = clock + buffered
    levels.append((playout.end_time, 0.0))
    return playout
