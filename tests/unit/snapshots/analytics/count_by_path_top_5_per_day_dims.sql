-- source: hourly_dims
SELECT t, series, value
FROM (
    SELECT t, series, value, dense_rank() OVER (ORDER BY series_total DESC, series) AS series_rank
    FROM (
        SELECT
            toStartOfDay(hour) AS t,
            path AS series,
            sum(events) AS value,
            sum(sum(events)) OVER (PARTITION BY series) AS series_total
        FROM events_rollup
        WHERE app_id = {app_id:UUID}
          AND grain = 0
          AND org_id = {org_id:UUID}
          AND hour >= {date_from:DateTime('UTC')}
          AND hour < {date_to:DateTime('UTC')}
          AND event IN ({event_0:String})
        GROUP BY t, series
    )
)
WHERE series_rank <= {breakdown_limit:UInt16}
ORDER BY t, series
SETTINGS optimize_move_to_prewhere = 0

-- params:
-- {
--   "app_id": "0b6c3f5e-6d5a-4c43-9c61-3e3f1f1a2b3c",
--   "breakdown_limit": 5,
--   "date_from": "2025-03-01 00:00:00",
--   "date_to": "2025-03-08 00:00:00",
--   "event_0": "pageview",
--   "org_id": "5f0a9a7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
-- }
