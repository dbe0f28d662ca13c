-- source: events
WITH
cohorts AS (
    SELECT distinct_id, toMonday(min(timestamp)) AS cohort
    FROM events
    WHERE app_id = {app_id:UUID}
      AND org_id = {org_id:UUID}
      AND toStartOfHour(timestamp) < {date_to:DateTime('UTC')}
    GROUP BY distinct_id
    HAVING cohort >= {first_week:Date}
),
returns AS (
    SELECT DISTINCT distinct_id, toMonday(timestamp) AS week
    FROM events
    WHERE app_id = {app_id:UUID}
      AND org_id = {org_id:UUID}
      AND toStartOfHour(timestamp) >= {date_from:DateTime('UTC')}
      AND toStartOfHour(timestamp) < {date_to:DateTime('UTC')}
)
SELECT cohort, toInt64(0) AS week, count() AS users
FROM cohorts
GROUP BY cohort
UNION ALL
SELECT c.cohort AS cohort, toInt64(dateDiff('week', c.cohort, r.week)) AS week, count() AS users
FROM cohorts AS c
INNER JOIN returns AS r ON r.distinct_id = c.distinct_id
WHERE r.week > c.cohort
GROUP BY cohort, week
ORDER BY cohort, week

-- params:
-- {
--   "app_id": "0b6c3f5e-6d5a-4c43-9c61-3e3f1f1a2b3c",
--   "date_from": "2025-03-03 00:00:00",
--   "date_to": "2025-03-31 00:00:00",
--   "first_week": "2025-03-03",
--   "org_id": "5f0a9a7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
-- }
