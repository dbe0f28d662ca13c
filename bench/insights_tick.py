"""One insight-scheduler tick over 100 applications with demo traffic.

`python -m bench.insights_tick` (`make bench-insights_tick`) writes bench/results/insights_tick.json:
  applications   applications evaluated by one tick (100, in ORGS organisations).
  events         events stored for them (the demo generator: seasonality, the funnel, revenue).
  metrics        API timings stored for them (latency and errors per endpoint).
  tick_seconds   median wall time of scheduler.tick (app/domain/insights/scheduler.py) over RUNS
                 ticks: every detector (volume, latency, error rate, conversion) for every
                 application, reading ClickHouse and writing insights to PostgreSQL, as the
                 worker runs it every minute.

The app runs in this process on embedded engines in a fresh data dir (its lifespan entered
here, requests through httpx's ASGI transport); organisations and applications are made through the API, traffic is
inserted straight into ClickHouse (ten hours before now: the longest baseline a detector reads
is seven). Ticks after the first find the same conditions and only update what they opened.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

NAME = "insights_tick"
APPLICATIONS = 100
ORGS = 4
HOURS = 10
RUNS = 5


async def _run(data_dir: Path) -> dict[str, float | int]:
    import httpx

    from app.asgi import create_app
    from app.domain.accounts import service as accounts
    from app.domain.demo.profiles import MOBILE, SAAS, SHOP
    from app.domain.demo.traffic import TrafficGenerator
    from app.domain.insights import scheduler
    from app.settings import load_settings

    app = create_app(load_settings())
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        state = app.state
        orgs = []
        async with state.engines.postgres.pool.connection() as conn:
            for n in range(ORGS):
                email, password = f"owner{n}@bench.local", "bench-password-123"
                await accounts.create_organization_with_owner(conn, f"Bench {n}", email, password)
                orgs.append((email, password))
        end = datetime.now(UTC).replace(second=0, microsecond=0)
        start = end - timedelta(hours=HOURS)
        profiles = (SAAS, SHOP, MOBILE)
        events = metrics = 0
        for n in range(APPLICATIONS):
            email, password = orgs[n % ORGS]
            token = (await client.post("/v1/auth/token", json={"email": email, "password": password})).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            response = await client.post("/v1/applications", json={"name": f"App {n}", "type": "web"}, headers=headers)
            assert response.status_code == 201, response.text
            created = response.json()
            org_id = (await client.get("/v1/organization", headers=headers)).json()["id"]
            traffic = TrafficGenerator(profiles[n % 3], created["id"], org_id, seed=n)
            event_rows, metric_rows = traffic.events(start, end), traffic.metrics(start, end)
            await state.engines.clickhouse.insert_arrow("events", event_rows)
            await state.engines.clickhouse.insert_arrow("performance_metrics", metric_rows)
            events += event_rows.num_rows
            metrics += metric_rows.num_rows
        ctx = {"engines": state.engines, "hub": state.live_hub, "queue": state.queue, "settings": state.settings}
        await scheduler.tick(ctx, now=end)  # warm-up: opens whatever the traffic shows
        timings = []
        for _ in range(RUNS):
            began = time.perf_counter()
            report = await scheduler.tick(ctx, now=end)
            timings.append(time.perf_counter() - began)
            assert report.applications == APPLICATIONS, report
            assert report.failed_organisations == [], report
    return {
        "applications": APPLICATIONS,
        "events": events,
        "metrics": metrics,
        "tick_seconds": round(statistics.median(timings), 3),
    }


def main() -> None:
    from bench.harness import table, write_results

    data_dir = Path(tempfile.mkdtemp(prefix="nexus-bench-tick-"))
    os.environ.update(
        {
            "NEXUS_DATA_DIR": str(data_dir),
            "NEXUS_ENV": "test",
            "NEXUS_DEMO": "0",
            "NEXUS_WORKER_SCHEDULES": "0",
            "NEXUS_RATE_LIMIT_ENABLED": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    for name in ("DATABASE_URL", "REDIS_URL", "CLICKHOUSE_URL"):
        os.environ.pop(name, None)
    try:
        results = asyncio.run(_run(data_dir))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    path = write_results(NAME, results)
    table(list(results.items()))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
