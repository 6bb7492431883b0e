"""tests/reference/safetensors_io.py — read and write safetensors with the standard library and
numpy (Debian's torch 1.13 has no safetensors package). Verifies LungTrust's lt_checksum when
present: "fnv1a64-hd:" over the whole file with its 16 digits read as '0', or "fnv1a64:" over the
data buffer (older files; engine/model/safetensors.h)."""
import json
import struct

import numpy as np


def fnv1a64(data, h=0xcbf29ce484222325):
    # Vectorised enough for a few MB: process in Python ints but over a bytes object.
    p = 0x100000001b3
    m = 0xffffffffffffffff
    for b in data:
        h = ((h ^ b) * p) & m
    return h


def load(path, verify=True):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    buf = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    if verify and "lt_checksum" in meta and meta["lt_checksum"].startswith("fnv1a64-hd:"):
        q = ('"%s"' % meta["lt_checksum"]).encode()
        at = raw.find(q, 8, 8 + n)
        zeroed = raw[:at] + q[:-17] + b"0" * 16 + raw[at + len(q) - 1:]
        want = "fnv1a64-hd:%016x" % fnv1a64(zeroed)
        if meta["lt_checksum"] != want:
            raise ValueError("checksum mismatch: %s vs %s" % (meta["lt_checksum"], want))
    elif verify and "lt_checksum" in meta:
        want = "fnv1a64:%016x" % fnv1a64(buf)
        if meta["lt_checksum"] != want:
            raise ValueError("checksum mismatch: %s vs %s" % (meta["lt_checksum"], want))
    tensors = {}
    for name, t in header.items():
        assert t["dtype"] == "F32", t["dtype"]
        b, e = t["data_offsets"]
        tensors[name] = np.frombuffer(buf[b:e], dtype="<f4").reshape(t["shape"]).copy()
    return tensors, meta


def order(path):
    """Tensor names in data-buffer order."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    return sorted(header, key=lambda k: header[k]["data_offsets"][0])
