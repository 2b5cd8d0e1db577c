"""Sprig's encodings and digests: base64/base32 (decode errors come back as the text, like Sprig), sha1/sha256/
sha512/adler32 sums, uuidv4 and random bytes. All work on the string's bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import uuid
import zlib

from werf_core.config.gotemplate import bounds
from werf_core.config.gotemplate.funcs import gofunc
from werf_core.config.gotemplate.gostrconv import from_bytes, to_bytes

_B64 = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_B32 = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def _std_decode(text: str, alphabet: set, quantum: int, decoder) -> str:
    """Go's StdEncoding.DecodeString: CR/LF ignored, padding required; errors name the offending byte."""
    data = to_bytes(text)
    clean = bytearray()
    offsets = []
    for i, b in enumerate(data):
        if b in (0x0A, 0x0D):
            continue
        clean.append(b)
        offsets.append(i)
    pad_start = len(clean)
    for i, b in enumerate(clean):
        if b == ord("="):
            pad_start = i
            break
        if b not in alphabet:
            return f"illegal {'base64' if quantum == 4 else 'base32'} data at input byte {offsets[i]}"
    for i in range(pad_start, len(clean)):
        if clean[i] != ord("="):
            return f"illegal {'base64' if quantum == 4 else 'base32'} data at input byte {offsets[i]}"
    if len(clean) % quantum != 0:
        # Go reports the start of the incomplete last quantum (or the first padding character)
        at = offsets[min(pad_start, (len(clean) // quantum) * quantum)]
        return f"illegal {'base64' if quantum == 4 else 'base32'} data at input byte {at}"
    try:
        return from_bytes(decoder(bytes(clean)))
    except (binascii.Error, ValueError):
        at = offsets[pad_start] if pad_start < len(clean) else (offsets[-1] if offsets else 0)
        return f"illegal {'base64' if quantum == 4 else 'base32'} data at input byte {at}"


def b64dec(text: str) -> str:
    return _std_decode(text, _B64, 4, lambda b: base64.b64decode(b, validate=True))


def b32dec(text: str) -> str:
    return _std_decode(text, _B32, 8, base64.b32decode)


def _hex_digest(name: str):
    return lambda s: hashlib.new(name, to_bytes(s)).hexdigest()



def _rand_bytes(n: int) -> str:
    bounds.ensure_string_size("randBytes", max(n, 0) * 4 // 3)
    return base64.b64encode(os.urandom(max(n, 0))).decode("ascii")


FUNCS = {
    "b64enc": gofunc("string")(lambda s: base64.b64encode(to_bytes(s)).decode("ascii")),
    "b64dec": gofunc("string")(b64dec),
    "b32enc": gofunc("string")(lambda s: base64.b32encode(to_bytes(s)).decode("ascii")),
    "b32dec": gofunc("string")(b32dec),
    "sha1sum": gofunc("string")(_hex_digest("sha1")),
    "sha256sum": gofunc("string")(_hex_digest("sha256")),
    "sha512sum": gofunc("string")(_hex_digest("sha512")),
    "adler32sum": gofunc("string")(lambda s: str(zlib.adler32(to_bytes(s)))),
    "uuidv4": gofunc()(lambda: str(uuid.uuid4())),
    "randBytes": gofunc("int")(_rand_bytes),
}
