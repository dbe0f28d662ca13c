"""Helpers shared by the server-rendered pages: render with the shell's context, flash
messages kept in the session, form decoding with field errors."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.response import Redirect, Template

T = TypeVar("T")
_FLASH_KEY = "_flashes"


class Flash(msgspec.Struct):
    kind: str  # success | error | info
    text: str


def flash(request: Request[Any, Any, Any], kind: str, text: str) -> None:
    pending = list(request.session.get(_FLASH_KEY, [])) if request.session else []
    pending.append({"kind": kind, "text": text})
    request.session[_FLASH_KEY] = pending


def _take_flashes(request: Request[Any, Any, Any]) -> list[Flash]:
    if "session" not in request.scope or not request.session:
        return []
    return [Flash(**item) for item in request.session.pop(_FLASH_KEY, [])]


def public_base(request: Request[Any, Any, Any]) -> str:
    """The address people and customers' sites reach this server at, for links and snippets
    made to be copied: NEXUS_PUBLIC_URL when set (behind a proxy), else the request's own."""
    return request.app.state.settings.server.public_url or str(request.base_url).rstrip("/")


def render(
    request: Request[Any, Any, Any], template: str, nav: str = "", status_code: int = 200, **context: Any
) -> Template:
    """A page with the shell's context: the principal, the active section, pending flashes."""
    return Template(
        template_name=template,
        context={
            "principal": request.scope.get("user"),
            "nav": nav,
            "flashes": _take_flashes(request),
            **context,
        },
        status_code=status_code,
    )


def redirect(path: str) -> Redirect:
    # 303 so a POST is followed by a GET (and htmx follows it too).
    return Redirect(path=path, status_code=303)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: never `//evil.example` or an absolute URL."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


async def read_form(request: Request[Any, Any, Any], shape: type[T]) -> tuple[T | None, dict[str, str], dict[str, str]]:
    """Decode a urlencoded form into `shape`; on failure return the field → message map."""
    form = await request.form()
    raw = {key: value for key, value in form.items() if isinstance(value, str) and not key.startswith("_")}
    cleaned = {key: value.strip() if key != "password" else value for key, value in raw.items()}
    data = {key: (value if value != "" else None) for key, value in cleaned.items()}
    data = {key: value for key, value in data.items() if value is not None}
    try:
        return msgspec.convert(data, shape, str_keys=True), {}, raw
    except msgspec.ValidationError as exc:
        return None, _field_errors(str(exc)), raw


def _field_errors(message: str) -> dict[str, str]:
    """msgspec says "Expected `str` of length >= 1 - at `$.name`"; turn that into {name: sentence}."""
    text, _, where = message.rpartition(" - at `$.")
    field = where.rstrip("`").split(".")[0].split("[")[0] if where else ""
    if message.startswith("Object missing required field"):
        field = message.split("`")[1]
        return {field: "This field is required."}
    return {field or "_form": _humanise(text or message)}


def _humanise(text: str) -> str:
    if "pattern" in text:
        return "This value is not in the expected format."
    if "length >=" in text:
        return "This value is too short."
    if "length <=" in text:
        return "This value is too long."
    if "Invalid enum value" in text:
        return "Choose one of the listed options."
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
