from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.core.crypto import SecretBox, digest, digests_match, new_token


def test_rotation_reencrypts_under_the_newest_key() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = SecretBox((old,)).encrypt("s3cret")
    both = SecretBox((new, old))
    rotated = both.rotate(token)
    assert SecretBox((new,)).decrypt(rotated) == "s3cret"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox((new,)).decrypt(token)


def test_tokens_carry_their_prefix_and_match_only_their_digest() -> None:
    token, prefix = new_token("np")
    kind, token_prefix, secret = token.split("_", 2)
    assert (kind, token_prefix) == ("np", prefix)
    assert len(secret) >= 32
    assert digests_match(token, digest(token))
    assert not digests_match(token + "x", digest(token))
