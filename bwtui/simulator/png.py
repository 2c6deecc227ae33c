"""A tiny PNG writer (zlib + struct, no PIL) that draws a bar graph of a rate series."""

from __future__ import annotations

import struct
import zlib

_BACKGROUND = bytes((250, 250, 250))
_OUT = bytes((40, 110, 200))
_IN = bytes((90, 180, 90))
_AXIS = bytes((60, 60, 60))


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_rgb(width: int, height: int, rows: list[bytes]) -> bytes:
    """PNG bytes for 8-bit RGB rows (each ``width * 3`` bytes)."""
    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 6))
        + _chunk(b"IEND", b"")
    )


def _resample(values: list[float], width: int) -> list[float]:
    if not values:
        return [0.0] * width
    n = len(values)
    return [values[min(n - 1, x * n // width)] for x in range(width)]


def bar_graph(in_bps: list[float], out_bps: list[float], width: int = 320, height: int = 100) -> bytes:
    """A bar graph: outbound bars, inbound bars in front, a baseline. Returns PNG bytes."""
    outs = _resample(out_bps, width)
    ins = _resample(in_bps, width)
    top = max(max(outs, default=0.0), max(ins, default=0.0), 1.0)
    out_h = [int((height - 2) * v / top) for v in outs]
    in_h = [int((height - 2) * v / top) for v in ins]
    rows: list[bytes] = []
    for y in range(height):
        level = height - 1 - y  # 0 at the bottom
        if level == 0:
            rows.append(_AXIS * width)
            continue
        pixels = bytearray()
        for x in range(width):
            if in_h[x] >= level:
                pixels += _IN
            elif out_h[x] >= level:
                pixels += _OUT
            else:
                pixels += _BACKGROUND
        rows.append(bytes(pixels))
    return encode_rgb(width, height, rows)
