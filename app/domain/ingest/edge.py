"""The ingest routes, answered in front of Litestar's router and middleware.

Ingestion is by far the hottest path: every page view of every customer's site is a request.
Through the whole stack (routing, five middlewares, signature parsing, dependency injection,
response objects) a one-event request cost about 0.8 ms of CPU, most of it the stack rather
than the work. This plain ASGI layer answers POSTs to the ingest routes with the same
service as the Litestar handlers (service.ingest) and the same contract: the error shape,
the request id, CORS for the browser tracker and, because it wraps Litestar's handler inside
Litestar's send wrapper, the same `before_send` hooks (security headers, X-Request-ID).
Everything else, CORS preflight included, goes on to Litestar.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
import structlog
from litestar import Litestar
from litestar.types import ASGIApp, Receive, Scope, Send
from prometheus_client import Counter

from app.core.errors import ApiError, error_body
from app.core.observability import access_log, assign_request_id
from app.domain.ingest.service import MAX_BODY_BYTES, ROUTES, ingest

log = structlog.get_logger(__name__)
REQUESTS = Counter("nexus_ingest_requests", "Ingest requests answered, per route and status", ["route", "status"])
_JSON = [(b"content-type", b"application/json")]
_encode = msgspec.json.Encoder().encode


class _Disconnected(Exception):
    """The client went away before sending its whole body."""


class IngestEdge:
    def __init__(self, app: Litestar, downstream: ASGIApp) -> None:
        self._app = app
        self.downstream = downstream  # Litestar, for everything else
        # Browser pages post from their own origins; the answer may be read by any of them.
        self._cors = [
            (name.lower().encode(), value.encode())
            for name, value in (app.cors_config.simple_headers.items() if app.cors_config else ())
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = ROUTES.get(scope["path"]) if scope["type"] == "http" and scope.get("method") == "POST" else None
        if route is None:
            await self.downstream(scope, receive, send)
            return
        started = time.perf_counter()
        assign_request_id(scope)
        headers = dict(scope["headers"])
        try:
            body = await _body(receive, headers.get(b"content-length"))
            key = headers.get(b"x-api-key")
            result = await ingest(self._app.state, route, body, key.decode("latin-1") if key else None)
            status, payload, extra = 200, _encode(result), dict[str, str]()
        except _Disconnected:
            return
        except Exception as exc:
            status, shape, extra = error_body(exc)
            payload = _encode(shape)
            if status >= 500 and not isinstance(exc, ApiError):
                log.exception("unhandled_error", exc_info=exc)
        # With its length given, the answer goes out whole rather than chunked.
        response_headers = [
            *_JSON,
            (b"content-length", b"%d" % len(payload)),
            *((k.lower().encode(), v.encode()) for k, v in extra.items()),
        ]
        if b"origin" in headers:
            response_headers += self._cors
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": payload, "more_body": False})
        REQUESTS.labels(scope["path"], status).inc()
        # At ingest rates a line per request would cost more than the request: successes are
        # counted (above) and logged only at debug; every refusal is logged.
        (access_log.info if status >= 400 else access_log.debug)(
            "request",
            method="POST",
            path=scope["path"],
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )


def _too_large() -> ApiError:
    return ApiError(413, "payload_too_large", "The request body is too large.")


async def _body(receive: Receive, declared: bytes | None) -> bytes:
    """The whole body, refused with 413 (API.md) as soon as it is known to exceed the limit."""
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Any = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
