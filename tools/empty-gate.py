#!/usr/bin/env python3
"""An empty gate for the measuring scripts: a 1280x720 grey scene with sensor noise, nothing a
decoder could read, written as an 8-bit greyscale PNG to the path given."""
import random, struct, sys, zlib
w, h = 1280, 720
rows = bytearray()
for y in range(h):
    rows.append(0)
    rows.extend(max(0, min(255, 60 + (x * 90) // w + (y * 50) // h + random.randint(-6, 6))) for x in range(w))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
