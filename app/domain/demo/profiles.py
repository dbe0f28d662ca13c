"""The three demo applications: who visits them, when, what they do, and how their API behaves.

Plain data; app/domain/demo/traffic.py turns a profile into events and performance metrics.
Volumes are sized so that 30 days of history for all three is about 1.5 million events,
which the embedded engine takes in well under a minute on two cores.
"""

from __future__ import annotations

from dataclasses import dataclass

Weighted = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Endpoint:
    """One API route: its share of requests and how it behaves (lognormal latency)."""

    method: str
    path: str
    weight: float
    median_ms: float
    sigma: float  # lognormal shape: 0.4 is a tight route, 0.8 a long-tailed one
    error_rate: float  # share of 5xx answers

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Bump:
    """A daily peak: centred on `hour` (UTC), `width` hours wide, `height` above the floor."""

    hour: float
    width: float
    height: float


@dataclass(frozen=True)
class Profile:
    key: str  # stable identity: the demo marker in the application's settings, and the seed
    name: str
    app_type: str  # applications.type
    base_url: str
    description: str
    sessions_per_hour: float  # the average over a week; the daily and weekly shapes vary it
    daily: tuple[Bump, ...]
    night_floor: float  # activity at the quietest hour, relative to the bumps
    weekly: tuple[float, ...]  # Monday .. Sunday, relative
    pages: Weighted
    pages_per_session: float  # mean of a geometric distribution
    new_visitor_share: float
    returning_users: int  # size of the pool returning visitors are drawn from
    login_rate: float  # of returning visitors' sessions
    search_rate: float
    cart_rate: float
    signup_rate: float  # of new visitors' sessions
    purchase_rate: float  # of sessions that signed up
    error_rate: float  # sessions that hit a client-side error
    prices: tuple[float, ...]  # a purchase's revenue is one of these, or lognormal around the first
    price_sigma: float  # 0 for fixed prices (subscriptions, in-app items)
    plans: Weighted
    browsers: Weighted
    countries: Weighted
    search_terms: tuple[str, ...]
    products: tuple[str, ...]
    endpoints: tuple[Endpoint, ...]
    requests_per_session: float  # API requests behind each session
    # Of one application rather than the profile: when its opening incident begins (Unix ms;
    # app/domain/demo/shape.py, OPENING_*), from its demo settings. None: no opening incident.
    opening_ms: int | None = None


COUNTRIES: Weighted = (
    ("US", 0.34),
    ("GB", 0.1),
    ("DE", 0.1),
    ("FR", 0.07),
    ("IN", 0.09),
    ("BR", 0.06),
    ("CA", 0.05),
    ("NL", 0.04),
    ("JP", 0.04),
    ("AU", 0.03),
    ("ES", 0.04),
    ("PL", 0.04),
)
DESKTOP_BROWSERS: Weighted = (("Chrome", 0.63), ("Safari", 0.19), ("Edge", 0.1), ("Firefox", 0.08))

SAAS = Profile(
    key="saas",
    name="Cloudlane (demo SaaS)",
    app_type="saas",
    base_url="https://app.cloudlane.example",
    description="Demo: a B2B project-management SaaS, busy in office hours on weekdays.",
    sessions_per_hour=110,
    daily=(Bump(9.5, 2.0, 1.0), Bump(14.5, 2.5, 1.1), Bump(20.0, 2.0, 0.25)),
    night_floor=0.08,
    weekly=(1.1, 1.15, 1.15, 1.1, 1.0, 0.45, 0.4),
    pages=(
        ("/dashboard", 0.3),
        ("/projects", 0.2),
        ("/projects/board", 0.16),
        ("/reports", 0.1),
        ("/settings", 0.06),
        ("/pricing", 0.08),
        ("/", 0.06),
        ("/docs", 0.04),
    ),
    pages_per_session=4.0,
    new_visitor_share=0.3,
    returning_users=4000,
    login_rate=0.7,
    search_rate=0.3,
    cart_rate=0.02,
    signup_rate=0.1,
    purchase_rate=0.3,
    error_rate=0.03,
    prices=(29.0, 99.0, 299.0),
    price_sigma=0.0,
    plans=(("free", 0.55), ("team", 0.3), ("business", 0.12), ("enterprise", 0.03)),
    browsers=DESKTOP_BROWSERS,
    countries=COUNTRIES,
    search_terms=("roadmap", "invoice", "sprint", "api token", "export", "gantt", "billing", "webhook"),
    products=("team", "business", "enterprise"),
    endpoints=(
        Endpoint("GET", "/api/projects", 0.3, 45, 0.45, 0.01),
        Endpoint("GET", "/api/projects/{id}/tasks", 0.26, 70, 0.55, 0.012),
        Endpoint("POST", "/api/tasks", 0.16, 95, 0.5, 0.015),
        Endpoint("GET", "/api/reports/{id}", 0.1, 320, 0.7, 0.025),
        Endpoint("POST", "/api/auth/login", 0.12, 140, 0.35, 0.01),
        Endpoint("POST", "/api/billing/subscribe", 0.06, 420, 0.5, 0.03),
    ),
    requests_per_session=2.0,
)

