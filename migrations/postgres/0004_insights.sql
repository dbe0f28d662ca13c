-- Insights the platform finds in an application's data, and each insight's history.

CREATE TABLE insights (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    app_id          uuid NOT NULL,
    type            text NOT NULL
                    CHECK (type IN ('performance', 'churn', 'feature', 'security', 'business', 'technical')),
    severity        text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    -- Sorts the inbox most-severe-first without a CASE in every query.
    severity_rank   smallint NOT NULL GENERATED ALWAYS AS (
                        CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3
                                      WHEN 'medium' THEN 2 ELSE 1 END) STORED,
    title           text NOT NULL CHECK (btrim(title) <> ''),
    description     text NOT NULL DEFAULT '',
    recommendation  text,
    confidence      real CHECK (confidence BETWEEN 0 AND 1),
    impact          text,
    status          text NOT NULL DEFAULT 'new'
                    CHECK (status IN ('new', 'acknowledged', 'resolved', 'dismissed')),
    data            jsonb NOT NULL DEFAULT '{}',
    -- Identifies an ongoing condition (e.g. 'latency:/checkout'), so a detector that sees
    -- it again updates the open insight instead of opening a second one.
    fingerprint     text,
    assignee_id     uuid,
    snoozed_until   timestamptz,
    resolved_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, app_id) REFERENCES applications (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, assignee_id) REFERENCES users (org_id, id) ON DELETE SET NULL (assignee_id)
);
COMMENT ON TABLE insights IS 'Findings about an application (performance, churn, security, ...) triaged in the insights inbox.';
-- At most one open insight per condition; a resolved or dismissed one may recur.
-- Upsert with ON CONFLICT (org_id, app_id, fingerprint) WHERE status IN ('new', 'acknowledged').
CREATE UNIQUE INDEX insights_open_fingerprint_key ON insights (org_id, app_id, fingerprint)
    WHERE status IN ('new', 'acknowledged');
-- Inbox: everything, newest first (keyset cursor on created_at, id).
CREATE INDEX insights_org_created_idx ON insights (org_id, created_at DESC, id DESC);
-- Inbox filtered by status and/or severity (the default view is status = 'new').
CREATE INDEX insights_org_status_severity_idx ON insights (org_id, status, severity, created_at DESC);
-- Inbox filtered by application (and status); also the lookup behind the app cascade.
CREATE INDEX insights_org_app_status_idx ON insights (org_id, app_id, status, created_at DESC);
-- Inbox filtered by type.
CREATE INDEX insights_org_type_idx ON insights (org_id, type, created_at DESC);
-- "Assigned to me", and the lookup behind SET NULL when a user is deleted.
CREATE INDEX insights_assignee_idx ON insights (org_id, assignee_id, status)
    WHERE assignee_id IS NOT NULL;
-- The worker that wakes snoozed insights.
CREATE INDEX insights_snoozed_until_idx ON insights (snoozed_until) WHERE snoozed_until IS NOT NULL;
CREATE TRIGGER insights_set_updated_at BEFORE UPDATE ON insights
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();


-- Append-only: a comment or a state change is a new row, never an edit.
CREATE TABLE insight_events (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    insight_id  uuid NOT NULL,
    -- NULL: done by the system (a detector, the snooze waker) or by a since-deleted user.
    actor_id    uuid,
    kind        text NOT NULL CHECK (kind IN ('created', 'updated', 'acknowledged', 'assigned', 'snoozed',
                                              'resolved', 'dismissed', 'reopened', 'commented')),
    body        text,
    data        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, insight_id) REFERENCES insights (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, actor_id) REFERENCES users (org_id, id) ON DELETE SET NULL (actor_id)
);
COMMENT ON TABLE insight_events IS 'History of an insight: state changes, assignments, snoozes and comments, oldest first.';
CREATE INDEX insight_events_insight_idx ON insight_events (insight_id, created_at);
CREATE INDEX insight_events_actor_idx ON insight_events (org_id, actor_id) WHERE actor_id IS NOT NULL;
