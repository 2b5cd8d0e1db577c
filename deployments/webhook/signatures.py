"""Checking that a delivery comes from whoever holds the shared secret.

GitHub signs the raw body: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`. GitLab sends the secret
itself in `X-Gitlab-Token`. Both are compared in constant time, so response timing reveals nothing about the secret.
"""

from __future__ import annotations

import hashlib
import hmac

GITHUB_PREFIX = "sha256="


def github_signature(secret: str, body: bytes) -> str:
    return GITHUB_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github_signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not secret or not header or not header.startswith(GITHUB_PREFIX):
        return False
    return hmac.compare_digest(github_signature(secret, body).encode(), header.strip().encode())


def gitlab_token_valid(secret: str, header: str | None) -> bool:
    if not secret or header is None:
        return False
    return hmac.compare_digest(secret.encode(), header.encode())
