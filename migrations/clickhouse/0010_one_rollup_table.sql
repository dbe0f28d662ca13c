-- Three hourly rollups in one table, fed by one view: fewer parts written per insert.
--
-- Every insert into events wrote a part to each rollup, through a view each: events_hourly
-- (0002), events_hourly_totals (0008, fed from events_hourly by a second view),
-- events_hourly_dims and events_hourly_numbers (0008). For the small inserts of live
-- ingestion (a few hundred rows every tenth of a second) that fixed cost per part was most of
-- the insert. The first three differ only in which columns they keep, so one view now groups
-- each block by GROUPING SETS and writes all three as one part of events_rollup, each row
-- marked with its grain. Measured on chDB 26.9, the whole schema, 500-row inserts
-- interleaved with the old one: median 17.7 -> 14.5 ms per insert, about as much less CPU.
-- events_hourly_numbers keeps its own view: its rows come from an ARRAY JOIN over the
-- numeric properties, not from the same groups.
--
-- grain: which columns a row has rolled up, the bits of GROUPING(event, path):
--   0  per event, hour, path, country and browser (what events_hourly_dims held)
--   1  per event and hour; path, country and browser are '' (events_hourly)
--   3  per hour, all events together; event is '' too (events_hourly_totals)
-- (GROUPING's standard meaning, 1 for a column rolled up, is pinned in the view: ClickHouse
-- inverts it when force_grouping_standard_compatibility is off.) Grain before event in the
-- sort key, so each grain's rows for an application lie together, sorted as its own table's
-- were. The query layer (app/domain/analytics/queries.py) reads one grain per statement.
-- The totals have parts of their own (the partition key): an insert writes two parts here,
-- not one, but the totals' parts stay few rows each and merge as soon as the old table's did.
-- Each hour's unique users is a uniq state of thousands of users, and a query merges one per
-- part holding the hour: among the bulk of the other grains, those parts merged late, and
-- unique users per day over 7 days (bench/queries.py, 10M events) took 32 ms instead of 22.
-- One partition would save a little more per insert (13.5 ms against 14.5, measured as
-- above). And granules of 1,024 rows, not 8,192: a query
-- reads whole granules, and those at the edge of a grain's rows hold the other grain's rows,
-- whose states are read and thrown away (the panels on grains 0 and 1 3-15% faster).
--
-- The view is created before the copies of what the old tables hold, as in 0008: run
-- `nexus migrate` as the release step before the new version ingests, or rows stored in
-- between are counted twice. If this file fails after a copy, TRUNCATE events_rollup before
-- running it again.

CREATE TABLE IF NOT EXISTS events_rollup${local} ${on_cluster}
(
    app_id   UUID,
    grain    UInt8,
    org_id   SimpleAggregateFunction(any, UUID),
    event    LowCardinality(String),
    hour     DateTime('UTC'),
    path     LowCardinality(String),
    country  LowCardinality(String),
    browser  LowCardinality(String),
    events   SimpleAggregateFunction(sum, UInt64),
    users    AggregateFunction(uniq, String)
)
ENGINE = ${replicated}AggregatingMergeTree
PARTITION BY (toYYYYMM(hour), grain = 3)
ORDER BY (app_id, grain, event, hour, path, country, browser)
TTL hour + toIntervalDay(${retention_days})
SETTINGS index_granularity = 1024, ttl_only_drop_parts = 1;

-- @cluster-only
CREATE TABLE IF NOT EXISTS events_rollup ${on_cluster} AS events_rollup_local
ENGINE = Distributed('${cluster}', currentDatabase(), events_rollup_local, cityHash64(app_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS events_rollup_mv ${on_cluster}
TO events_rollup${local}
AS SELECT
    app_id,
    toUInt8(GROUPING(event, path)) AS grain,
    any(org_id) AS org_id,
    event,
    toStartOfHour(timestamp) AS hour,
    path,
    country,
    browser,
    count() AS events,
    uniqState(distinct_id) AS users
FROM events${local}
GROUP BY GROUPING SETS ((app_id, event, hour, path, country, browser), (app_id, event, hour), (app_id, hour))
SETTINGS force_grouping_standard_compatibility = 1;

-- The old views go first, so nothing more reaches the old tables while they are copied.
DROP VIEW IF EXISTS events_hourly_totals_mv ${on_cluster};

DROP VIEW IF EXISTS events_hourly_dims_mv ${on_cluster};

DROP VIEW IF EXISTS events_hourly_mv ${on_cluster};

-- The copies, through the Distributed table on a cluster (each application's rows to its
-- shard), each from the table that held that grain.
INSERT INTO events_rollup (app_id, grain, org_id, event, hour, path, country, browser, events, users)
SELECT app_id, 0, org_id, event, hour, path, country, browser, events, users
FROM events_hourly_dims;

INSERT INTO events_rollup (app_id, grain, org_id, event, hour, events, users)
SELECT app_id, 1, org_id, event, hour, events, users
FROM events_hourly;

INSERT INTO events_rollup (app_id, grain, org_id, hour, events, users)
SELECT app_id, 3, org_id, hour, events, users
FROM events_hourly_totals;

-- @cluster-only
DROP TABLE IF EXISTS events_hourly_totals ${on_cluster};

DROP TABLE IF EXISTS events_hourly_totals${local} ${on_cluster};

-- @cluster-only
DROP TABLE IF EXISTS events_hourly_dims ${on_cluster};

DROP TABLE IF EXISTS events_hourly_dims${local} ${on_cluster};

-- @cluster-only
DROP TABLE IF EXISTS events_hourly ${on_cluster};

DROP TABLE IF EXISTS events_hourly${local} ${on_cluster};
