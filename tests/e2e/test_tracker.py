"""The browser tracker (static/js/nexus.js) in headless Chromium, against a recording receiver.

No NEXUS server here: one loopback server serves the fixture page from tests/fixtures/tracker/
(and the tracker itself from static/js/), another one, on another port and so another origin,
plays POST /v1/events/batch and records every request. The tests wait on what the receiver
records (a condition variable, never a fixed sleep).
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "tracker"
TRACKER = ROOT / "static" / "js" / "nexus.js"


KEY = "ingest-key-for-tests"
WAIT_S = 10.0


# --- the receiver: a stand-in for POST /v1/events/batch ------------------------------------


@dataclass
class Post:
    at: float
    path: str
    headers: dict[str, str]
    body: Any
    status: int | None  # None: the connection was dropped without an answer

    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self.body.get("events", [])) if isinstance(self.body, dict) else []

    @property
    def is_beacon(self) -> bool:
        return self.headers.get("content-type", "").startswith("text/plain")


@dataclass
class Failure:
    status: int | None  # None: drop the connection (a network error for the browser)
    headers: dict[str, str] = field(default_factory=dict)
    expose_headers: bool = True


class Receiver:
    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.posts: list[Post] = []
        self.preflights = 0
        self.failures: list[Failure] = []

    def reset(self) -> None:
        with self.changed:
            self.posts.clear()
            self.preflights = 0
            self.failures.clear()

    def fail_next(self, failure: Failure) -> None:
        with self.changed:
            self.failures.append(failure)

    def wait_for(self, predicate: Callable[[list[Post]], Any], what: str, timeout: float = WAIT_S) -> Any:
        """predicate's first truthy answer on the posts so far, waiting for new ones."""
        result: Any = None

        def check() -> bool:
            nonlocal result
            result = predicate(list(self.posts))
            return bool(result)

        with self.changed:
            if not self.changed.wait_for(check, timeout=timeout):
                summary = [
                    (p.status, p.headers.get("content-type"), [e.get("event") for e in p.events]) for p in self.posts
                ]
                pytest.fail(f"timed out after {timeout} s waiting for {what}; posts so far: {summary}")
        return result

    def wait_for_event(self, name: str, count: int = 1) -> list[dict[str, Any]]:
        """The first `count` stored events called `name` (stored: answered 200)."""

        def found(posts: list[Post]) -> list[dict[str, Any]] | None:
            matching = [e for e in stored_events(posts) if e.get("event") == name]
            return matching if len(matching) >= count else None

        return self.wait_for(found, f"{count} stored {name!r} event(s)")  # type: ignore[no-any-return]

    def snapshot(self) -> list[Post]:
        with self.changed:
            return list(self.posts)


def stored_events(posts: list[Post]) -> list[dict[str, Any]]:
    return [event for post in posts if post.status == 200 for event in post.events]


