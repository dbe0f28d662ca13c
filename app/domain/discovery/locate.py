"""Finding an API's OpenAPI/Swagger document, and the other documents its `$ref`s name.

The usual places are tried in order under the base URL (and under the host's root when the
base URL has a path), then links from an HTML docs page at the base URL (Swagger UI's
`url:`, ReDoc's `spec-url`, plain links). Referenced documents are fetched before parsing
(jsonref's loader is synchronous) and only from the document's own host.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from app.core.outbound import OutboundClient, OutboundRefused, ResponseTooLarge
from app.domain.discovery.openapi import external_refs, is_api_document, load_text

DOCUMENT_PATHS = (
    "openapi.json",
    "openapi.yaml",
    "swagger.json",
    "swagger.yaml",
    "v3/api-docs",
    "v2/api-docs",
    "api-docs",
    "swagger/v1/swagger.json",
    "api/openapi.json",
    "schema/openapi.json",
    "openapi.yml",
    "swagger.yml",
)
# At most this many documents besides the main one (a split document, not a crawl).
MAX_REFERENCED = 50
_LINK = re.compile(
    r"""(?:href|src|spec-url|url)\s*[=:]\s*["']([^"'\s<>]+)["']""",
    re.IGNORECASE,
)
_DOC_HINT = re.compile(r"(openapi|swagger|api-docs)|\.(json|ya?ml)(\?|$)", re.IGNORECASE)


class Fetcher:
    """GETs with the connection's auth; failures other than the guard's are "not here"."""

    def __init__(self, outbound: OutboundClient, headers: dict[str, str], params: dict[str, str]) -> None:
        self.outbound = outbound
        self.headers = headers
        self.params = params

    async def get(
        self, url: str, accept: str = "application/json, application/yaml;q=0.9, */*;q=0.5"
    ) -> httpx.Response | None:
        try:
            return await self.outbound.request(
                "GET", url, headers={**self.headers, "accept": accept}, params=self.params
            )
        except OutboundRefused:
            raise
        except (httpx.HTTPError, ResponseTooLarge):
            return None


def candidates(base_url: str) -> list[str]:
    base = base_url.rstrip("/") + "/"
    root = urljoin(base, "/")
    urls = [urljoin(base, path) for path in DOCUMENT_PATHS]
    if root != base:
        urls += [urljoin(root, path) for path in DOCUMENT_PATHS]
    return list(dict.fromkeys(urls))


async def _document_at(fetcher: Fetcher, url: str) -> tuple[str, dict[str, Any]] | None:
    response = await fetcher.get(url)
    if response is None or response.status_code != 200:
        return None
    doc = load_text(response.text)
    return (str(response.url), doc) if is_api_document(doc) else None


def linked_documents(html: str, page_url: str) -> list[str]:
    """Document URLs an HTML docs page points at, in page order."""
    links = [urljoin(page_url, match) for match in _LINK.findall(html) if _DOC_HINT.search(match)]
    return [url for url in dict.fromkeys(links) if not url.endswith((".js", ".css", ".png", ".ico"))]


async def find_document(fetcher: Fetcher, base_url: str) -> tuple[str, dict[str, Any]] | None:
    """(the document's URL, the document) or None when the API publishes none."""
    # The base URL may itself be the document, or a docs page linking to it.
    response = await fetcher.get(base_url, accept="application/json, text/html;q=0.9, */*;q=0.5")
    page: str | None = None
    if response is not None and response.status_code == 200:
        doc = load_text(response.text)
        if is_api_document(doc):
            return str(response.url), doc
        if "html" in response.headers.get("content-type", ""):
            page = response.text
    for url in candidates(base_url):
        found = await _document_at(fetcher, url)
        if found:
            return found
    for url in linked_documents(page or "", base_url)[:10]:
        found = await _document_at(fetcher, url)
        if found:
            return found
    return None


def _same_host(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


async def fetch_refs(fetcher: Fetcher, doc_url: str, doc: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The documents `doc` refers to, transitively, from its own host: ({url: document},
    [urls refused or not fetched]). Unfetched references stay `$ref`s when resolving."""
    documents: dict[str, Any] = {urldefrag(doc_url).url: doc}
    skipped: list[str] = []
    pending = sorted(external_refs(doc, doc_url))
    while pending:
        url = pending.pop(0)
        if url in documents or url in skipped:
            continue
        if not _same_host(url, doc_url) or len(documents) > MAX_REFERENCED:
            skipped.append(url)
            continue
        response = await fetcher.get(url)
        loaded = load_text(response.text) if response is not None and response.status_code == 200 else None
        if loaded is None:
            skipped.append(url)
            continue
        documents[url] = loaded
        pending.extend(sorted(external_refs(loaded, url) - set(documents)))
    return documents, skipped
