"""Accounts API shapes (msgspec): X for reads, XCreate/XUpdate for writes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Role = Literal["owner", "admin", "member", "viewer", "support"]
Scope = Literal["read", "triage", "write", "admin", "owner"]


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=254)]
    password: Annotated[str, msgspec.Meta(max_length=512)]


class TokenResponse(msgspec.Struct):
    access_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


class ApiKeyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=5)]


class ApiKey(msgspec.Struct):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(msgspec.Struct):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    key: str
    created_at: datetime


class User(msgspec.Struct):
    id: str
    email: str
    name: str
    role: str
    is_active: bool
    invite_pending: bool
    last_login_at: datetime | None
    created_at: datetime


class UserInvite(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    role: Role
    name: Annotated[str, msgspec.Meta(max_length=120)] = ""


class UserInvited(msgspec.Struct):
    user: User
    invite_url: str


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    role: Role | UnsetType = UNSET
    name: Name | UnsetType = UNSET


class Organization(msgspec.Struct):
    id: str
    name: str
    slug: str
    plan: str
    created_at: datetime


class OrganizationUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
