-- Dashboards, their panels, and the per-organisation settings for embedding them in
-- customers' own sites.

CREATE TABLE dashboards (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    -- NULL: an organisation-wide dashboard; otherwise it goes with its application.
    app_id       uuid,
    name         text NOT NULL CHECK (btrim(name) <> ''),
    description  text,
    layout       jsonb NOT NULL DEFAULT '{}',
    created_by   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, app_id) REFERENCES applications (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
);
COMMENT ON TABLE dashboards IS 'Named collections of chart panels, organisation-wide or for one application.';
CREATE INDEX dashboards_org_created_idx ON dashboards (org_id, created_at DESC, id DESC);
CREATE INDEX dashboards_app_idx ON dashboards (org_id, app_id) WHERE app_id IS NOT NULL;
CREATE INDEX dashboards_created_by_idx ON dashboards (org_id, created_by) WHERE created_by IS NOT NULL;
CREATE TRIGGER dashboards_set_updated_at BEFORE UPDATE ON dashboards
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();


CREATE TABLE panels (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    dashboard_id  uuid NOT NULL,
    title         text NOT NULL DEFAULT '',
    -- Order within the dashboard; not unique, so a reorder needs no juggling.
    position      integer NOT NULL DEFAULT 0 CHECK (position >= 0),
    width         smallint NOT NULL DEFAULT 6 CHECK (width BETWEEN 1 AND 12),
    height        smallint NOT NULL DEFAULT 4 CHECK (height BETWEEN 1 AND 48),
    chart_type    text NOT NULL
                  CHECK (chart_type IN ('line', 'area', 'bar', 'number', 'table', 'funnel', 'retention')),
    -- The typed analytics query the panel runs (event, interval, filters, ...).
    query         jsonb NOT NULL CHECK (jsonb_typeof(query) = 'object'),
    options       jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, dashboard_id) REFERENCES dashboards (org_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE panels IS 'One chart on a dashboard: its analytics query, chart type and grid placement.';
CREATE INDEX panels_dashboard_position_idx ON panels (dashboard_id, position);
CREATE TRIGGER panels_set_updated_at BEFORE UPDATE ON panels
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();


CREATE TABLE embedding_settings (
    org_id            uuid PRIMARY KEY REFERENCES organizations ON DELETE CASCADE,
    -- Fernet token of the HS256 secret that signs embed tokens.
    secret_encrypted  text NOT NULL,
    -- Origins allowed to frame embeds (CSP frame-ancestors); empty means none.
    allowed_origins   text[] NOT NULL DEFAULT '{}',
    enabled           boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE embedding_settings IS 'Per-organisation embedding: the embed-token signing secret and the origins allowed to frame widgets.';
CREATE TRIGGER embedding_settings_set_updated_at BEFORE UPDATE ON embedding_settings
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
