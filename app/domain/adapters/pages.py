"""Browser downloads of the generated clients: /applications/{id}/adapters/client.py|.ts."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get
from litestar.params import FromPath

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.domain.adapters import service
from app.domain.adapters.service import FILE_NAMES, Language

_MEDIA_TYPES = {"python": "text/x-python; charset=utf-8", "typescript": "text/plain; charset=utf-8"}


async def _download(db: Db, principal: CurrentPrincipal, app_id: UUID, language: Language) -> Response[str]:
    source = await service.generate(db, principal, str(app_id), language)
    return Response(
        source,
        media_type=_MEDIA_TYPES[language],
        headers={"content-disposition": f'attachment; filename="{FILE_NAMES[language]}"'},
    )


class AdapterPages(Controller):
    path = "/applications/{app_id:uuid}/adapters"
    include_in_schema = False
    guards = [requires(Permission.READ)]

    @get("/client.py")
    async def python(self, app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal) -> Response[str]:
        return await _download(db, principal, app_id, "python")

    @get("/client.ts")
    async def typescript(self, app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal) -> Response[str]:
        return await _download(db, principal, app_id, "typescript")
