"""Webhook signatures against the Standard Webhooks spec."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from app.domain.webhooks import signing
from app.domain.webhooks.delivery import STEPS, retry_delay
from app.settings import WebhookSettings


def test_new_secret_is_whsec_and_24_to_64_random_bytes() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"))) <= 64
    assert signing.new_secret() != secret


def test_mask_hides_the_secret() -> None:
    secret = signing.new_secret()
    masked = signing.mask(secret)
    assert masked.startswith("whsec_")
    assert masked.endswith("…")
    assert len(masked) < 12


def test_headers_verify_with_the_reference_implementation() -> None:
    secret = signing.new_secret()
    body = '{"type":"webhook.test","data":{}}'
    headers = signing.headers(secret, "msg_1", datetime.now(UTC), body)
    assert Webhook(secret).verify(body, headers) == {"type": "webhook.test", "data": {}}
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("test", "tost"), headers)


def test_fixed_vector_matches_a_hand_computed_hmac() -> None:
    key = bytes(range(32))
    secret = "whsec_" + base64.b64encode(key).decode()
    msg_id, when, body = "msg_p5jXN8AQM9LWM0D4loKWxJek", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), '{"a":1}'
    headers = signing.headers(secret, msg_id, when, body)
    assert headers["webhook-id"] == msg_id
    assert headers["webhook-timestamp"] == "1704164645"
    expected = hmac.new(key, f"{msg_id}.1704164645.{body}".encode(), hashlib.sha256).digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(expected).decode()


def test_retry_delay_is_full_jitter_under_a_growing_step() -> None:
    settings = WebhookSettings(retry_base_ms=5_000, max_age_h=24)
    rng = random.Random(7)
    for failed in range(1, len(STEPS) + 3):
        step = timedelta(milliseconds=5_000 * STEPS[min(failed, len(STEPS)) - 1])
        delays = [retry_delay(failed, settings, rng) for _ in range(200)]
        assert all(timedelta(0) <= delay <= step for delay in delays)
        assert max(delays) > step / 2  # jitter spreads over the whole step, not a fixed point
    # The full schedule spans most of a day with the default base.
    assert timedelta(milliseconds=5_000 * sum(STEPS)) > timedelta(hours=22)
