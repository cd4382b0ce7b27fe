#!/usr/bin/env python3
"""Leak or allocator? The server's heap counted while idle between soak phases.

    python3 Tests/fuzz/heap_phases.py --binary .build/release/pocket-tts --phases 1,3,3
    MALLOC_MMAP_THRESHOLD_=131072 python3 Tests/fuzz/heap_phases.py ...   # a glibc setting tried

Starts `pocket-tts serve` on the tiny model, then runs soak.py against it phase after phase
(minutes each, every protocol and the upload churn). After each phase, with no session open, it
asks glibc for `malloc_stats()` through gdb (attached for a moment; the report goes to the
server's stderr) and prints RSS, the bytes glibc's arenas hold ("system") and the bytes in use.
In use growing with the turns is a leak; arenas and RSS growing while in use stays flat is
memory glibc keeps. Needs gdb, and the right to attach to the server (root or ptrace_scope 0).
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server  # noqa: E402


def heap(server: Server) -> tuple[int, int]:
    """glibc's total "system bytes" and "in use bytes", from `malloc_stats()` in the server's log."""
    subprocess.run(["gdb", "-p", str(server.process.pid), "-batch", "-ex", "call (void)malloc_stats()"],
                   capture_output=True, check=False)
    time.sleep(0.5)
    server.log.flush()
    with open(server.log.name, errors="replace") as log:
        total = log.read().rsplit("Total (incl. mmap):", 1)[-1]
    return (int(re.search(r"system bytes\s+=\s+(\d+)", total).group(1)),
            int(re.search(r"in use bytes\s+=\s+(\d+)", total).group(1)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/pocket-tts")
    parser.add_argument("--phases", default="1,3,3", help="minutes of each soak phase")
    parser.add_argument("--sessions", type=int, default=7)
    args = parser.parse_args()
    server = Server(args.binary, env={"POCKET_TTS_MAX_STREAMS": str(2 * args.sessions + 2)})
    turns = 0
    try:
        for number, minutes in enumerate([0.0] + [float(m) for m in args.phases.split(",")]):
            if minutes:
                out = subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "soak.py"),
                                      "--port", str(server.port), "--wyoming-port", str(server.wyoming_port),
                                      "--minutes", str(minutes), "--sessions", str(args.sessions), "--seed", str(number),
                                      "--max-errors", "1000000"], capture_output=True, text=True, check=False)
                found = re.search(r"min: (\d+) turns", out.stdout)
                if not found:
                    print(out.stdout[-2000:] + out.stderr[-2000:])
                    return 1
                turns += int(found.group(1))
            time.sleep(2)  # the last sessions close
            system, in_use = heap(server)
            print(f"after {turns:6} turns: RSS {server.rss_bytes() / 2**20:6.2f} MB, glibc arenas {system / 2**20:6.2f} MB, "
                  f"in use {in_use / 2**20:6.3f} MB", flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
