-- Outbound webhooks (Standard Webhooks) and their delivery log, which doubles as the
-- retry queue.

CREATE TABLE webhooks (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    url               text NOT NULL CHECK (url ~* '^https?://'),
    description       text,
    -- Event types subscribed to, e.g. {'insight.created'}.
    events            text[] NOT NULL CHECK (cardinality(events) > 0),
    -- Fernet token of the 'whsec_...' signing secret.
    secret_encrypted  text NOT NULL,
    is_active         boolean NOT NULL DEFAULT true,
    created_by        uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);
COMMENT ON TABLE webhooks IS 'Customer endpoints that receive signed event notifications (Standard Webhooks).';
CREATE INDEX webhooks_org_created_idx ON webhooks (org_id, created_at DESC, id DESC);
-- The dispatcher: the active webhooks of an organisation (then filtered on events).
CREATE INDEX webhooks_org_active_idx ON webhooks (org_id) WHERE is_active;
CREATE INDEX webhooks_created_by_idx ON webhooks (org_id, created_by) WHERE created_by IS NOT NULL;
CREATE TRIGGER webhooks_set_updated_at BEFORE UPDATE ON webhooks
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();


-- One row per message; its id is the 'webhook-id' header, the same on every retry.
CREATE TABLE webhook_deliveries (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    webhook_id        uuid NOT NULL,
    event_type        text NOT NULL,
    payload           jsonb NOT NULL,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'succeeded', 'failed', 'retrying')),
    -- Attempts made so far.
    attempt           integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    -- Of the latest attempt.
    status_code       integer CHECK (status_code BETWEEN 100 AND 599),
    duration_ms       integer CHECK (duration_ms >= 0),
    response_excerpt  text,
    error             text,
    -- When the queue should (re)try; defaults to now so a new pending row is due at once.
    next_attempt_at   timestamptz DEFAULT now(),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, webhook_id) REFERENCES webhooks (org_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE webhook_deliveries IS 'Each webhook message and its latest delivery attempt; pending/retrying rows are the retry queue.';
-- The delivery log of one webhook; also the lookup behind the webhook cascade.
CREATE INDEX webhook_deliveries_webhook_created_idx ON webhook_deliveries (webhook_id, created_at DESC);
-- The retry queue: SELECT ... WHERE status IN ('pending', 'retrying') AND next_attempt_at <= now()
-- ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'retrying');
-- The organisation cascade, and pruning old deliveries.
CREATE INDEX webhook_deliveries_org_created_idx ON webhook_deliveries (org_id, created_at DESC);
CREATE TRIGGER webhook_deliveries_set_updated_at BEFORE UPDATE ON webhook_deliveries
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
