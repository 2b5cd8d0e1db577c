"""werf's hash helpers.

Digest inputs are joined with ":::" before hashing, so the same list of strings always gives the same digest.
Stage digests are SHA3-224; dependency strings and checksums are SHA-256.
"""

from __future__ import annotations

import hashlib

SEPARATOR = ":::"


def sha256_hash(*args: str) -> str:
    return hashlib.sha256(SEPARATOR.join(args).encode()).hexdigest()


def sha3_224_hash(*args: str) -> str:
    return hashlib.sha3_224(SEPARATOR.join(args).encode()).hexdigest()


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit, as werf uses for host lock file names and slugs."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & 0xFFFFFFFF
    n = len(data)
    rounded = n - (n % 4)
    for i in range(0, rounded, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
        h = ((h << 13) | (h >> 19)) & 0xFFFFFFFF
        h = (h * 5 + 0xE6546B64) & 0xFFFFFFFF
    k = 0
    tail = n & 3
    if tail == 3:
        k ^= data[rounded + 2] << 16
    if tail >= 2:
        k ^= data[rounded + 1] << 8
    if tail >= 1:
        k ^= data[rounded]
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def murmur_hash(*args: str) -> str:
    return format(murmur3_32(SEPARATOR.join(args).encode()), "x")
