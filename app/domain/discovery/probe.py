"""Discovery without a document: try a bounded list of common resource paths.

200 with JSON → the resource exists and its response schema is inferred from the body;
401/403 → it exists and needs auth; anything else → not there. Collections whose items carry
an `id` get one more probe for the item route (`/users/{id}`). Requests go through the
OutboundClient, so its per-host limits keep this polite.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote, urljoin

from app.domain.discovery.infer import infer
from app.domain.discovery.locate import Fetcher
from app.domain.discovery.schemas import DiscoveredEndpoint

RESOURCES = ("users", "products", "orders", "items", "customers", "accounts", "posts", "projects", "events")
PREFIXES = ("", "api/", "api/v1/", "v1/")
SERVICE_PATHS = ("health", "status", "api/health", "api/status", "me", "api/me", "version")


def probe_paths() -> list[str]:
    """The bounded list: every common resource under every common prefix, then service routes."""
    return [prefix + name for prefix in PREFIXES for name in RESOURCES] + list(SERVICE_PATHS)


def _json_body(response: Any) -> Any:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        return response.json()
    except ValueError:
        return None


async def _probe(fetcher: Fetcher, anonymous: Fetcher | None, base: str, path: str) -> list[DiscoveredEndpoint]:
    response = await fetcher.get(urljoin(base, path))
    if response is None:
        return []
    template = "/" + path
    if response.status_code in (401, 403):
        return [DiscoveredEndpoint(method="GET", path=template, summary="Needs authentication", auth_required=True)]
    body = _json_body(response) if response.status_code == 200 else None
    if body is None:
        return []
    auth_required = False
    if anonymous is not None:
        # We sent credentials; the route needs them if it refuses a request without.
        plain = await anonymous.get(urljoin(base, path))
        auth_required = plain is not None and plain.status_code in (401, 403)
    found = [
        DiscoveredEndpoint(
            method="GET",
            path=template,
            summary=f"Found by probing {template}",
            response_schema={"200": infer(body)},
            auth_required=auth_required,
        )
    ]
    items = body if isinstance(body, list) else body.get("data") if isinstance(body, dict) else None
    if isinstance(items, list) and items and isinstance(items[0], dict) and "id" in items[0]:
        item = await fetcher.get(urljoin(base, f"{path}/{quote(str(items[0]['id']), safe='')}"))
        item_body = _json_body(item) if item is not None and item.status_code == 200 else None
        if item_body is not None:
            found.append(
                DiscoveredEndpoint(
                    method="GET",
                    path=f"{template}/{{id}}",
                    summary=f"Found by probing {template}/{{id}}",
                    parameters=[{"name": "id", "in": "path", "required": True, "schema": infer(items[0]["id"])}],
                    response_schema={"200": infer(item_body)},
                    auth_required=auth_required,
                )
            )
    return found


async def probe(fetcher: Fetcher, base_url: str) -> list[DiscoveredEndpoint]:
    base = base_url.rstrip("/") + "/"
    has_auth = bool(fetcher.headers or fetcher.params)
    anonymous = Fetcher(fetcher.outbound, {}, {}) if has_auth else None
    results = await asyncio.gather(*(_probe(fetcher, anonymous, base, path) for path in probe_paths()))
    return [endpoint for group in results for endpoint in group]
