-- The history of every delivery attempt, so the log can show each try of a message
-- (status code, duration, error) and not only the latest one kept on webhook_deliveries.
--
-- A table rather than a jsonb array on webhook_deliveries: attempts are append-only, so an
-- INSERT per attempt never rewrites the (possibly large) payload row, the history can be
-- pruned and indexed on its own, and typed columns keep the CHECKs that jsonb would lose.

CREATE TABLE webhook_attempts (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id       uuid NOT NULL REFERENCES webhook_deliveries ON DELETE CASCADE,
    -- Denormalised so every read is scoped by organisation like the rest of the schema.
    org_id            uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    attempt           integer NOT NULL CHECK (attempt >= 1),
    status_code       integer CHECK (status_code BETWEEN 100 AND 599),
    duration_ms       integer NOT NULL CHECK (duration_ms >= 0),
    error             text,
    -- At most 1 KB of the receiver's answer.
    response_excerpt  text,
    created_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE webhook_attempts IS 'Each HTTP attempt of a webhook delivery, oldest first: the log behind retries.';
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, attempt);
CREATE INDEX webhook_attempts_org_created_idx ON webhook_attempts (org_id, created_at DESC);
