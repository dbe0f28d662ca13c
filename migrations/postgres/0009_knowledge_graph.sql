-- The knowledge graph of an application: what its endpoints read and write, how its tables
-- reference each other, and which endpoints real traffic has been seen on. Rebuilt from the
-- discovered endpoints and tables (and observed performance metrics) after each discovery.
-- Nodes are not stored: they are the endpoints, tables and metrics the edges name.

CREATE TABLE knowledge_edges (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    app_id       uuid NOT NULL,
    -- Node references: an endpoint is 'METHOD path' ('GET /users/{id}', 'QUERY users'),
    -- a table 'schema.table', a metric 'METHOD path' as performance metrics record it.
    source_kind  text NOT NULL CHECK (source_kind IN ('endpoint', 'table', 'metric')),
    source_ref   text NOT NULL CHECK (source_ref <> ''),
    target_kind  text NOT NULL CHECK (target_kind IN ('endpoint', 'table', 'metric')),
    target_ref   text NOT NULL CHECK (target_ref <> ''),
    relation     text NOT NULL CHECK (relation IN ('reads', 'writes', 'references', 'observed_as')),
    confidence   real NOT NULL CHECK (confidence > 0 AND confidence <= 1),
    -- Why the edge exists: the matched names or columns, the foreign key, the timings.
    evidence     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(evidence) = 'object'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, app_id) REFERENCES applications (org_id, id) ON DELETE CASCADE,
    -- Also the index for "the graph of this application" (org_id, app_id lead).
    UNIQUE (org_id, app_id, source_kind, source_ref, target_kind, target_ref, relation)
);
COMMENT ON TABLE knowledge_edges IS 'Knowledge graph edges: endpoint-table, table-table and endpoint-metric links with confidence and evidence.';
-- "What touches this table / endpoint": lookups from the other end of an edge.
CREATE INDEX knowledge_edges_target_idx ON knowledge_edges (org_id, app_id, target_kind, target_ref);
