"""Secrets at rest and opaque tokens.

- Fernet (AES-128-CBC + HMAC) through MultiFernet: the first key encrypts, every key
  decrypts, so a key can be rotated without downtime (`nexus rotate-key`).
- High-entropy tokens (API keys, ingest keys) are stored as SHA-256 digests: they are
  random, so a slow hash buys nothing and would tax every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretBox:
    def __init__(self, keys: tuple[str, ...]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("secret cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt under the first (newest) key."""
        return self._fernet.rotate(token.encode()).decode()


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def digests_match(token: str, expected: bytes) -> bool:
    return hmac.compare_digest(digest(token), expected)


def new_token(kind: str, nbytes: int = 24) -> tuple[str, str]:
    """A token `<kind>_<prefix>_<secret>` and its public prefix (for lookup and display)."""
    prefix = secrets.token_hex(4)
    return f"{kind}_{prefix}_{secrets.token_urlsafe(nbytes)}", prefix
