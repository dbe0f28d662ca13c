-- Accounts: organisations (the tenant), their users, personal API keys, the audit log,
-- and the one trigger function every table with updated_at shares.
--
-- Conventions used by every file in this tree:
--   * Every tenant-owned table carries org_id NOT NULL REFERENCES organizations ON DELETE
--     CASCADE, even when the org is reachable through a parent, because every query is
--     scoped by org. Deleting an organisation deletes everything it owns.
--   * References between tenant-owned rows are composite, (org_id, parent_id) ->
--     parent (org_id, id), so the denormalised org_id can never disagree with the parent's:
--     a row of one organisation cannot point at another organisation's row. The parents
--     carry UNIQUE (org_id, id) for this. A nullable reference that must survive its
--     parent uses ON DELETE SET NULL (column) (PostgreSQL 15+), which nulls only that
--     column and keeps org_id.
--   * Enumerations are CHECK constraints on text, so adding a value is one ALTER of a
--     constraint, not an enum-type migration.
--   * Times are timestamptz; ids are gen_random_uuid() (built in since PostgreSQL 13).

CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION set_updated_at() IS 'BEFORE UPDATE trigger: stamps updated_at on every row update.';


CREATE TABLE organizations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (btrim(name) <> ''),
    slug        text NOT NULL UNIQUE
                CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) BETWEEN 2 AND 63),
    plan        text NOT NULL DEFAULT 'free'
                CHECK (plan IN ('free', 'team', 'business', 'enterprise')),
    settings    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE organizations IS 'Tenants: each customer organisation; deleting one deletes everything it owns.';
CREATE TRIGGER organizations_set_updated_at BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();


CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    email          text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    -- NULL for a user who has not set a password yet (invited, or SSO later).
    password_hash  text,
    name           text NOT NULL DEFAULT '',
    role           text NOT NULL DEFAULT 'member'
                   CHECK (role IN ('owner', 'admin', 'member', 'viewer', 'support')),
    last_login_at  timestamptz,
    is_active      boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);
COMMENT ON TABLE users IS 'People who sign in to NEXUS-PRIME; each belongs to exactly one organisation.';
-- Sign-in is by email alone (POST /v1/auth/token has no organisation), so an address is
-- unique across all organisations, case-insensitively. Look up with lower(email) = lower($1).
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
CREATE INDEX users_org_created_idx ON users (org_id, created_at);
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();


CREATE TABLE api_keys (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    user_id       uuid NOT NULL,
    name          text NOT NULL CHECK (btrim(name) <> ''),
    -- The short public part of the key, stored in clear for lookup and display.
    prefix        text NOT NULL UNIQUE,
    -- sha256 of the full key; the key itself is shown once and never stored.
    key_hash      bytea NOT NULL CHECK (octet_length(key_hash) = 32),
    scopes        text[] NOT NULL DEFAULT '{}',
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE api_keys IS 'Personal API keys (bearer tokens) owned by a user; only a sha256 of each key is kept.';
CREATE INDEX api_keys_org_created_idx ON api_keys (org_id, created_at DESC);
CREATE INDEX api_keys_user_idx ON api_keys (org_id, user_id);
CREATE TRIGGER api_keys_set_updated_at BEFORE UPDATE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();


-- Append-only: no updated_at. A bigint identity keeps rows small and gives a cheap,
-- strictly increasing cursor for the log.
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organizations ON DELETE CASCADE,
    actor_id     uuid,
    -- Who acted, kept readable after the user is deleted, e.g. 'user:ann@x.io', 'api_key:np_abc'.
    actor_label  text,
    action       text NOT NULL CHECK (btrim(action) <> ''),
    target_type  text,
    target_id    text,
    ip           inet,
    request_id   text,
    details      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, actor_id) REFERENCES users (org_id, id) ON DELETE SET NULL (actor_id)
);
COMMENT ON TABLE audit_log IS 'Append-only record of who did what to which object in an organisation.';
CREATE INDEX audit_log_org_created_idx ON audit_log (org_id, created_at DESC);
CREATE INDEX audit_log_org_target_idx ON audit_log (org_id, target_type, target_id);
-- "What did this person do", and the lookup behind SET NULL when a user is deleted.
CREATE INDEX audit_log_actor_idx ON audit_log (org_id, actor_id, created_at DESC)
    WHERE actor_id IS NOT NULL;
