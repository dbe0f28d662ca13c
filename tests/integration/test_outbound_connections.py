"""The SSRF guard holds at the connection itself, not only in the request hook: a connection
goes to an address checked as it is opened (DNS rebinding cannot swap in a private one)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from app.core.outbound import CheckedTransport, OutboundClient, OutboundPolicy, OutboundRefused
from app.settings import OutboundSettings


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/elsewhere":
            # To the same server by its address, which the tests' allow-list leaves out.
            self.send_response(302)
            self.send_header("location", f"http://127.0.0.1:{self.server.server_address[1]}/")
            self.send_header("content-length", "0")
            self.end_headers()
            return
        body = b"hello"
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


async def _get(policy: OutboundPolicy, url: str) -> httpx.Response:
    # No request hook here: only the transport's own check stands between the URL and the socket.
    async with httpx.AsyncClient(transport=CheckedTransport(policy)) as client:
        return await client.get(url)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_private_address_is_refused_when_connecting(loopback_port: int, host: str) -> None:
    with pytest.raises(OutboundRefused, match="private, loopback or link-local"):
        await _get(OutboundPolicy(()), f"http://{host}:{loopback_port}/")


@pytest.mark.parametrize(
    ("allowlist", "host"),
    [(("127.0.0.0/8", "::1/128"), "localhost"), (("127.0.0.1",), "127.0.0.1"), (("localhost",), "localhost")],
    ids=["network, by name", "address", "name"],
)
async def test_allow_listed_targets_connect(loopback_port: int, allowlist: tuple[str, ...], host: str) -> None:
    response = await _get(OutboundPolicy(allowlist), f"http://{host}:{loopback_port}/")
    assert (response.status_code, response.text) == (200, "hello")


async def test_a_redirect_to_a_private_address_is_refused(loopback_port: int) -> None:
    client = OutboundClient(OutboundSettings(allowlist=("localhost",)))
    try:
        assert (await client.request("GET", f"http://localhost:{loopback_port}/")).text == "hello"
        with pytest.raises(OutboundRefused, match=r"127\.0\.0\.1, a private, loopback or link-local"):
            await client.request("GET", f"http://localhost:{loopback_port}/elsewhere")
    finally:
        await client.aclose()
