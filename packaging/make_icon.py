#!/usr/bin/env python3
"""Draws the fxconfig window icon (assets/icon.png, 256x256 RGBA): a key on a rounded
teal square, with a green check mark. Pure Python (zlib + struct), 4x4 supersampling."""
import math
import struct
import sys
import zlib

SIZE = 256
SAMPLES = 4


def rounded_rect(x, y, x0, y0, x1, y1, r):
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and x0 <= x <= x1 and y0 <= y <= y1


def capsule(x, y, ax, ay, bx, by, r):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    px, py = ax + t * dx, ay + t * dy
    return (x - px) ** 2 + (y - py) ** 2 <= r * r


def colour_at(x, y):
    """The colour (r, g, b, a) of the point (x, y) in 0..256 coordinates."""
    if not rounded_rect(x, y, 8, 8, 248, 248, 44):
        return (0, 0, 0, 0)
    colour = (20, 92, 110, 255)
    # The key: a ring head, a shaft and two teeth, drawn in off-white.
    key = (240, 244, 246, 255)
    hx, hy = 92, 110
    d = math.hypot(x - hx, y - hy)
    if 22 <= d <= 46:
        colour = key
    if capsule(x, y, 134, 110, 214, 110, 11):
        colour = key
    if capsule(x, y, 192, 110, 192, 142, 10) or capsule(x, y, 168, 110, 168, 134, 10):
        colour = key
    # The check mark, lower left: the setup works.
    if capsule(x, y, 64, 186, 90, 210, 11) or capsule(x, y, 90, 210, 138, 162, 11):
        colour = (110, 214, 138, 255)
    return colour


def main(out_path):
    rows = []
    step = 1.0 / SAMPLES
    for py in range(SIZE):
        row = bytearray([0])
        for px in range(SIZE):
            acc = [0, 0, 0, 0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    r, g, b, a = colour_at(px + (sx + 0.5) * step, py + (sy + 0.5) * step)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            n = SAMPLES * SAMPLES
            alpha = acc[3] / n
            if alpha == 0:
                row += bytes((0, 0, 0, 0))
            else:
                row += bytes((round(acc[0] / acc[3]), round(acc[1] / acc[3]), round(acc[2] / acc[3]), round(alpha)))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9))
    png += chunk(b"IEND", b"")
    with open(out_path, "wb") as f:
        f.write(png)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "assets/icon.png")
