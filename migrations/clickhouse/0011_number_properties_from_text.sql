-- number_properties (0006) read from each value's text, instead of by asking ClickHouse for
-- every value as a Float64.
--
-- JSONExtractKeysAndValues(properties, 'Float64') tries each value as a number, and a text
-- value that is not one costs far more to refuse than it costs to read: most values are
-- text (paths, referrers, browsers), so this one column was a quarter of an insert's
-- ClickHouse time. Extracting every value as text ('String': text as is, numbers and
-- booleans as written, objects and arrays as their JSON, null left out) and converting the
-- text with toFloat64OrNull does the same work once. Measured on chDB 26.9, the whole schema,
-- 10,000-row Arrow inserts of bench/events.py's events interleaved with the old definition:
-- 85.3 -> 72.8 ms per insert (the expression alone, 10,000 rows: 22.6 -> 11.8 ms).
--
-- The same values count as numbers (JSON numbers, numbers written as text, "1e3", true and
-- false as 1 and 0; not " 3", "0x10", objects or arrays), with one addition: "true" and
-- "false" written as text count as 1 and 0 too, like the booleans they name
-- (tests/integration/test_materialized_properties.py).
--
-- Only the expression changes: parts written before keep their stored maps.

ALTER TABLE events${local} ${on_cluster}
    MODIFY COLUMN number_properties Map(LowCardinality(String), Float64)
        MATERIALIZED CAST(
            arrayFilter(
                pair -> isNotNull(pair.2),
                arrayMap(
                    pair -> (pair.1, multiIf(pair.2 = 'true', 1., pair.2 = 'false', 0., toFloat64OrNull(pair.2))),
                    JSONExtractKeysAndValues(properties, 'String'))),
            'Map(LowCardinality(String), Float64)');

-- @cluster-only
ALTER TABLE events ${on_cluster}
    MODIFY COLUMN number_properties Map(LowCardinality(String), Float64)
        MATERIALIZED CAST(
            arrayFilter(
                pair -> isNotNull(pair.2),
                arrayMap(
                    pair -> (pair.1, multiIf(pair.2 = 'true', 1., pair.2 = 'false', 0., toFloat64OrNull(pair.2))),
                    JSONExtractKeysAndValues(properties, 'String'))),
            'Map(LowCardinality(String), Float64)');
