"""The embedding settings page (admins): signing secret, allowed origins, embed code."""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.pages import flash, public_base, redirect, render
from app.domain.analytics.schemas import QuerySpec
from app.domain.embeds import queries, service
from app.domain.embeds.schemas import EmbeddingUpdate
from components.panel import CHART_LABELS, auto_title

PAGE = "/settings/embedding"
# Rows in the dashboard/panel id picker; one more is fetched to know whether there are more.
RESOURCE_LIMIT = 50
MAX_ORIGINS = 50
_ORIGIN_AT = re.compile(r"\$\.allowed_origins\[(\d+)\]")


def parse_origins(text: str) -> list[str]:
    """One origin per line (commas and spaces separate too); blank lines are ignored."""
    return [part for part in re.split(r"[\s,]+", text) if part]


def origins_error(origins: list[str], exc: msgspec.ValidationError) -> str:
    """A sentence naming the offending origin, from msgspec's "... - at `$.allowed_origins[2]`"."""
    message = str(exc)
    found = _ORIGIN_AT.search(message)
    if found is None:
        return f"List at most {MAX_ORIGINS} origins."
    origin = origins[int(found.group(1))]
    if "length <=" in message:
        return f"“{origin[:60]}…” is too long for an origin (at most 255 characters)."
    return (
        f"“{origin}” is not an origin: give the scheme and host (and port, if any), "
        "like https://app.example.com, with no path."
    )


def _panel_name(row: dict[str, Any]) -> str:
    if row["name"]:
        return str(row["name"])
    try:
        return auto_title(msgspec.convert(row["query"], QuerySpec))
    except (msgspec.ValidationError, TypeError, ValueError):
        return f"Untitled {CHART_LABELS.get(row['chart_type'], 'chart').lower()} panel"


def _resources(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "kind": row["kind"],
            "id": row["id"],
            "name": row["name"] if row["kind"] == "dashboard" else _panel_name(row),
            "dashboard_name": row["dashboard_name"],
        }
        for row in rows
    ]


def snippets(base: str, org_id: str) -> dict[str, str]:
    """Copy-paste embed code: sign a token on the customer's server, then frame the widget."""
    kid = json.dumps(org_id)
    python = f'''import os
import time

import jwt  # pip install PyJWT

SECRET = os.environ["NEXUS_EMBED_SECRET"]  # the signing secret; keep it on your server

token = jwt.encode(
    {{
        "resource": {{"panel": "<panel id>"}},  # or {{"dashboard": "<dashboard id>"}}
        "params": {{"customer_id": "acme-42"}},  # locked filters: property = value
        "exp": int(time.time()) + 600,  # valid for 10 minutes
    }},
    SECRET,
    algorithm="HS256",
    headers={{"kid": {kid}}},  # your organisation id
)
iframe_src = f"{base}/embed/{{token}}"
'''
    node = f"""const jwt = require("jsonwebtoken"); // npm install jsonwebtoken

const SECRET = process.env.NEXUS_EMBED_SECRET; // the signing secret; keep it on your server

const payload = {{
  resource: {{ panel: "<panel id>" }}, // or {{ dashboard: "<dashboard id>" }}
  params: {{ customer_id: "acme-42" }}, // locked filters: property = value
}};
const token = jwt.sign(payload, SECRET, {{
  algorithm: "HS256",
  keyid: {kid}, // your organisation id
  expiresIn: "10m",
}});
const iframeSrc = `{base}/embed/${{token}}`;
"""
    iframe = (
        f'<iframe src="{base}/embed/<token>"\n'
        '        width="100%" height="360" frameborder="0" allow="fullscreen"\n'
        '        title="Live analytics"></iframe>'
    )
    return {"python": python, "node": node, "iframe": iframe}


class EmbeddingPages(Controller):
    path = PAGE
    include_in_schema = False
    guards = [requires(Permission.ADMIN)]

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        return await self._render(request, db, principal, state)

    async def _render(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        status_code: int = 200,
        origins_value: str | None = None,
        origins_error: str | None = None,
    ) -> Template:
        embedding = await service.settings_for(db, state.secret_box, principal.org_id)
        rows = await queries.embeddable_resources(db, principal.org_id, RESOURCE_LIMIT + 1)
        base = public_base(request)
        return render(
            request,
            "pages/settings/embedding.html",
            nav="settings",
            status_code=status_code,
            secret=embedding.secret,
            allowed_origins=embedding.allowed_origins,
            origins_value="\n".join(embedding.allowed_origins) if origins_value is None else origins_value,
            origins_error=origins_error,
            org_id=principal.org_id,
            base_url=base,
            snippets=snippets(base, principal.org_id),
            resources=_resources(rows[:RESOURCE_LIMIT]),
            more_resources=len(rows) > RESOURCE_LIMIT,
            resource_limit=RESOURCE_LIMIT,
        )

    @post("/origins")
    async def save_origins(
        self, request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template | Redirect:
        form = await request.form()
        raw = str(form.get("allowed_origins", ""))
        origins = parse_origins(raw)
        try:
            update = msgspec.convert({"allowed_origins": origins}, EmbeddingUpdate)
        except msgspec.ValidationError as exc:
            return await self._render(
                request,
                db,
                principal,
                state,
                status_code=400,
                origins_value=raw,
                origins_error=origins_error(origins, exc),
            )
        saved = await service.set_origins(db, state.secret_box, principal, list(update.allowed_origins), request)
        if saved.allowed_origins:
            count = len(saved.allowed_origins)
            flash(request, "success", f"Saved. Widgets may be framed by {count} origin{'s' if count != 1 else ''}.")
        else:
            flash(request, "success", "Saved. No origin may frame widgets now.")
        return redirect(PAGE)

    @post("/rotate")
    async def rotate(
        self, request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal, state: State
    ) -> Redirect:
        await service.rotate_secret(db, state.secret_box, principal, request)
        flash(
            request,
            "success",
            "A new signing secret is in place. Tokens signed with the old one no longer work: "
            "give your server the new secret.",
        )
        return redirect(PAGE)
