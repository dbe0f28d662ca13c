"""Applications API shapes (API.md "Applications")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

AppType = Literal["saas", "mobile", "web", "enterprise"]
AppStatus = Literal["learning", "active", "paused", "error"]
AppName = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
BaseUrl = Annotated[str, msgspec.Meta(max_length=2048, pattern=r"^https?://[^\s/$.?#][^\s]*$")]
Description = Annotated[str, msgspec.Meta(max_length=2000)]


class Application(msgspec.Struct):
    id: str
    name: str
    type: str
    status: str
    learning_progress: int
    base_url: str | None
    description: str | None
    ingest_key: str
    created_at: datetime
    updated_at: datetime


class ApplicationCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: AppName
    type: AppType
    base_url: BaseUrl | None = None
    description: Description | None = None


class ApplicationUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: AppName | UnsetType = UNSET
    type: AppType | UnsetType = UNSET
    status: AppStatus | UnsetType = UNSET
    base_url: BaseUrl | UnsetType | None = UNSET
    description: Description | UnsetType | None = UNSET


class IngestKey(msgspec.Struct):
    ingest_key: str
