#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs into corpus/<target>/ (standard library only).

The seeds are a few small valid files per reader, generated here rather than kept as
binary files in the repository. Run it once before `cargo fuzz run` (fuzz/README.md).
"""

import gzip
import hashlib
import io
import json
import os
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def npy(shape, fill):
    """A uint8 .npy array (format 1.0) of `shape` filled with `fill`."""
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': (%s), }" % "".join(
        f"{d}, " for d in shape
    )
    header = header.encode() + b" " * (63 - (len(header) + 10) % 64) + b"\n"
    count = 1
    for d in shape:
        count *= d
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + bytes([fill]) * count


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# IDX: two 3x2 images and their labels, raw and gzip.
images = struct.pack(">BBBB", 0, 0, 8, 3) + struct.pack(">III", 2, 3, 2) + bytes(range(12))
write("idx", "images", images)
write("idx", "images.gz", gzip.compress(images))
write("idx", "labels", struct.pack(">BBBB", 0, 0, 8, 1) + struct.pack(">I", 2) + bytes([0, 1]))

# CIFAR-10 and CIFAR-100: one record each.
write("cifar", "ten.bin", bytes([3]) + bytes(3072))
write("cifar", "hundred.bin", bytes([1, 42]) + bytes(3072))

# NPZ: grey train split, colour test split.
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("train_images.npy", npy((2, 4, 4), 0))
    z.writestr("train_labels.npy", npy((2, 1), 1))
    z.writestr("test_images.npy", npy((1, 4, 4, 3), 1))
    z.writestr("test_labels.npy", npy((1, 1), 1))
write("npz", "small.npz", buffer.getvalue())

# PNG: 2x2 RGB.
rows = b"".join(b"\x00" + bytes([255, 0, 0, 0, 255, 0]) for _ in range(2))
write(
    "image",
    "tiny.png",
    b"\x89PNG\r\n\x1a\n"
    + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
    + png_chunk(b"IDAT", zlib.compress(rows))
    + png_chunk(b"IEND", b""),
)

# Config: a TOML file with every kind of value.
write("config", "demo.toml", b'epochs = 2\nlr = 0.01\nhidden = 8\n[nested]\nk = "v"\nlist = [1, 2]\n')

# Checkpoint: a valid container with one 3-byte part.
payload = b"abc"
header = json.dumps(
    {"epoch": 1, "parts": [["m", 3]], "extra": None, "sha256": hashlib.sha256(payload).hexdigest()},
    separators=(",", ":"),
).encode()
write("checkpoint", "tiny.ckpt", b"NGVMCKP1" + struct.pack("<Q", len(header)) + header + payload)
