"""OpenAPI details Litestar has no handler parameter for."""

from __future__ import annotations

from typing import Any

from litestar.openapi.spec import Operation


class PublicOperation(Operation):
    """An operation that needs no credentials. The document's default is the bearer scheme;
    `security: []` lifts it for this operation (Litestar leaves an empty list out), so
    readers of the document, our own discovery included, see the route as open."""

    def to_schema(self) -> dict[str, Any]:
        return {**super().to_schema(), "security": []}
