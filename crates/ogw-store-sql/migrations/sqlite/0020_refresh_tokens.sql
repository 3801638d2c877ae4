-- Refresh tokens (offline_access, authorization code and CIBA only), by lookup hash.
-- Rotated on every use (used_at); a used token presented again revokes its family.
CREATE TABLE refresh_tokens (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    family_id   TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    msisdn      TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    purpose     TEXT,
    amr         TEXT NOT NULL,
    auth_time   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    revoked_at  INTEGER,
    PRIMARY KEY (tenant_id, token_hash)
) STRICT;
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (tenant_id, family_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
