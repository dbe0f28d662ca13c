"""Browser pages for signing in and out, invitations, and organisation settings."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.core import sessions
from app.core.auth import ROLES, Permission, requires
from app.core.deps import AppSettings, CurrentPrincipal, Db
from app.core.errors import ApiError
from app.core.pages import flash, public_base, read_form, redirect, render, safe_next
from app.domain.accounts import queries, service
from app.domain.accounts.schemas import ApiKeyCreate, UserInvite


class LoginForm(msgspec.Struct):
    email: str = ""
    password: str = ""
    next: str = "/"


class InviteForm(msgspec.Struct):
    password: str = ""
    name: str = ""


async def _signed_in(
    request: Request[Any, Any, Any], user_id: str, org_id: str, target: str, welcome: str | None = None
) -> Redirect:
    data: dict[str, Any] = {"user_id": user_id, "org_id": org_id}
    if welcome:
        data["_flashes"] = [{"kind": "success", "text": welcome}]
    response = redirect(target)
    response.cookies.append(await sessions.begin(request, data))
    return response


class AccountPages(Controller):
    include_in_schema = False

    @get("/login", exclude_from_auth=True)
    async def login_page(self, request: Request[Any, Any, Any], next: FromQuery[str] = "/") -> Template | Redirect:
        if request.session.get("user_id"):
            return redirect(safe_next(next))
        return render(request, "pages/login.html", next=safe_next(next), email="", error=None)

    @post("/login", exclude_from_auth=True, skip_session=True)
    async def login(self, request: Request[Any, Any, Any], db: Db, settings: AppSettings) -> Template | Redirect:
        form, _, raw = await read_form(request, LoginForm)
        form = form or LoginForm()
        ip = request.client.host if request.client else "unknown"
        try:
            user = await service.check_credentials(
                db, request.app.state.limiter, settings.security, form.email, form.password, ip
            )
        except service.LoginThrottled as exc:
            error = service.throttled_error(exc)
            return render(
                request,
                "pages/login.html",
                status_code=429,
                next=safe_next(form.next),
                email=raw.get("email", ""),
                error=error.message,
            )
        if user is None:
            # One message whether the email exists or not: no account enumeration.
            return render(
                request,
                "pages/login.html",
                status_code=401,
                next=safe_next(form.next),
                email=raw.get("email", ""),
                error="The email or password is wrong.",
            )
        return await _signed_in(request, user["id"], user["org_id"], safe_next(form.next))

    @post("/logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return redirect("/login")

    @get("/invite/{token:str}", exclude_from_auth=True)
    async def invite_page(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        return render(request, "pages/invite.html", token=token, error=None)

    @post("/invite/{token:str}", exclude_from_auth=True, skip_session=True)
    async def accept_invite(self, request: Request[Any, Any, Any], token: FromPath[str], db: Db) -> Template | Redirect:
        form, _, _ = await read_form(request, InviteForm)
        form = form or InviteForm()
        try:
            async with db.transaction():
                invite = await service.accept_invite(db, token, form.name, form.password)
        except ApiError as exc:
            return render(request, "pages/invite.html", status_code=exc.status_code, token=token, error=exc.message)
        return await _signed_in(request, invite["id"], invite["org_id"], "/", "Welcome! Your account is ready.")


_REVEAL_KEY = "_reveal_once"


class SettingsPages(Controller):
    path = "/settings"
    include_in_schema = False
    guards = [requires(Permission.READ)]

    @get("/")
    async def index(self, request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal) -> Template:
        # A new key or invitation link is shown on the one page view after it was made
        # (post/redirect/get, so a refresh cannot create a second one), then never again.
        revealed = request.session.pop(_REVEAL_KEY, None) or {}
        return await self._render(request, db, principal, **revealed)

    async def _render(
        self, request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal, status_code: int = 200, **extra: Any
    ) -> Template:
        org = await queries.get_organization(db, principal.org_id)
        users = await queries.list_users(db, principal.org_id)
        keys = await queries.list_api_keys(db, principal.org_id, principal.user_id, 200)
        return render(
            request,
            "pages/settings/index.html",
            nav="settings",
            status_code=status_code,
            org=org,
            users=users,
            api_keys=keys,
            roles=ROLES,
            grantable_roles=[(r, r.capitalize()) for r in ROLES if r != "owner" or principal.can(Permission.OWNER)],
            scopes=[p.value for p in Permission if p in principal.permissions],
            **extra,
        )

    @post("/users", guards=[requires(Permission.ADMIN)])
    async def invite(self, request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal) -> Template | Redirect:
        form, errors, raw = await read_form(request, UserInvite)
        if form is None:
            return await self._render(request, db, principal, 400, invite_errors=errors, invite_values=raw)
        try:
            row, token = await service.invite_user(db, principal, form.email, form.name, form.role, request)
        except ApiError as exc:
            return await self._render(
                request, db, principal, exc.status_code, invite_errors={"email": exc.message}, invite_values=raw
            )
        base = public_base(request)
        request.session[_REVEAL_KEY] = {"invite_url": f"{base}/invite/{token}", "invited_email": row["email"]}
        return redirect("/settings")

    @post("/users/{user_id:uuid}/role", guards=[requires(Permission.ADMIN)])
    async def change_role(
        self, request: Request[Any, Any, Any], user_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> Template | Redirect:
        form = await request.form()
        role = str(form.get("role", ""))
        if role not in ROLES:
            flash(request, "error", "Choose one of the listed roles.")
            return redirect("/settings")
        try:
            row = await service.change_user(db, principal, str(user_id), {"role": role}, request)
            flash(request, "success", f"{row['email']} is now {role}.")
        except ApiError as exc:
            flash(request, "error", exc.message)
        return redirect("/settings")

    @post("/users/{user_id:uuid}/remove", guards=[requires(Permission.ADMIN)])
    async def remove(
        self, request: Request[Any, Any, Any], user_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> Redirect:
        try:
            await service.remove_user(db, principal, str(user_id), request)
            flash(request, "success", "The user was removed.")
        except ApiError as exc:
            flash(request, "error", exc.message)
        return redirect("/settings")

    @post("/api-keys")
    async def create_key(
        self, request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal
    ) -> Template | Redirect:
        form = await request.form()
        data = {"name": str(form.get("name", "")).strip(), "scopes": [str(s) for s in form.getall("scopes", [])]}
        try:
            payload = msgspec.convert(data, ApiKeyCreate)
            row, key = await service.create_api_key(db, principal, payload.name, list(payload.scopes), request)
        except msgspec.ValidationError:
            return await self._render(
                request, db, principal, 400, key_error="Give the key a name and at least one scope."
            )
        except ApiError as exc:
            return await self._render(request, db, principal, exc.status_code, key_error=exc.message)
        request.session[_REVEAL_KEY] = {"new_key": key, "new_key_name": row["name"]}
        return redirect("/settings")

    @post("/api-keys/{key_id:uuid}/revoke")
    async def revoke_key(
        self, request: Request[Any, Any, Any], key_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> Redirect:
        try:
            await service.revoke_api_key(db, principal, str(key_id), request)
            flash(request, "success", "The key was revoked.")
        except ApiError as exc:
            flash(request, "error", exc.message)
        return redirect("/settings")

    @post("/organization", guards=[requires(Permission.ADMIN)])
    async def rename(self, request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal) -> Redirect:
        form = await request.form()
        name = str(form.get("name", "")).strip()
        if not 1 <= len(name) <= 120:
            flash(request, "error", "The organisation name must be 1 to 120 characters.")
            return redirect("/settings")
        await service.rename_organization(db, principal, name, request)
        flash(request, "success", "Organisation renamed.")
        return redirect("/settings")
