"""Requests to URLs that users supply (webhooks, discovery): the SSRF guard and good manners.

API.md: outbound requests refuse private, loopback and link-local addresses unless the host
or its address is listed in `NEXUS_OUTBOUND_ALLOWLIST`. Every request's URL is checked,
redirects included (each hop is a new request and passes the same hook), and every
connection's addresses as it is opened: it goes only to an address checked then, never to a
second answer for the name (DNS rebinding: a name that resolves to a public address for one
lookup and to a private one for the next). On top of the guard: timeouts, TLS verification,
a response size cap, and per-host concurrency and rate limits so that discovering an
application never hammers it.

One place for all of it: webhooks and discovery take their HTTP client from `OutboundClient`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from app.settings import OutboundSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class OutboundRefused(Exception):
    """The URL may not be requested; the message says why, in words for a person."""


class ResponseTooLarge(Exception):
    pass


class OutboundPolicy:
    """Which URLs may be requested. Pure rules plus a DNS lookup; no HTTP."""

    def __init__(self, allowlist: tuple[str, ...]) -> None:
        self.hosts: set[str] = set()
        self.networks: list[IPNetwork] = []
        for entry in allowlist:
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry.lower().rstrip("."))

    async def check(self, url: str) -> None:
        """Raise OutboundRefused unless `url` is http(s) to a public address or an allow-listed one."""
        await self.check_host(*self.check_url(url))

    def check_url(self, url: str) -> tuple[str, int]:
        """The guard's checks of the URL itself, without resolving its host: raise
        OutboundRefused unless it is http(s) with a host and no credentials. Returns the host
        and port to check next (check_host)."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise OutboundRefused(f"Only http and https URLs can be requested, not {parts.scheme or 'none'!r}.")
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            raise OutboundRefused("The URL has no host.")
        if parts.username or parts.password:
            raise OutboundRefused("Credentials in the URL are not accepted; use the connection's auth settings.")
        return host, parts.port or (443 if parts.scheme == "https" else 80)

    async def check_host(self, host: str, port: int) -> list[IPAddress]:
        """The same guard for a bare host (database connections): raise OutboundRefused unless
        it is public or allow-listed. Returns the addresses checked (none when allow-listed by
        name) so a caller can connect to exactly those and not resolve the name again."""
        host = host.lower().rstrip(".")
        if not host:
            raise OutboundRefused("The connection has no host.")
        if host in self.hosts:
            return []
        addresses = await self._resolve(host, port)
        for address in addresses:
            if any(address in network for network in self.networks):
                continue
            if not address.is_global or address.is_multicast:
                raise OutboundRefused(
                    f"{host} resolves to {address}, a private, loopback or link-local address; "
                    "add it to NEXUS_OUTBOUND_ALLOWLIST to allow it."
                )
        return addresses

    @staticmethod
    async def _resolve(host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise OutboundRefused(f"{host} could not be resolved: {exc.strerror}.") from exc
        # IPv6 scope ids ('fe80::1%eth0') are not part of the address.
        return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


class HostLimits:
    """Per-host concurrency (a semaphore) and request rate (a moving window from `limits`)."""

    def __init__(self, concurrency: int, per_second: int) -> None:
        self._concurrency = concurrency
        self._semaphores: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(self._concurrency))
        self._rate = RateLimitItemPerSecond(per_second)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        async with self._semaphores[host]:
            while not await self._limiter.hit(self._rate, host):
                stats = await self._limiter.get_window_stats(self._rate, host)
                await asyncio.sleep(max(0.01, stats.reset_time - time.time()))
            yield


class _CheckedNetwork(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses the policy has just checked for this very
    connection, resolving the name once, here (the request hook's own lookup may have
    returned something else)."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        # No addresses: the name itself is allow-listed, so it may be connected to by name.
        targets = [str(address) for address in await self._policy.check_host(host, port)] or [host]
        for target in targets[:-1]:
            try:
                return await self._network.connect_tcp(target, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue  # the next checked address, as a resolver's own fallback would
        return await self._network.connect_tcp(targets[-1], port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose connections go through _CheckedNetwork.
    httpx takes no network backend, so the pool it built is replaced by one built alike; TLS
    still verifies the certificate against the URL's host name."""

    def __init__(self, policy: OutboundPolicy) -> None:
        super().__init__(verify=True)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=True),
            network_backend=_CheckedNetwork(policy),
        )


class OutboundClient:
    """The HTTP client for user-supplied URLs: guarded, capped, polite. One per process."""

    def __init__(self, settings: OutboundSettings) -> None:
        self.settings = settings
        self.policy = OutboundPolicy(settings.allowlist)
        self.limits = HostLimits(settings.per_host_concurrency, settings.per_host_rate)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout_s),
            follow_redirects=True,
            max_redirects=5,
            transport=CheckedTransport(self.policy),
            headers={"user-agent": "NEXUS-PRIME/1.0 (+outbound)"},
            event_hooks={"request": [self._guard]},
        )

    async def _guard(self, request: httpx.Request) -> None:
        # Every hop's URL; its addresses are checked by the transport as it connects.
        self.policy.check_url(str(request.url))

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request and read at most `max_response_bytes` of the body.

        Raises OutboundRefused (the guard said no), ResponseTooLarge, or httpx errors.
        """
        await self.policy.check(url)  # refuse before taking a host slot
        host = (urlsplit(url).hostname or "").lower()
        async with self.limits.slot(host), self._client.stream(method, url, **kwargs) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.settings.max_response_bytes:
                    raise ResponseTooLarge(
                        f"The response from {host} is larger than {self.settings.max_response_bytes} bytes."
                    )
                chunks.append(chunk)
            # Rebuild a fully-read response so callers use the ordinary httpx API. The body is
            # already decoded, so the encoding headers would make httpx decode it twice.
            headers = [
                (name, value)
                for name, value in response.headers.multi_items()
                if name.lower() not in {"content-encoding", "content-length", "transfer-encoding"}
            ]
            return httpx.Response(
                response.status_code,
                headers=headers,
                content=b"".join(chunks),
                request=response.request,
                history=response.history,
            )

    async def aclose(self) -> None:
        await self._client.aclose()


def describe_error(exc: BaseException) -> str:
    """An outbound failure in words for a person (never the credentials, never a traceback)."""
    if isinstance(exc, OutboundRefused | ResponseTooLarge):
        return str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return "The request timed out."
    if isinstance(exc, httpx.ConnectError):
        return "Could not connect: the host refused the connection or is unreachable."
    if isinstance(exc, httpx.TooManyRedirects):
        return "Too many redirects."
    if isinstance(exc, httpx.HTTPError):
        return f"The request failed: {type(exc).__name__}."
    return f"Unexpected error: {type(exc).__name__}."
