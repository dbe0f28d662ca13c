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


# Every rollup table there has been: 0010 folded the first three into events_rollup.
ROLLUPS = ("events_hourly", "events_hourly_totals", "events_hourly_dims", "events_hourly_numbers", "events_rollup")


def test_cluster_rendering_replicates_and_distributes_every_table() -> None:
    statements = _statements(ClickHouseSettings(cluster="nexus", retention_days=395))
    # An INSERT runs where it is sent (no ON CLUSTER): the rollups' copies go through the
    # Distributed tables, which send each row to its application's shard.
    inserts = [s for s in statements if s.startswith("INSERT")]
    copied = [s.split(None, 3)[2] for s in inserts]
    assert copied == ["events_hourly_totals", "events_hourly_dims", "events_hourly_numbers"] + ["events_rollup"] * 3
    assert all("_local" not in s for s in inserts)
    statements = [s for s in statements if not s.startswith("INSERT")]
    assert all("ON CLUSTER 'nexus'" in s for s in statements)
    replicated = [s for s in statements if "ENGINE = Replicated" in s]
    distributed = [s for s in statements if "ENGINE = Distributed('nexus', currentDatabase()" in s]
    assert len(replicated) == len(distributed) == 7
    for table in ("events", "performance_metrics", *ROLLUPS):
        assert any(f"{table}_local" in s and "ENGINE = Replicated" in s for s in replicated), table
        assert any(s.startswith(f"CREATE TABLE IF NOT EXISTS {table} ON CLUSTER") for s in distributed), table
    # Each view reads and writes one node's storage tables: an application's rollups live on
    # the shard that holds its events.
    views = [s for s in statements if "MATERIALIZED VIEW" in s]
    assert len(views) == 5
    for view in views:
        target = view.split("\nTO ", 1)[1].split("\n", 1)[0]
        assert target in {f"{table}_local" for table in ROLLUPS}, view
        assert "FROM events_local\n" in view or "FROM events_hourly_local\n" in view, view
    # The tables 0010 folded into events_rollup go on every node, Distributed and local alike.
    for table in ROLLUPS[:3]:
        for name in (table, f"{table}_local"):
            assert f"DROP TABLE IF EXISTS {name} ON CLUSTER 'nexus'" in statements
