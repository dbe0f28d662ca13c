-- Background jobs people wait for (discovery, reports): their progress, the steps finished
-- so far and the outcome. The saq queue on Redis runs them; this table is what the API
-- (GET /v1/jobs/{id}) and the progress bars read, and it outlives the queue's own TTLs.

CREATE TABLE jobs (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    app_id       uuid,
    -- What runs, e.g. 'discovery'; the subject it runs on, e.g. a connection id.
    kind         text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    subject_id   uuid,
    status       text NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    progress     smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    -- Steps finished so far, oldest first: [{"name": ..., "detail": ..., "at": ...}].
    steps        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(steps) = 'array'),
    result       jsonb NOT NULL DEFAULT '{}',
    error        text,
    created_by   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, app_id) REFERENCES applications (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);
COMMENT ON TABLE jobs IS 'Background jobs with user-visible progress (discovery, reports).';
-- "The latest discovery of this connection" and "jobs of this application".
CREATE INDEX jobs_subject_idx ON jobs (org_id, subject_id, created_at DESC) WHERE subject_id IS NOT NULL;
CREATE INDEX jobs_app_idx ON jobs (org_id, app_id, created_at DESC) WHERE app_id IS NOT NULL;
CREATE TRIGGER jobs_set_updated_at BEFORE UPDATE ON jobs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
