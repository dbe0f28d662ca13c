"""Service routes (API.md "Service"): liveness, readiness. /metrics comes from Litestar's
Prometheus plugin and /schema from its OpenAPI support."""

from __future__ import annotations

from litestar import MediaType, Response, get
from litestar.datastructures import State

from app.core.openapi import PublicOperation


@get(
    "/health",
    exclude_from_auth=True,
    include_in_schema=True,
    tags=["service"],
    summary="The process is up",
    operation_class=PublicOperation,
)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/ready", exclude_from_auth=True, tags=["service"], summary="Every engine answers", operation_class=PublicOperation
)
async def ready(state: State) -> Response[dict[str, object]]:
    checks = await state.engines.readiness()
    healthy = all(value == "ok" for value in checks.values())
    return Response(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status_code=200 if healthy else 503,
        media_type=MediaType.JSON,
    )
