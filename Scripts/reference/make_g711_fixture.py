"""Writes Tests/TTSServerTests/Fixtures/g711/g711.json: G.711 tables from Python's audioop
(the Sun g711.c algorithms), compactly.

  encode: for each law, the runs of the 16-bit -> code table over -32768..32767 as
          [first_sample, code] pairs (the code holds until the next pair's sample);
  decode: for each law, the 256 16-bit values of the codes 0..255.

Needs a Python with audioop (3.12 or older). Run from anywhere:
  python3 Scripts/reference/make_g711_fixture.py
"""
import audioop
import json
import pathlib
import struct

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "Tests/TTSServerTests/Fixtures/g711/g711.json"

samples = struct.pack("<65536h", *range(-32768, 32768))
fixture = {"encode": {}, "decode": {}}
for name, to_law, from_law in [("mulaw", audioop.lin2ulaw, audioop.ulaw2lin), ("alaw", audioop.lin2alaw, audioop.alaw2lin)]:
    codes = to_law(samples, 2)
    runs = []
    for i, code in enumerate(codes):
        if not runs or runs[-1][1] != code:
            runs.append([i - 32768, code])
    fixture["encode"][name] = runs
    fixture["decode"][name] = list(struct.unpack("<256h", from_law(bytes(range(256)), 2)))

out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
print(f"wrote {out} ({out.stat().st_size} bytes)")
