-- Natural-language commands, support interactions, and the learned models behind them.

CREATE TABLE commands (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    -- Both survive the deletion of their application or author, as history.
    app_id             uuid,
    user_id            uuid,
    input_text         text NOT NULL,
    intent             text,
    intent_confidence  real CHECK (intent_confidence BETWEEN 0 AND 1),
    entities           jsonb NOT NULL DEFAULT '{}',
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'executing', 'completed', 'failed')),
    result             jsonb,
    error              text,
    execution_time_ms  integer CHECK (execution_time_ms >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, app_id) REFERENCES applications (org_id, id) ON DELETE SET NULL (app_id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE SET NULL (user_id)
);
COMMENT ON TABLE commands IS 'Natural-language commands users typed, the intent and entities understood, and the outcome.';
CREATE INDEX commands_org_created_idx ON commands (org_id, created_at DESC, id DESC);
-- "My recent commands", and the lookup behind SET NULL when a user is deleted.
CREATE INDEX commands_user_created_idx ON commands (org_id, user_id, created_at DESC)
    WHERE user_id IS NOT NULL;
CREATE INDEX commands_app_created_idx ON commands (org_id, app_id, created_at DESC)
    WHERE app_id IS NOT NULL;
CREATE TRIGGER commands_set_updated_at BEFORE UPDATE ON commands
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();


CREATE TABLE support_interactions (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id              uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    -- NULL: a question about the organisation as a whole rather than one application.
    app_id              uuid,
    -- The NEXUS-PRIME user involved (asker or support agent), if any.
    user_id             uuid,
    -- The application's own end user (the events' distinct_id), when the question came from them.
    distinct_id         text,
    channel             text NOT NULL CHECK (channel IN ('automated', 'escalated', 'proactive')),
    question            text NOT NULL,
    response            text,
    resolved            boolean NOT NULL DEFAULT false,
    resolution_time_ms  integer CHECK (resolution_time_ms >= 0),
    satisfaction        smallint CHECK (satisfaction BETWEEN 1 AND 5),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, app_id) REFERENCES applications (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE SET NULL (user_id)
);
COMMENT ON TABLE support_interactions IS 'Support questions and answers (automated, escalated or proactive), with resolution and satisfaction.';
CREATE INDEX support_interactions_org_created_idx ON support_interactions (org_id, created_at DESC, id DESC);
CREATE INDEX support_interactions_app_created_idx ON support_interactions (org_id, app_id, created_at DESC)
    WHERE app_id IS NOT NULL;
CREATE INDEX support_interactions_user_idx ON support_interactions (org_id, user_id)
    WHERE user_id IS NOT NULL;
-- The escalation queue: what is still open.
CREATE INDEX support_interactions_open_idx ON support_interactions (org_id, channel, created_at)
    WHERE NOT resolved;
CREATE TRIGGER support_interactions_set_updated_at BEFORE UPDATE ON support_interactions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();


CREATE TABLE ml_models (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    -- NULL: an organisation-wide model (e.g. the command intent classifier).
    app_id        uuid,
    -- What the model predicts, e.g. 'intent', 'churn', 'anomaly'.
    kind          text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    version       integer NOT NULL CHECK (version > 0),
    -- Where the fitted artifact lives (file:// in the data dir, s3://, ...); NULL while training.
    artifact_uri  text,
    metrics       jsonb NOT NULL DEFAULT '{}',
    status        text NOT NULL DEFAULT 'training'
                  CHECK (status IN ('training', 'deployed', 'deprecated', 'failed')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- NULLS NOT DISTINCT (PostgreSQL 15+): organisation-wide models (app_id NULL) are
    -- numbered uniquely too; with the default NULLS DISTINCT they could repeat a version.
    UNIQUE NULLS NOT DISTINCT (org_id, app_id, kind, version),
    FOREIGN KEY (org_id, app_id) REFERENCES applications (org_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE ml_models IS 'Versions of learned models per organisation/application and kind, with metrics and deployment status.';
-- One deployed version per (organisation, application, kind): deploying a new version
-- means deprecating the old one first, in the same transaction.
CREATE UNIQUE INDEX ml_models_one_deployed_key ON ml_models (org_id, app_id, kind)
    NULLS NOT DISTINCT WHERE status = 'deployed';
CREATE TRIGGER ml_models_set_updated_at BEFORE UPDATE ON ml_models
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
