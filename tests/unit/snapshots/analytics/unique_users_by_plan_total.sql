-- source: events
SELECT series, value
FROM (
    SELECT series, value, dense_rank() OVER (ORDER BY series_total DESC, series) AS series_rank
    FROM (
        SELECT
            JSONExtractString(properties, {breakdown:String}) AS series,
            uniq(distinct_id) AS value,
            count() AS series_total
        FROM events
        WHERE app_id = {app_id:UUID}
          AND org_id = {org_id:UUID}
          AND toStartOfHour(timestamp) >= {date_from:DateTime('UTC')}
          AND toStartOfHour(timestamp) < {date_to:DateTime('UTC')}
          AND country != {filter_0_value:String}
        GROUP BY series
    )
)
WHERE series_rank <= {breakdown_limit:UInt16}
ORDER BY series

-- params:
-- {
--   "app_id": "0b6c3f5e-6d5a-4c43-9c61-3e3f1f1a2b3c",
--   "breakdown": "plan",
--   "breakdown_limit": 5,
--   "date_from": "2025-03-01 00:00:00",
--   "date_to": "2025-03-08 00:00:00",
--   "filter_0_value": "FR",
--   "org_id": "5f0a9a7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
-- }
