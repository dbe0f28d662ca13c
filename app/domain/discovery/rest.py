"""REST discovery: the API's OpenAPI/Swagger document when it publishes one, else probing."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urlsplit

from app.core.outbound import OutboundClient
from app.domain.connections.schemas import ConnectionTarget
from app.domain.discovery import openapi
from app.domain.discovery.locate import Fetcher, fetch_refs, find_document
from app.domain.discovery.probe import probe
from app.domain.discovery.schemas import DiscoveredEndpoint


class Progress(Protocol):
    async def step(self, name: str, progress: int, detail: str = "") -> None: ...


async def discover_rest(
    target: ConnectionTarget,
    outbound: OutboundClient,
    headers: dict[str, str],
    params: dict[str, str],
    progress: Progress,
) -> list[DiscoveredEndpoint]:
    assert target.base_url is not None
    fetcher = Fetcher(outbound, headers, params)
    await progress.step("Looking for an API document", 10, target.base_url)
    located = await find_document(fetcher, target.base_url)
    if located is None:
        await progress.step("No API document found; probing common paths", 30)
        found = await probe(fetcher, target.base_url)
        await progress.step("Probed common paths", 80, f"{len(found)} resources found")
        return found
    url, doc = located
    await progress.step(f"Found {_short(url, target.base_url)}", 30, url)
    documents, skipped = await fetch_refs(fetcher, url, doc)
    if len(documents) > 1 or skipped:
        detail = f"{len(documents) - 1} referenced documents fetched"
        if skipped:
            detail += f"; not followed (other host or unavailable): {', '.join(skipped[:5])}"
        await progress.step("Fetched referenced documents", 45, detail)
    resolved: dict[str, Any] = openapi.resolve(doc, url, documents)
    found = openapi.operations(resolved, openapi.mount_path(resolved, url, target.base_url))
    await progress.step(f"Parsed {len(found)} operations", 70)
    return found


def _short(url: str, base_url: str) -> str:
    """`/openapi.json` for a document under the base URL, else the whole URL."""
    doc, base = urlsplit(url), urlsplit(base_url)
    return doc.path if (doc.scheme, doc.netloc) == (base.scheme, base.netloc) else url
