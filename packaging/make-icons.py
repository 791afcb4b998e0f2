#!/usr/bin/env python3
"""Draws the fxconfig icon (a white key on a blue rounded square) and writes it as
assets/fxconfig.png (256x256) and packaging/windows/fxconfig.ico (16, 24, 32, 48, 64 and 256 px,
PNG-compressed entries). Standard library only. The outputs are committed; run this again only
to change the icon."""

import struct
import sys
import zlib
from pathlib import Path

SUPERSAMPLING = 4
TOP_COLOUR = (0x2B, 0x6C, 0xB0)
BOTTOM_COLOUR = (0x17, 0x3B, 0x66)
KEY_COLOUR = (0xFF, 0xFF, 0xFF)


def inside_rounded_square(x, y):
    """The background: a square with rounded corners filling the unit square with a small margin."""
    margin, radius = 0.03, 0.19
    low, high = margin + radius, 1 - margin - radius
    cx = min(max(x, low), high)
    cy = min(max(y, low), high)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def inside_key(x, y):
    """The key: a ring on the left, a shaft to the right, two teeth below the shaft."""
    ring_x, ring_y = 0.36, 0.5
    distance_squared = (x - ring_x) ** 2 + (y - ring_y) ** 2
    if 0.085 ** 2 <= distance_squared <= 0.175 ** 2:
        return True
    if 0.52 <= x <= 0.83 and 0.465 <= y <= 0.535:
        return True
    if 0.70 <= x <= 0.75 and 0.535 <= y <= 0.64:
        return True
    return 0.78 <= x <= 0.83 and 0.535 <= y <= 0.61


def pixels(size):
    """RGBA rows of the icon drawn at `size` x `size`."""
    rows = []
    step = 1 / (size * SUPERSAMPLING)
    for row in range(size):
        line = bytearray()
        for column in range(size):
            covered = key = 0
            for sub_row in range(SUPERSAMPLING):
                for sub_column in range(SUPERSAMPLING):
                    x = (column * SUPERSAMPLING + sub_column + 0.5) * step
                    y = (row * SUPERSAMPLING + sub_row + 0.5) * step
                    if inside_rounded_square(x, y):
                        covered += 1
                        key += inside_key(x, y)
            samples = SUPERSAMPLING * SUPERSAMPLING
            if covered == 0:
                line += bytes(4)
                continue
            t = row / max(size - 1, 1)
            background = [round(a + (b - a) * t) for a, b in zip(TOP_COLOUR, BOTTOM_COLOUR)]
            share = key / covered
            colour = [round(bg + (fg - bg) * share) for bg, fg in zip(background, KEY_COLOUR)]
            line += bytes(colour + [round(255 * covered / samples)])
        rows.append(bytes(line))
    return rows


def png(size):
    """The icon at `size` as PNG bytes (8-bit RGBA, no filtering)."""
    raw = b"".join(b"\x00" + line for line in pixels(size))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def ico(images):
    """An ICO file holding the given (size, PNG bytes) entries."""
    directory = struct.pack("<HHH", 0, 1, len(images))
    offset = len(directory) + 16 * len(images)
    entries, data = b"", b""
    for size, image in images:
        dimension = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dimension, dimension, 0, 0, 1, 32, len(image), offset + len(data))
        data += image
    return directory + entries + data


def main():
    root = Path(__file__).resolve().parent.parent
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / "fxconfig.png").write_bytes(png(256))
    (root / "packaging" / "windows" / "fxconfig.ico").write_bytes(ico([(size, png(size)) for size in (16, 24, 32, 48, 64, 256)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