SHOP = Profile(
    key="shop",
    name="Northwind Goods (demo shop)",
    app_type="web",
    base_url="https://shop.northwind.example",
    description="Demo: an online shop, busiest in the evening and at weekends.",
    sessions_per_hour=230,
    daily=(Bump(12.5, 2.0, 0.5), Bump(20.0, 2.5, 1.2)),
    night_floor=0.07,
    weekly=(0.85, 0.85, 0.9, 0.95, 1.05, 1.3, 1.25),
    pages=(
        ("/", 0.22),
        ("/products", 0.26),
        ("/products/item", 0.24),
        ("/cart", 0.1),
        ("/checkout", 0.05),
        ("/search", 0.09),
        ("/account", 0.04),
    ),
    pages_per_session=3.2,
    new_visitor_share=0.55,
    returning_users=12000,
    login_rate=0.35,
    search_rate=0.4,
    cart_rate=0.28,
    signup_rate=0.07,
    purchase_rate=0.4,
    error_rate=0.02,
    prices=(64.0,),
    price_sigma=0.6,
    plans=(("guest", 0.6), ("member", 0.32), ("vip", 0.08)),
    browsers=(("Chrome", 0.5), ("Safari", 0.32), ("Edge", 0.08), ("Firefox", 0.05), ("Samsung Internet", 0.05)),
    countries=COUNTRIES,
    search_terms=("sneakers", "rain jacket", "backpack", "gift card", "wool socks", "lamp", "mug", "sale"),
    products=("sneakers", "rain-jacket", "backpack", "wool-socks", "desk-lamp", "mug", "scarf"),
    endpoints=(
        Endpoint("GET", "/api/products", 0.36, 38, 0.5, 0.008),
        Endpoint("GET", "/api/products/{id}", 0.26, 30, 0.45, 0.008),
        Endpoint("GET", "/api/search", 0.14, 110, 0.6, 0.015),
        Endpoint("POST", "/api/cart/items", 0.13, 60, 0.45, 0.012),
        Endpoint("POST", "/api/checkout", 0.06, 480, 0.55, 0.028),
        Endpoint("POST", "/api/payments", 0.05, 650, 0.5, 0.03),
    ),
    requests_per_session=1.6,
)

MOBILE = Profile(
    key="mobile",
    name="Pocket Fit (demo mobile app)",
    app_type="mobile",
    base_url="https://api.pocketfit.example",
    description="Demo: a fitness app with morning and evening peaks, busier at weekends.",
    sessions_per_hour=160,
    daily=(Bump(7.0, 1.5, 1.0), Bump(12.5, 1.5, 0.45), Bump(19.5, 2.0, 1.1)),
    night_floor=0.06,
    weekly=(0.95, 0.92, 0.92, 0.95, 1.0, 1.15, 1.2),
    pages=(
        ("Home", 0.3),
        ("Workout", 0.26),
        ("Progress", 0.16),
        ("Plans", 0.12),
        ("Profile", 0.08),
        ("Paywall", 0.08),
    ),
    pages_per_session=2.6,
    new_visitor_share=0.25,
    returning_users=9000,
    login_rate=0.15,
    search_rate=0.12,
    cart_rate=0.04,
    signup_rate=0.14,
    purchase_rate=0.2,
    error_rate=0.025,
    prices=(4.99, 9.99, 59.99),
    price_sigma=0.0,
    plans=(("free", 0.7), ("premium", 0.26), ("family", 0.04)),
    browsers=(("iOS app", 0.56), ("Android app", 0.44)),
    countries=COUNTRIES,
    search_terms=("yoga", "hiit", "running", "stretching", "core", "meditation"),
    products=("premium-monthly", "premium-yearly", "family"),
    endpoints=(
        Endpoint("GET", "/api/feed", 0.3, 55, 0.5, 0.01),
        Endpoint("GET", "/api/workouts/{id}", 0.24, 40, 0.45, 0.008),
        Endpoint("POST", "/api/activities", 0.22, 85, 0.5, 0.012),
        Endpoint("GET", "/api/stats", 0.14, 180, 0.65, 0.02),
        Endpoint("POST", "/api/purchases/verify", 0.04, 700, 0.55, 0.03),
        Endpoint("POST", "/api/auth/refresh", 0.06, 60, 0.3, 0.01),
    ),
    requests_per_session=1.6,
)

PROFILES: tuple[Profile, ...] = (SAAS, SHOP, MOBILE)
BY_KEY = {profile.key: profile for profile in PROFILES}
