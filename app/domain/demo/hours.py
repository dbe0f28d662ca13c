"""One hour of synthetic traffic of a demo application, drawn from a random stream of its own.

Raw numpy columns per event kind (sessions, times, properties, uuids as bytes) and per API
request; app/domain/demo/traffic.py turns batches of hours into rows. See traffic.py for the
shape of the traffic and why each hour has its own stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from app.domain.demo.profiles import Profile, Weighted
from app.domain.demo.shape import Rng, anomalies_ms, rng_for, session_rate

HOUR_MS = 3_600_000
# The longest a session runs (25 min of pageviews, then sign-up and purchase): under an
# hour, so an hour's events end within the next hour.
MAX_SESSION_MS = 40 * 60_000
# During a latency regression the application's error events rise too.
ERROR_EVENTS_DURING_REGRESSION = 3.0
SOURCES: Weighted = (("google", 0.42), ("direct", 0.28), ("newsletter", 0.12), ("twitter", 0.1), ("partner", 0.08))
ERROR_STATUSES: tuple[tuple[int, float], ...] = (
    (500, 0.45),
    (502, 0.15),
    (503, 0.15),
    (504, 0.1),
    (400, 0.05),
    (404, 0.1),
)
KINDS = ("pageview", "login", "search", "add_to_cart", "signup", "purchase", "error")
Columns = dict[str, np.ndarray]


def _probabilities(weights: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(weights, dtype=float)
    return array / array.sum()


def _pick(rng: Rng, weighted: Weighted, count: int) -> np.ndarray:
    labels = np.array([label for label, _ in weighted], dtype=object)
    return labels[rng.choice(len(weighted), count, p=_probabilities([w for _, w in weighted]))]


def _arrivals(rng: Rng, hour_ms: int, per_minute: np.ndarray) -> np.ndarray:
    """Arrival instants (ms) for Poisson counts per minute, uniform within each minute."""
    minute_starts = hour_ms + 60_000 * np.arange(60, dtype=np.int64)
    return np.repeat(minute_starts, per_minute) + rng.integers(0, 60_000, int(per_minute.sum()))


def _minute_rates(profile: Profile, seed: int, hour_ms: int) -> np.ndarray:
    """Expected sessions per hour at the middle of each minute of the hour."""
    return session_rate(profile, seed, hour_ms + 60_000 * np.arange(60, dtype=np.int64) + 30_000)


def _amounts(profile: Profile, rng: Rng, count: int) -> np.ndarray:
    """Prices: lognormal around the first price, or one of fixed prices (cheapest most often)."""
    if profile.price_sigma > 0:
        amounts = profile.prices[0] * rng.lognormal(0.0, profile.price_sigma, count)
    else:
        mix = _probabilities(1 / np.arange(1, len(profile.prices) + 1))
        amounts = rng.choice(np.array(profile.prices), count, p=mix)
    return np.round(np.maximum(amounts, 1.0), 2)


@dataclass
class Hour:
    """One hour of raw columns, before they become text."""

    sessions: int = 0
    distinct_id: list[str] = field(default_factory=list)
    session_id: list[str] = field(default_factory=list)
    kinds: dict[str, Columns] = field(default_factory=dict)


def draw_events(profile: Profile, seed: int, hour: int) -> Hour:
    """Every event of the sessions that start in this hour (some end in the next)."""
    rng = rng_for(seed, profile, 0, hour)
    hour_ms = hour * HOUR_MS
    start = _arrivals(rng, hour_ms, rng.poisson(_minute_rates(profile, seed, hour_ms) / 60))
    n = len(start)

    is_new = rng.random(n) < profile.new_visitor_share
    # Returning visitors come from a pool, skewed to a core of frequent users; a user's plan
    # is theirs (derived from the user number), not drawn per session.
    user = (profile.returning_users * rng.random(n) ** 1.7).astype(np.int64)
    plan_labels = np.array([label for label, _ in profile.plans], dtype=object)
    plan_cut = np.cumsum(_probabilities([w for _, w in profile.plans]))
    user_plan = plan_labels[
        np.minimum(np.searchsorted(plan_cut, (user * 2_654_435_761 % 2**32) / 2**32), len(plan_cut) - 1)
    ]
    plan = np.where(is_new, plan_labels[0], user_plan)
    country = _pick(rng, profile.countries, n)
    browser = _pick(rng, profile.browsers, n)

    # Pageviews: a geometric number per session, exponential gaps between them.
    views = np.minimum(rng.geometric(1 / profile.pages_per_session, n), 15)
    view_session = np.repeat(np.arange(n), views)
    first_view = np.cumsum(views) - views
    gaps = rng.exponential(40_000, len(view_session))
    gaps[first_view] = 0
    elapsed = np.cumsum(gaps)
    since_start = np.minimum(elapsed - elapsed[first_view][view_session], 25 * 60_000).astype(np.int64)
    view_at = start[view_session] + since_start
    view_path = _pick(rng, profile.pages, len(view_session))
    landing = view_path[first_view]
    last_view_at = view_at[first_view + views - 1]
    span = last_view_at - start + 60_000

    def event(session: np.ndarray, at: np.ndarray, path: np.ndarray | None = None, **extra: np.ndarray) -> Columns:
        return {
            "session": session,
            "timestamp": at,
            "path": landing[session] if path is None else path,
            **extra,
            "browser": browser[session],
            "country": country[session],
            "plan": plan[session],
        }

    def during(session: np.ndarray) -> np.ndarray:
        return start[session] + (rng.random(len(session)) * span[session]).astype(np.int64)

    kinds = {"pageview": event(view_session, view_at, view_path)}

    login = np.flatnonzero(~is_new & (rng.random(n) < profile.login_rate))
    kinds["login"] = event(
        login,
        start[login] + rng.integers(1_000, 15_000, len(login)),
        method=np.where(rng.random(len(login)) < 0.8, "password", "google").astype(object),
    )

    search = np.flatnonzero(rng.random(n) < profile.search_rate)
    terms = np.array(profile.search_terms, dtype=object)
    kinds["search"] = event(
        search,
        during(search),
        query=terms[rng.integers(0, len(terms), len(search))],
        results=rng.poisson(18, len(search)),
    )

    cart = np.flatnonzero(rng.random(n) < profile.cart_rate)
    products = np.array(profile.products, dtype=object)
    kinds["add_to_cart"] = event(
        cart,
        during(cart),
        product=products[rng.integers(0, len(products), len(cart))],
        price=_amounts(profile, rng, len(cart)),
        quantity=rng.integers(1, 4, len(cart)),
    )

    # The funnel: only new visitors sign up, and only those who signed up buy.
    signed_up = is_new & (rng.random(n) < profile.signup_rate)
    signup = np.flatnonzero(signed_up)
    signup_at = last_view_at + rng.integers(5_000, 90_000, n)
    kinds["signup"] = event(signup, signup_at[signup], source=_pick(rng, SOURCES, len(signup)))
    purchase = np.flatnonzero(signed_up & (rng.random(n) < profile.purchase_rate))
    kinds["purchase"] = event(
        purchase,
        signup_at[purchase] + rng.integers(20_000, 600_000, len(purchase)),
        revenue=_amounts(profile, rng, len(purchase)),
        currency=np.full(len(purchase), "USD", dtype=object),
        product=products[rng.integers(0, len(products), len(purchase))],
    )

    error_at = start + (rng.random(n) * span).astype(np.int64)
    error_chance = np.full(n, profile.error_rate)
    for anomaly in anomalies_ms(profile, seed, hour_ms, hour_ms + HOUR_MS + MAX_SESSION_MS):
        if anomaly.kind == "latency":
            hit = (error_at >= anomaly.start_ms) & (error_at < anomaly.end_ms)
            error_chance = np.where(hit, error_chance * ERROR_EVENTS_DURING_REGRESSION, error_chance)
    error = np.flatnonzero(rng.random(n) < error_chance)
    statuses = np.array([status for status, _ in ERROR_STATUSES])
    kinds["error"] = event(
        error,
        error_at[error],
        _pick(rng, profile.pages, len(error)),
        status=statuses[rng.choice(len(statuses), len(error), p=_probabilities([w for _, w in ERROR_STATUSES]))],
        message=np.full(len(error), "Request failed", dtype=object),
    )

    # uuids last, per kind in a fixed order: the same rows get the same uuids in any batch.
    for name in KINDS:
        kinds[name]["uuid"] = uuid_bytes(rng, len(kinds[name]["session"]))
    return Hour(
        sessions=n,
        distinct_id=[
            f"anon-{hour:x}-{i:x}" if new else f"user-{u}" for i, (new, u) in enumerate(zip(is_new, user, strict=True))
        ],
        session_id=[f"s-{hour:x}-{i:x}" for i in range(n)],
        kinds=kinds,
    )


def draw_metrics(profile: Profile, seed: int, hour: int) -> Columns:
    """The API requests of one hour, per endpoint."""
    rng = rng_for(seed, profile, 1, hour)
    hour_ms = hour * HOUR_MS
    sessions = _minute_rates(profile, seed, hour_ms)
    per_minute = rng.poisson(sessions / 60 * profile.requests_per_session)
    at = _arrivals(rng, hour_ms, per_minute)
    m = len(at)
    endpoints = profile.endpoints
    which = rng.choice(len(endpoints), m, p=_probabilities([e.weight for e in endpoints]))
    median = np.array([e.median_ms for e in endpoints])[which]
    sigma = np.array([e.sigma for e in endpoints])[which]
    error_rate = np.array([e.error_rate for e in endpoints])[which]
    # Busy minutes are a little slower.
    load = np.repeat(sessions / profile.sessions_per_hour, per_minute)
    duration = median * np.exp(sigma * rng.standard_normal(m)) * np.clip(1 + 0.15 * (load - 1), 0.9, 1.6)
    names = np.array([e.name for e in endpoints], dtype=object)
    for anomaly in anomalies_ms(profile, seed, hour_ms, hour_ms + HOUR_MS):
        if anomaly.kind == "latency":
            hit = (names[which] == anomaly.endpoint) & (at >= anomaly.start_ms) & (at < anomaly.end_ms)
            duration = np.where(hit, duration * anomaly.factor, duration)
            error_rate = np.where(hit, np.minimum(error_rate * 4, 0.5), error_rate)
    methods = np.array([e.method for e in endpoints], dtype=object)[which]
    roll = rng.random(m)
    server_errors = np.array([500, 502, 503, 504])[rng.choice(4, m, p=[0.55, 0.2, 0.15, 0.1])]
    client_errors = np.array([400, 401, 404, 409, 422])[rng.integers(0, 5, m)]
    ok = np.where(methods == "POST", 201, 200)
    status = np.where(roll < error_rate, server_errors, np.where(roll < error_rate + 0.02, client_errors, ok))
    return {
        "endpoint": np.array([e.path for e in endpoints], dtype=object)[which],
        "method": methods,
        "status_code": status.astype(np.uint16),
        "duration_ms": np.round(duration, 1),
        "timestamp": at,
        "uuid": uuid_bytes(rng, m),
    }


def uuid_bytes(rng: Rng, count: int) -> np.ndarray:
    """`count` random version-4 UUIDs as a (count, 16) byte array."""
    raw = np.frombuffer(rng.bytes(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    return raw
