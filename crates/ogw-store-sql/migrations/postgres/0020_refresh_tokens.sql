-- Refresh tokens (offline_access, authorization code and CIBA only), by lookup hash.
-- Rotated on every use (used_at); a used token presented again revokes its family.
CREATE TABLE refresh_tokens (
    tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    token_hash  TEXT COLLATE "C" NOT NULL,
    family_id   TEXT COLLATE "C" NOT NULL,
    client_id   TEXT COLLATE "C" NOT NULL,
    msisdn      TEXT COLLATE "C" NOT NULL,
    scopes      TEXT COLLATE "C" NOT NULL,
    purpose     TEXT COLLATE "C",
    amr         TEXT COLLATE "C" NOT NULL,
    auth_time   BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    revoked_at  BIGINT,
    PRIMARY KEY (tenant_id, token_hash)
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (tenant_id, family_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
