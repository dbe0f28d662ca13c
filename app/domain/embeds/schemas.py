"""Embedding settings (API.md "Embedding")."""

from __future__ import annotations

from typing import Annotated

import msgspec

# An origin a customer's page is served from: scheme, host and optional port, no path.
Origin = Annotated[str, msgspec.Meta(max_length=255, pattern=r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?/?$")]


class EmbeddingSettings(msgspec.Struct):
    secret: str
    allowed_origins: list[str]


class EmbeddingUpdate(msgspec.Struct, forbid_unknown_fields=True):
    allowed_origins: Annotated[list[Origin], msgspec.Meta(max_length=50)]
