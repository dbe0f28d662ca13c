"""One error shape for every 4xx/5xx (API.md), and HTML error pages for the browser UI.

`{"error": {"code": "snake_case_code", "message": "A sentence for a person.", "details": [...]}}`
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, SerializationException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

log = structlog.get_logger(__name__)

_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "Authentication is required."),
    403: ("forbidden", "You do not have permission to do that."),
    404: ("not_found", "Nothing exists at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    409: ("conflict", "That conflicts with existing data."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send JSON with Content-Type: application/json."),
    429: ("rate_limited", "Too many requests; slow down and retry later."),
    500: ("internal_error", "Something went wrong on our side; it has been logged."),
    503: ("unavailable", "The service is temporarily unavailable; retry later."),
}

# Paths answered as JSON even without an Accept header: the API and service routes.
_JSON_PREFIXES = ("/v1/", "/health", "/ready", "/metrics", "/schema")


class ApiError(HTTPException):
    """A domain error with a stable code; raise it from services and controllers."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        details: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.code = code
        self.message = message
        self.details = details or []


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")


def _validation_details(exc: ValidationException) -> list[dict[str, Any]]:
    details = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            kept = {k: v for k, v in item.items() if k in {"message", "key", "source"}}
            if "source" in kept:
                kept["source"] = str(getattr(kept["source"], "value", kept["source"]))
            details.append(kept)
        else:
            details.append({"message": str(item)})
    return details


def error_body(exc: Exception) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Map any exception to (status, body, headers) in the contract's shape."""
    if isinstance(exc, ApiError):
        return exc.status_code, _shape(exc.code, exc.message, exc.details), dict(exc.headers or {})
    if isinstance(exc, ValidationException):
        details = _validation_details(exc)
        first = details[0] if details else {"message": str(exc.detail)}
        if "malformed" in first["message"].lower():
            return 400, _shape("invalid_json", "The body is not valid JSON.", details), {}
        # "key" is the field msgspec complained about ("data" when the whole body is wrong).
        where = f" ({first['source']} field `{first['key']}`)" if first.get("key") not in (None, "data") else ""
        message = _sentence(f"The request is not valid{where}: {first['message']}")
        return 400, _shape("invalid_request", message, details), {}
    if isinstance(exc, HTTPException) and isinstance(exc.__cause__, SerializationException):
        return 400, _shape("invalid_json", "The body is not valid JSON.", [{"message": str(exc.detail)}]), {}
    if isinstance(exc, HTTPException):
        code, default_message = _CODES.get(exc.status_code, ("error", "The request failed."))
        message = exc.detail if exc.detail and exc.detail != _phrase(exc.status_code) else default_message
        if exc.status_code == 413:
            message = default_message
        return exc.status_code, _shape(code, _sentence(str(message)), []), dict(exc.headers or {})
    code, message = _CODES[500]
    return HTTP_500_INTERNAL_SERVER_ERROR, _shape(code, message, []), {}


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _phrase(status: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status).phrase


def _shape(code: str, message: str, details: list[Any]) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    if path.startswith(_JSON_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "") or request.headers.get("hx-request") == "true"


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The app-wide handler: JSON for the API, a page (or a login redirect) for the UI."""
    status, body, headers = error_body(exc)
    if status >= 500:
        log.exception("unhandled_error", exc_info=exc)
    if not _wants_html(request):
        return Response(content=body, status_code=status, headers=headers, media_type=MediaType.JSON)
    # A signed-out browser is sent to sign in; an embed has no one to sign in.
    if (isinstance(exc, NotAuthorizedException) or status == 401) and not request.url.path.startswith("/embed/"):
        if request.headers.get("hx-request") == "true":
            return Response(content=b"", status_code=401, headers={"HX-Redirect": "/login"})
        return Redirect(path="/login", query_params={"next": request.url.path})
    return Template(
        template_name="pages/error.html",
        context={"status": status, "error": body["error"]},
        status_code=status,
        headers=headers,
    )
