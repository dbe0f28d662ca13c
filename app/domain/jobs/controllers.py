"""Jobs API (API.md `GET /v1/jobs/{job_id}`)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get
from litestar.params import FromPath

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.errors import ApiError
from app.domain.jobs import queries
from app.domain.jobs.schemas import Job, to_job


class JobController(Controller):
    path = "/v1/jobs"
    tags = ["jobs"]
    guards = [requires(Permission.READ)]

    @get("/{job_id:uuid}", summary="A background job's status and progress")
    async def show(self, job_id: FromPath[UUID], db: Db, principal: CurrentPrincipal) -> Job:
        row = await queries.get(db, principal.org_id, str(job_id))
        if row is None:
            raise ApiError(404, "not_found", "No such job.")
        return to_job(row)
