from __future__ import annotations

from app.engines.migrations import MIGRATIONS_DIR, load_migrations, render_clickhouse
from app.settings import ClickHouseSettings


def _statements(settings: ClickHouseSettings) -> list[str]:
    """Rendered statements without their comment lines."""
    rendered = [s for m in load_migrations(MIGRATIONS_DIR / "clickhouse") for s in render_clickhouse(m.sql, settings)]
    return [
        "\n".join(line for line in s.splitlines() if line.strip() and not line.strip().startswith("--"))
        for s in rendered
    ]


def test_migration_trees_are_numbered_without_gaps() -> None:
    for tree in ("postgres", "clickhouse"):
        versions = [m.version for m in load_migrations(MIGRATIONS_DIR / tree)]
        assert versions == list(range(1, len(versions) + 1)), tree


def test_single_node_rendering_has_no_cluster_parts() -> None:
    text = "\n".join(_statements(ClickHouseSettings(retention_days=30)))
    assert "ON CLUSTER" not in text
    assert "Replicated" not in text
    assert "Distributed" not in text
    assert "_local" not in text
    assert "toIntervalDay(30)" in text


def test_cluster_rendering_replicates_and_distributes_every_table() -> None:
    statements = _statements(ClickHouseSettings(cluster="nexus", retention_days=395))
    assert all("ON CLUSTER 'nexus'" in s for s in statements)
    replicated = [s for s in statements if "ENGINE = Replicated" in s]
    distributed = [s for s in statements if "ENGINE = Distributed('nexus', currentDatabase()" in s]
    assert len(replicated) == len(distributed) == 3
    for table in ("events", "events_hourly", "performance_metrics"):
        assert any(f"{table}_local" in s and "ENGINE = Replicated" in s for s in replicated), table
        assert any(s.startswith(f"CREATE TABLE IF NOT EXISTS {table} ON CLUSTER") for s in distributed), table
    view = next(s for s in statements if "MATERIALIZED VIEW" in s)
    assert "TO events_hourly_local" in view
    assert "FROM events_local" in view