def _receiver_handler(receiver: Receiver) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def _cors(self, expose: bool = True) -> None:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Headers", "content-type, x-api-key")
            self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
            if expose:
                # Without this a cross-origin script cannot read Retry-After.
                self.send_header("Access-Control-Expose-Headers", "Retry-After")

        def do_OPTIONS(self) -> None:
            with receiver.changed:
                receiver.preflights += 1
            self.send_response(204)
            self._cors()
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"unparsable": raw.decode(errors="replace")}
            with receiver.changed:
                failure = receiver.failures.pop(0) if receiver.failures else None
                status = failure.status if failure else 200
                post = Post(
                    at=time.monotonic(),
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    status=status,
                )
            if status is None:
                self.close_connection = True  # no answer at all
            else:
                answer = (
                    {"accepted": len(post.events), "rejected": []} if status == 200 else {"error": f"status {status}"}
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self._cors(expose=failure.expose_headers if failure else True)
                for name, value in (failure.headers if failure else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            # Recorded once answered, so a test that sees a post also sees its effect.
            with receiver.changed:
                receiver.posts.append(post)
                receiver.changed.notify_all()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _PageHandler(http.server.SimpleHTTPRequestHandler):
    """The fixture directory, plus the tracker at its real path /static/js/nexus.js."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(FIXTURES), **kwargs)

    def translate_path(self, path: str) -> str:
        if urlsplit(path).path == "/static/js/nexus.js":
            return str(TRACKER)
        return super().translate_path(path)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name=f"test-{handler.__name__}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


# --- fixtures -------------------------------------------------------------------------------


@dataclass
class Endpoint:
    receiver: Receiver
    url: str


@pytest.fixture(scope="module")
def _endpoint() -> Iterator[Endpoint]:
    receiver = Receiver()
    for url in _serve(_receiver_handler(receiver)):
        yield Endpoint(receiver, url)


@pytest.fixture
def endpoint(_endpoint: Endpoint) -> Endpoint:
    _endpoint.receiver.reset()
    return _endpoint


@pytest.fixture
def receiver(endpoint: Endpoint) -> Receiver:
    return endpoint.receiver


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    yield from _serve(_PageHandler)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Per module, like conftest's `browser` (which needs the NEXUS server this file avoids)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (CI installs Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class Tab:
    page: Any
    url: str
    errors: list[str]

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def storage(self, name: str) -> Any:
        return self.js("name => localStorage.getItem(name)", f"nexus:{name}")


@pytest.fixture
def open_tab(chromium: Any, site: str, endpoint: Endpoint) -> Iterator[Callable[..., Tab]]:
    """open_tab(init_script=None, **query) → the fixture page in a fresh context, the tracker
    started by the page with the key, this test's receiver and `query` (see index.html)."""
    contexts: list[Any] = []
    tabs: list[Tab] = []

    def open_(init_script: str | None = None, **query: Any) -> Tab:
        context = chromium.new_context(locale="en-GB", timezone_id="UTC")
        context.set_default_timeout(WAIT_S * 1000)
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        url = f"{site}/index.html?" + urlencode({"key": KEY, "host": endpoint.url, **query})
        page.goto(url)
        tab = Tab(page, url, errors)
        tabs.append(tab)
        return tab

    yield open_
    for context in contexts:
        context.close()
    for tab in tabs:
        assert tab.errors == [], f"the tracker threw into the page: {tab.errors}"


# --- helpers --------------------------------------------------------------------------------


def _is_uuid(value: Any) -> bool:
    try:
        return str(uuid.UUID(str(value))) == value
    except ValueError:
        return False


def _recent_utc(value: str) -> bool:
    stamp = datetime.fromisoformat(value)
    return value.endswith("Z") and abs((datetime.now(UTC) - stamp).total_seconds()) < 60


def _uuid_counts(events: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in events:
        counts[event["uuid"]] = counts.get(event["uuid"], 0) + 1
    return counts


def _after_pending_pageviews(tab: Tab, name: str) -> None:
    """Track `name` once the tracker's deferred SPA pageview checks (setTimeout 0) have run."""
    tab.js("async name => { await new Promise(r => setTimeout(r, 0)); nexus.track(name); nexus.flush(); }", name)


HIDE_PAGE = """() => {
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => "hidden"});
  document.dispatchEvent(new Event("visibilitychange"));
}"""
SHOW_PAGE = """() => {
  delete document.visibilityState;
  document.dispatchEvent(new Event("visibilitychange"));
}"""


# --- tests ----------------------------------------------------------------------------------


def test_initial_pageview_arrives_with_the_key_in_header_and_body(
    open_tab: Callable[..., Tab], receiver: Receiver
) -> None:
    tab = open_tab(flushInterval=100)
    [pageview] = receiver.wait_for_event("pageview")

    assert pageview["properties"] == {
        "path": "/index.html",
        "url": tab.url,
        "referrer": "",
        "title": "Tracker test page",
        "screen_width": tab.js("screen.width"),
        "screen_height": tab.js("screen.height"),
        "language": "en-GB",
    }
    assert _is_uuid(pageview["uuid"])
    assert _recent_utc(pageview["timestamp"])
    assert pageview["distinct_id"] == tab.storage("anon_id")
    assert _is_uuid(pageview["distinct_id"])
    assert pageview["session_id"] == json.loads(tab.storage("session"))["id"]

    [post] = receiver.snapshot()
    assert post.path == "/v1/events/batch"
    assert post.status == 200
    assert post.headers["content-type"] == "application/json"
    assert post.headers["x-api-key"] == KEY
    assert post.body["api_key"] == KEY
    assert post.events == [pageview]
    assert receiver.preflights >= 1  # cross-origin with X-API-Key: the browser asked first


def test_single_page_navigation_records_a_pageview_per_new_path(
    open_tab: Callable[..., Tab], receiver: Receiver
) -> None:
    tab = open_tab(flushInterval=100)
    receiver.wait_for_event("pageview")

    tab.js("() => history.pushState({}, '', '/app/pricing')")
    pageviews = receiver.wait_for_event("pageview", 2)
    assert pageviews[1]["properties"]["path"] == "/app/pricing"
    assert pageviews[1]["properties"]["url"].endswith("/app/pricing")
    assert pageviews[1]["properties"]["referrer"] == tab.url  # the page before, not document.referrer

    # The same path again (query, fragment, replaceState) is not a new page.
    tab.js(
        """() => {
          history.pushState({}, '', '/app/pricing?tab=2');
          history.replaceState({}, '', '/app/pricing#plans');
          location.hash = 'faq';
        }"""
    )
    _after_pending_pageviews(tab, "sentinel")
    receiver.wait_for_event("sentinel")
    names = [e["event"] for e in stored_events(receiver.snapshot())]
    assert names == ["pageview", "pageview", "sentinel"]

    tab.js("() => history.replaceState({}, '', '/app/settings')")
    receiver.wait_for_event("pageview", 3)
    tab.js("() => history.back()")  # popstate, back to /app/pricing
    pageviews = receiver.wait_for_event("pageview", 4)
    assert [p["properties"]["path"] for p in pageviews] == [
        "/index.html",
        "/app/pricing",
        "/app/settings",
        "/app/pricing",
    ]
    assert len(_uuid_counts(pageviews)) == 4
    assert len({p["session_id"] for p in pageviews}) == 1


def test_track_identify_and_session(open_tab: Callable[..., Tab], receiver: Receiver) -> None:
    tab = open_tab(flushInterval=100)
    anonymous = tab.storage("anon_id")
    tab.js("() => { const props = {plan: 'pro'}; nexus.track('signup', props); props.plan = 'changed later'; }")
    [signup] = receiver.wait_for_event("signup")
    assert signup["properties"] == {"plan": "pro"}
    assert _is_uuid(signup["uuid"])
    assert _recent_utc(signup["timestamp"])
    assert signup["distinct_id"] == anonymous
    session = signup["session_id"]
    assert _is_uuid(session)

    tab.js("() => { nexus.identify('user-42'); nexus.track('upgrade', {seats: 3}); }")
    [upgrade] = receiver.wait_for_event("upgrade")
    assert (upgrade["distinct_id"], upgrade["session_id"], upgrade["properties"]) == ("user-42", session, {"seats": 3})

    # Identity and session survive a reload.
    tab.page.reload()
    pageviews = receiver.wait_for_event("pageview", 2)
    assert (pageviews[1]["distinct_id"], pageviews[1]["session_id"]) == ("user-42", session)

    # 30 minutes without an event: a new session.
    tab.js(
        """() => {
          const stored = JSON.parse(localStorage.getItem('nexus:session'));
          stored.last = Date.now() - 31 * 60 * 1000;
          localStorage.setItem('nexus:session', JSON.stringify(stored));
          nexus.track('came-back');
        }"""
    )
    [came_back] = receiver.wait_for_event("came-back")
    assert came_back["distinct_id"] == "user-42"
    assert _is_uuid(came_back["session_id"])
    assert came_back["session_id"] != session

    # reset(): a new anonymous visitor in a new session.
    tab.js("() => { nexus.reset(); nexus.track('after-logout'); }")
    [after] = receiver.wait_for_event("after-logout")
    assert _is_uuid(after["distinct_id"])
    assert after["distinct_id"] not in (anonymous, "user-42")
    assert after["session_id"] not in (session, came_back["session_id"])


def test_a_burst_goes_out_in_batches_of_at_most_max_batch(open_tab: Callable[..., Tab], receiver: Receiver) -> None:
    # A long interval: full batches must go at once, not wait for the timer.
    tab = open_tab(flushInterval=60000, maxBatch=50)
    tab.js("() => { for (let i = 0; i < 120; i++) nexus.track('burst', {i}); }")
    receiver.wait_for_event("burst", 99)  # the pageview and 99 events: two full batches
    assert [len(p.events) for p in receiver.snapshot()] == [50, 50]

    tab.js("() => nexus.flush()")  # the remaining 21 without waiting a minute
    bursts = receiver.wait_for_event("burst", 120)
    posts = receiver.snapshot()
    assert [len(p.events) for p in posts] == [50, 50, 21]
    assert all(p.status == 200 and p.headers["x-api-key"] == KEY for p in posts)
    # Full batches go out together, so they may arrive in either order; each keeps its own.
    assert sorted(e["properties"]["i"] for e in bursts) == list(range(120))
    for post in posts:
        numbers = [e["properties"]["i"] for e in post.events if e["event"] == "burst"]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert set(_uuid_counts(stored_events(posts)).values()) == {1}


@pytest.mark.parametrize(
    ("failure", "honours_retry_after"),
    [
        pytest.param(Failure(503, {"Retry-After": "1"}), True, id="503-retry-after"),
        pytest.param(Failure(429, {"Retry-After": "1"}), True, id="429-retry-after"),
        pytest.param(Failure(503, {"Retry-After": "1"}, expose_headers=False), False, id="503-header-not-exposed"),
        pytest.param(Failure(None), False, id="network-error"),
    ],
)
def test_a_failed_batch_is_retried_and_stored_once(
    open_tab: Callable[..., Tab], receiver: Receiver, failure: Failure, honours_retry_after: bool
) -> None:
    tab = open_tab(flushInterval=100)
    receiver.wait_for_event("pageview")
    receiver.fail_next(failure)

    tab.js("() => nexus.track('retry-me', {n: 1})")
    [failed] = receiver.wait_for(lambda posts: [p for p in posts if p.status != 200], "the failed attempt")
    tab.js("() => nexus.track('queued-behind')")  # while the batch waits for its retry
    receiver.wait_for_event("queued-behind")

    posts = receiver.snapshot()
    retried = [p for p in posts if any(e["event"] == "retry-me" for e in p.events)]
    assert [p.status for p in retried] == [failure.status, 200]
    assert retried[1].events == failed.events  # the same batch, the same uuids
    if honours_retry_after:
        assert retried[1].at - failed.at >= 0.95
    events = stored_events(posts)
    assert [e["event"] for e in events] == ["pageview", "retry-me", "queued-behind"]
    assert set(_uuid_counts(events).values()) == {1}


def test_a_client_error_drops_the_batch(open_tab: Callable[..., Tab], receiver: Receiver) -> None:
    tab = open_tab(flushInterval=100)
    receiver.wait_for_event("pageview")
    receiver.fail_next(Failure(400))
    tab.js("() => nexus.track('refused')")
    receiver.wait_for(lambda posts: any(p.status == 400 for p in posts), "the refused batch")
    tab.js("() => nexus.track('next')")
    receiver.wait_for_event("next")
    # One request at a time: had 'refused' been kept for a retry, 'next' would still wait.
    refused = [p for p in receiver.snapshot() if any(e["event"] == "refused" for e in p.events)]
    assert [p.status for p in refused] == [400]


def test_hiding_the_page_sends_the_queue_with_send_beacon(open_tab: Callable[..., Tab], receiver: Receiver) -> None:
    tab = open_tab(flushInterval=60000)  # nothing would go out by the timer
    tab.js("() => { nexus.track('one'); nexus.track('two', {x: 1}); }")
    tab.js(HIDE_PAGE)
    [beacon] = receiver.wait_for(lambda posts: posts, "the beacon")
    assert beacon.is_beacon
    assert "x-api-key" not in beacon.headers  # a beacon cannot set headers: the key is in the body
    assert beacon.body["api_key"] == KEY
    assert [e["event"] for e in beacon.events] == ["pageview", "one", "two"]
    assert beacon.events[2]["properties"] == {"x": 1}

    # Visible again: tracking goes on with fetch, and nothing is sent twice.
    tab.js(SHOW_PAGE)
    tab.js("() => { nexus.track('three'); nexus.flush(); }")
    receiver.wait_for_event("three")
    posts = receiver.snapshot()
    assert [(p.is_beacon, [e["event"] for e in p.events]) for p in posts] == [
        (True, ["pageview", "one", "two"]),
        (False, ["three"]),
    ]


def test_navigating_away_sends_the_queue_with_send_beacon(open_tab: Callable[..., Tab], receiver: Receiver) -> None:
    tab = open_tab(flushInterval=60000)
    tab.js("() => nexus.track('before-leaving')")
    tab.page.goto("about:blank")  # pagehide
    receiver.wait_for_event("before-leaving")
    posts = receiver.snapshot()
    assert all(p.is_beacon for p in posts)
    events = stored_events(posts)
    assert [e["event"] for e in events] == ["pageview", "before-leaving"]
    assert set(_uuid_counts(events).values()) == {1}


def test_hiding_the_page_sends_a_batch_waiting_for_its_retry(open_tab: Callable[..., Tab], receiver: Receiver) -> None:
    # Counts settled fetches, so the test knows when the tracker has seen the 503 (its own
    # handlers run right after this one) and not only when the receiver answered it.
    count_fetches = """
      window.settledFetches = 0;
      const fetch = window.fetch;
      window.fetch = (...args) => {
        const response = fetch(...args);
        response.finally(() => window.settledFetches++).catch(() => {});
        return response;
      };
    """
    tab = open_tab(init_script=count_fetches, flushInterval=100)
    receiver.wait_for_event("pageview")
    receiver.fail_next(Failure(503, {"Retry-After": "120"}))
    tab.js("() => nexus.track('waiting')")
    [failed] = receiver.wait_for(lambda posts: [p for p in posts if p.status == 503], "the failed attempt")
    tab.page.wait_for_function("window.settledFetches === 2")
    tab.js("() => nexus.track('queued')")
    tab.js(HIDE_PAGE)
    [beacon] = receiver.wait_for(lambda posts: [p for p in posts if p.is_beacon], "the beacon")
    assert [e["event"] for e in beacon.events] == ["waiting", "queued"]
    assert beacon.events[0]["uuid"] == failed.events[0]["uuid"]


def test_calls_before_init_are_no_ops(open_tab: Callable[..., Tab], receiver: Receiver, endpoint: Endpoint) -> None:
    tab = open_tab(noinit=1)
    answers = tab.js(
        """() => [
          nexus.track('too-early'), nexus.identify('too-early'), nexus.flush(), nexus.page(), nexus.reset(),
        ]"""
    )
    assert answers == [None] * 5
    assert tab.storage("distinct_id") is None

    tab.js("([key, host]) => nexus.init(key, {host, flushInterval: 100})", [KEY, endpoint.url])
    [pageview] = receiver.wait_for_event("pageview")
    assert pageview["distinct_id"] == tab.storage("anon_id")
    assert [e["event"] for e in stored_events(receiver.snapshot())] == ["pageview"]


def test_the_tracker_never_throws_into_the_page(open_tab: Callable[..., Tab], receiver: Receiver) -> None:
    # Storage that throws, as in some sandboxed frames: the tracker keeps ids in memory.
    blocked_storage = """
      for (const name of ['localStorage', 'sessionStorage'])
        Object.defineProperty(window, name, {get() { throw new DOMException('blocked', 'SecurityError'); }});
    """
    tab = open_tab(init_script=blocked_storage, flushInterval=100)
    [pageview] = receiver.wait_for_event("pageview")
    assert _is_uuid(pageview["distinct_id"])

    answers = tab.js(
        """([key]) => {
          const cyclic = {}; cyclic.self = cyclic;
          return [
            nexus.track(), nexus.track(42), nexus.track(''), nexus.track('cyclic', cyclic),
            nexus.track('bigint', {n: 10n}), nexus.identify(null), nexus.identify(''),
            nexus.init(key, {host: 'http://127.0.0.1:9'}), nexus.track('array-props', [1, 2]),
          ];
        }""",
        [KEY],
    )
    assert answers == [None] * 9
    # The host's own history errors still reach the host, untouched by the patch.
    error = tab.js(
        "() => { try { history.pushState({}, '', 'http://example.invalid/x'); } catch (e) { return e.name; } }"
    )
    assert error == "SecurityError"

    tab.js("() => nexus.track('fine')")
    receiver.wait_for_event("fine")
    events = stored_events(receiver.snapshot())
    assert [e["event"] for e in events] == ["pageview", "array-props", "fine"]
    assert events[1]["properties"] == {}
    assert {e["distinct_id"] for e in events} == {pageview["distinct_id"]}  # the second init was ignored
