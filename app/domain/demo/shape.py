"""When traffic happens: daily and weekly seasonality, and the anomalies placed in it.

Pure functions of a profile, a seed and instants. Anomalies are placed one per week
(`ANOMALY_EVERY`), on a weekday afternoon or morning (UTC) when there is traffic to see
them against, and their kind rotates week by week, so any four weeks hold a spike, a drop
and a latency regression. An application the demo creates also gets an opening spike soon
after (`OPENING_*`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal

import numpy as np

from app.domain.demo.profiles import Profile

SEED = 20_260_101
ANOMALY_EVERY = timedelta(days=7)
AnomalyKind = Literal["spike", "drop", "latency"]
ANOMALY_KINDS: tuple[AnomalyKind, ...] = ("spike", "drop", "latency")
# A week is long to wait for the first incident: a demo application also gets an opening one,
# OPENING_DELAY after it is created (Profile.opening_ms), so a first visit finds the insights
# inbox at work. A spike, the one kind the detectors can tell within minutes at any demo
# volume: a drop or one endpoint's slowdown needs more traffic than a quiet demo hour has
# (MIN_REQUESTS per endpoint in five minutes, in app/domain/insights/detectors.py).
OPENING_DELAY = timedelta(minutes=5)
OPENING_MINUTES = 45
OPENING_FACTOR = 4.0
Rng = np.random.Generator


def profile_number(profile: Profile) -> int:
    return zlib.crc32(profile.key.encode())  # stable across processes, unlike hash()


def rng_for(seed: int, profile: Profile, *stream: int) -> Rng:
    """An independent random stream per (seed, profile, stream...)."""
    return np.random.default_rng([seed, profile_number(profile), *stream])


def to_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


# --- seasonality -----------------------------------------------------------------------


def _raw_daily(profile: Profile, hour_of_day: np.ndarray) -> np.ndarray:
    value = np.full(hour_of_day.shape, profile.night_floor)
    for bump in profile.daily:
        distance = np.abs(hour_of_day - bump.hour)
        distance = np.minimum(distance, 24 - distance)  # the day wraps around midnight
        value = value + bump.height * np.exp(-0.5 * (distance / bump.width) ** 2)
    return value


@lru_cache(maxsize=16)
def _daily_mean(profile: Profile) -> float:
    return float(_raw_daily(profile, np.arange(0, 24, 1 / 60)).mean())


def daily_shape(profile: Profile, hour_of_day: np.ndarray) -> np.ndarray:
    """Activity by UTC hour of day (fractional), relative to the day's mean (mean 1)."""
    return _raw_daily(profile, hour_of_day) / _daily_mean(profile)


def weekly_shape(profile: Profile, weekday: np.ndarray) -> np.ndarray:
    """Activity by weekday (0 = Monday), relative to the week's mean (mean 1)."""
    weekly = np.array(profile.weekly, dtype=float)
    return weekly[weekday] / weekly.mean()


def _day_noise(profile: Profile, seed: int, days: np.ndarray) -> np.ndarray:
    """A per-day factor around 1, so no two days look exactly alike."""
    factors = {int(day): float(rng_for(seed, profile, 2, int(day)).lognormal(0.0, 0.08)) for day in np.unique(days)}
    return np.array([factors[int(day)] for day in days])


def session_rate(profile: Profile, seed: int, at_ms: np.ndarray, with_anomalies: bool = True) -> np.ndarray:
    """Expected sessions per hour at the given instants (Unix milliseconds)."""
    seconds = at_ms / 1000
    days = np.floor_divide(seconds, 86_400).astype(np.int64)
    hour_of_day = (seconds % 86_400) / 3600
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    rate = (
        profile.sessions_per_hour
        * daily_shape(profile, hour_of_day)
        * weekly_shape(profile, weekday)
        * _day_noise(profile, seed, days)
    )
    if with_anomalies and len(at_ms):
        for anomaly in anomalies_ms(profile, seed, int(at_ms.min()), int(at_ms.max()) + 1):
            if anomaly.kind != "latency":
                rate = np.where((at_ms >= anomaly.start_ms) & (at_ms < anomaly.end_ms), rate * anomaly.factor, rate)
    return rate


# --- anomalies -------------------------------------------------------------------------


@dataclass(frozen=True)
class Anomaly:
    """An injected incident: traffic times `factor` (spike, drop), or one endpoint's latency
    times `factor` with more errors (latency), from `start` until `end`."""

    kind: AnomalyKind
    start: datetime
    end: datetime
    factor: float
    endpoint: str | None = None  # "METHOD /path", for a latency regression

    @property
    def start_ms(self) -> int:
        return to_ms(self.start)

    @property
    def end_ms(self) -> int:
        return to_ms(self.end)


@lru_cache(maxsize=512)
def _anomaly_of_period(profile: Profile, seed: int, period: int) -> Anomaly:
    rng = rng_for(seed, profile, 7, period)
    period_start = datetime.fromtimestamp(period * ANOMALY_EVERY.total_seconds(), UTC)
    # In the daytime, when there is traffic to spike or drop.
    day, hour, quarter = int(rng.integers(0, 7)), int(rng.integers(10, 17)), int(rng.integers(0, 4))
    # The kind rotates, so any four weeks hold all three.
    kind = ANOMALY_KINDS[(period + profile_number(profile)) % len(ANOMALY_KINDS)]
    minutes = {"spike": rng.integers(60, 150), "drop": rng.integers(45, 120), "latency": rng.integers(120, 300)}[kind]
    factor = {"spike": rng.uniform(3.0, 5.0), "drop": rng.uniform(0.08, 0.25), "latency": rng.uniform(3.0, 6.0)}[kind]
    endpoint = profile.endpoints[int(rng.integers(0, len(profile.endpoints)))].name
    start = period_start + timedelta(days=day, hours=hour, minutes=15 * quarter)
    return Anomaly(
        kind=kind,
        start=start,
        end=start + timedelta(minutes=int(minutes)),
        factor=round(float(factor), 2),
        endpoint=endpoint if kind == "latency" else None,
    )


def _opening(profile: Profile) -> Anomaly | None:
    if profile.opening_ms is None:
        return None
    start = datetime.fromtimestamp(profile.opening_ms / 1000, UTC)
    return Anomaly(kind="spike", start=start, end=start + timedelta(minutes=OPENING_MINUTES), factor=OPENING_FACTOR)


def anomalies_ms(profile: Profile, seed: int, start_ms: int, end_ms: int) -> list[Anomaly]:
    period_ms = int(ANOMALY_EVERY.total_seconds() * 1000)
    placed = [_anomaly_of_period(profile, seed, p) for p in range(start_ms // period_ms, (end_ms - 1) // period_ms + 1)]
    opening = _opening(profile)
    if opening is not None:
        placed.append(opening)
    found = [anomaly for anomaly in placed if anomaly.start_ms < end_ms and anomaly.end_ms > start_ms]
    return sorted(found, key=lambda anomaly: anomaly.start_ms)


def anomalies(profile: Profile, start: datetime, end: datetime, seed: int = SEED) -> list[Anomaly]:
    """The anomalies placed in [start, end) (those overlapping it), oldest first."""
    return anomalies_ms(profile, seed, to_ms(start), to_ms(end))
