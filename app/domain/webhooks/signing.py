"""Standard Webhooks signing: secrets and the three headers of each message.

The signature itself comes from the `standardwebhooks` package (the reference
implementation), so what we send is exactly what its `Webhook.verify` accepts.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format marker, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes (the spec asks for 24 to 64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def mask(secret: str) -> str:
    """Enough to tell two secrets apart, not enough to sign anything."""
    return secret[: len(SECRET_PREFIX) + 4] + "…"


def headers(secret: str, msg_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """The Standard Webhooks headers for `body` sent as message `msg_id` at `timestamp` (UTC)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, timestamp, body),
        "content-type": "application/json",
    }
