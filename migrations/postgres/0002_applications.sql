-- Applications a customer connects, their outbound connections, and what discovery found
-- behind them (API endpoints, database tables).

CREATE TABLE applications (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id                uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    name                  text NOT NULL CHECK (btrim(name) <> ''),
    type                  text NOT NULL CHECK (type IN ('saas', 'mobile', 'web', 'enterprise')),
    status                text NOT NULL DEFAULT 'learning'
                          CHECK (status IN ('learning', 'active', 'paused', 'error')),
    -- Why the status is what it is (e.g. the error behind 'error'); NULL when nothing to say.
    status_reason         text,
    learning_progress     smallint NOT NULL DEFAULT 0 CHECK (learning_progress BETWEEN 0 AND 100),
    base_url              text,
    description           text,
    settings              jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    -- Ingest key: the public prefix for display, a sha256 for the per-request auth lookup,
    -- and a Fernet token of the whole key so the UI can show it again.
    ingest_key_prefix     text NOT NULL,
    ingest_key_hash       bytea NOT NULL UNIQUE CHECK (octet_length(ingest_key_hash) = 32),
    ingest_key_encrypted  text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name),
    UNIQUE (org_id, id)
);
COMMENT ON TABLE applications IS 'Customer applications that stream events in; each has one write-only ingest key.';
CREATE INDEX applications_org_created_idx ON applications (org_id, created_at DESC);
CREATE TRIGGER applications_set_updated_at BEFORE UPDATE ON applications
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();


CREATE TABLE connections (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id                 uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    app_id                 uuid NOT NULL,
    name                   text NOT NULL DEFAULT '',
    type                   text NOT NULL CHECK (type IN ('rest_api', 'graphql', 'database', 'grpc')),
    base_url               text,
    auth_type              text CHECK (auth_type IN ('bearer', 'api_key', 'oauth', 'basic', 'none')),
    -- Fernet token of a JSON object of secrets (tokens, passwords, a database DSN).
    credentials_encrypted  text,
    config                 jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
    status                 text NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'healthy', 'degraded', 'failing', 'disabled')),
    last_checked_at        timestamptz,
    last_latency_ms        integer CHECK (last_latency_ms >= 0),
    last_error             text,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, app_id) REFERENCES applications (org_id, id) ON DELETE CASCADE,
    -- Lets endpoints and tables reference (org, app, connection) as one consistent triple;
    -- also the index for "connections of this application".
    UNIQUE (org_id, app_id, id)
);
COMMENT ON TABLE connections IS 'Outbound connections to an application''s APIs or databases, with encrypted credentials and health.';
-- The health checker picks the connections checked longest ago.
CREATE INDEX connections_due_check_idx ON connections (last_checked_at NULLS FIRST)
    WHERE status <> 'disabled';
CREATE TRIGGER connections_set_updated_at BEFORE UPDATE ON connections
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();


CREATE TABLE api_endpoints (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id                uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    app_id                uuid NOT NULL,
    connection_id         uuid NOT NULL,
    method                text NOT NULL CHECK (method IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD',
                                                          'OPTIONS', 'QUERY', 'MUTATION', 'SUBSCRIPTION')),
    path                  text NOT NULL,
    summary               text,
    description           text,
    parameters            jsonb NOT NULL DEFAULT '[]',
    request_schema        jsonb,
    response_schema       jsonb,
    auth_required         boolean NOT NULL DEFAULT false,
    call_count            bigint NOT NULL DEFAULT 0 CHECK (call_count >= 0),
    avg_response_time_ms  double precision CHECK (avg_response_time_ms >= 0),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    -- Also serves the cascade from a deleted connection (connection_id leads).
    UNIQUE (connection_id, method, path),
    FOREIGN KEY (org_id, app_id, connection_id)
        REFERENCES connections (org_id, app_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE api_endpoints IS 'API operations discovered on a connection (REST routes, GraphQL operations) and their usage.';
CREATE INDEX api_endpoints_app_idx ON api_endpoints (org_id, app_id, path, method);
CREATE TRIGGER api_endpoints_set_updated_at BEFORE UPDATE ON api_endpoints
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();


CREATE TABLE database_schemas (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    app_id         uuid NOT NULL,
    connection_id  uuid NOT NULL,
    schema_name    text NOT NULL,
    table_name     text NOT NULL,
    row_estimate   bigint,
    columns        jsonb NOT NULL DEFAULT '[]',
    primary_key    jsonb NOT NULL DEFAULT '[]',
    foreign_keys   jsonb NOT NULL DEFAULT '[]',
    indexes        jsonb NOT NULL DEFAULT '[]',
    relationships  jsonb NOT NULL DEFAULT '[]',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (connection_id, schema_name, table_name),
    FOREIGN KEY (org_id, app_id, connection_id)
        REFERENCES connections (org_id, app_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE database_schemas IS 'Tables discovered in a database connection: columns, keys, indexes and relationships.';
CREATE INDEX database_schemas_app_idx ON database_schemas (org_id, app_id, schema_name, table_name);
CREATE TRIGGER database_schemas_set_updated_at BEFORE UPDATE ON database_schemas
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
