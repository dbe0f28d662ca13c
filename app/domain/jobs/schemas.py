"""Jobs as the API shows them (API.md `GET /v1/jobs/{job_id}`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

JobStatus = Literal["queued", "running", "completed", "failed"]


class JobStep(msgspec.Struct):
    name: str
    detail: str = ""
    at: str = ""


class Job(msgspec.Struct):
    id: str
    kind: str
    status: JobStatus
    progress: int
    error: str | None
    steps: list[JobStep]
    result: dict[str, Any]
    app_id: str | None
    subject_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobAccepted(msgspec.Struct):
    job_id: str


def to_job(row: dict[str, Any]) -> Job:
    return msgspec.convert(row, Job, from_attributes=False)
