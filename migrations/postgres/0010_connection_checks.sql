-- Health checks of connections: one row per check, for the Health tab's latency history and
-- uptime. The connections row keeps only the latest outcome; the health task prunes rows
-- older than its retention (7 days) so this table stays small.

CREATE TABLE connection_checks (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id         uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    connection_id  uuid NOT NULL REFERENCES connections ON DELETE CASCADE,
    checked_at     timestamptz NOT NULL DEFAULT now(),
    ok             boolean NOT NULL,
    latency_ms     integer CHECK (latency_ms >= 0),
    status_code    smallint,
    -- In words for a person; never credentials or a driver message that could quote a DSN.
    error          text
);
COMMENT ON TABLE connection_checks IS 'Outcomes of connection health checks (latency, failures), kept for a week.';
-- "The recent checks of this connection", newest first: history, uptime, consecutive failures.
CREATE INDEX connection_checks_connection_idx ON connection_checks (connection_id, checked_at DESC);
-- The prune deletes by age across every connection.
CREATE INDEX connection_checks_checked_at_idx ON connection_checks (checked_at);
