-- Invitations: an admin invites a person by email; they get a one-time link (shown to the
-- admin once) and set their own password. Only a sha256 of the link's token is kept.

ALTER TABLE users
    ADD COLUMN invite_token_hash bytea CHECK (octet_length(invite_token_hash) = 32),
    ADD COLUMN invite_expires_at timestamptz,
    ADD CONSTRAINT users_invite_complete CHECK ((invite_token_hash IS NULL) = (invite_expires_at IS NULL));

CREATE UNIQUE INDEX users_invite_token_key ON users (invite_token_hash) WHERE invite_token_hash IS NOT NULL;
