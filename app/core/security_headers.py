"""Response headers every page and API answer carries.

Pages may not be framed (clickjacking); the embeddable widgets of a later capability set
their own `frame-ancestors` from the organisation's allowed origins, which this respects.
"""

from __future__ import annotations

from litestar.types import Message, Scope

_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_NO_FRAMING = [(b"x-frame-options", b"DENY"), (b"content-security-policy", b"frame-ancestors 'none'")]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers", []))
    present = {name.lower() for name, _ in headers}
    added = [header for header in _ALWAYS if header[0] not in present]
    if b"content-security-policy" not in present:
        added += _NO_FRAMING
    if scope.get("scheme") == "https":
        added.append(_HSTS)
    message["headers"] = headers + added
