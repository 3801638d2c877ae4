-- ogw schema, PostgreSQL flavour. Keep in step with ../sqlite/0001_init.sql: same tables,
-- columns and keys; only column types differ (BIGINT vs STRICT INTEGER, BIGSERIAL vs
-- AUTOINCREMENT, COLLATE "C" so text compares and sorts bytewise as in SQLite).
-- Timestamps are unix milliseconds, JSON is TEXT, booleans are 0/1.

CREATE TABLE tenants (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT           NOT NULL
);

-- Client ids are global; (tenant_id, client_id) is unique too and serves per-tenant lists.
CREATE TABLE applications (
    client_id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    tenant_id         TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    name              TEXT COLLATE "C" NOT NULL,
    secret_hash       TEXT COLLATE "C",
    auth_methods      TEXT COLLATE "C" NOT NULL,
    public_key_pem    TEXT COLLATE "C",
    jwks              TEXT COLLATE "C",
    redirect_uris     TEXT COLLATE "C" NOT NULL,
    grant_types       TEXT COLLATE "C" NOT NULL,
    allowed_scopes    TEXT COLLATE "C" NOT NULL,
    allowed_purposes  TEXT COLLATE "C" NOT NULL,
    require_pkce      BIGINT           NOT NULL,
    status            TEXT COLLATE "C" NOT NULL,
    created_at        BIGINT           NOT NULL,
    UNIQUE (tenant_id, client_id)
);

CREATE TABLE capabilities (
    tenant_id  TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         TEXT COLLATE "C" NOT NULL,
    api_name   TEXT COLLATE "C" NOT NULL,
    version    TEXT COLLATE "C" NOT NULL,
    base_path  TEXT COLLATE "C" NOT NULL,
    scopes     TEXT COLLATE "C" NOT NULL,
    purposes   TEXT COLLATE "C" NOT NULL,
    status     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE subscribers (
    tenant_id         TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    msisdn            TEXT COLLATE "C" NOT NULL,
    subscriber_id     TEXT COLLATE "C" NOT NULL,
    sim_activated_at  BIGINT           NOT NULL,
    imsi              TEXT COLLATE "C",
    PRIMARY KEY (tenant_id, msisdn),
    UNIQUE (tenant_id, subscriber_id)
);

CREATE TABLE sim_changes (
    tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    TEXT COLLATE "C" NOT NULL,
    msisdn      TEXT COLLATE "C" NOT NULL,
    changed_at  BIGINT           NOT NULL,
    source      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX sim_changes_by_msisdn ON sim_changes (tenant_id, msisdn, changed_at);

CREATE TABLE ip_sessions (
    tenant_id     TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    session_id    TEXT COLLATE "C" NOT NULL,
    ip            TEXT COLLATE "C" NOT NULL,
    msisdn        TEXT COLLATE "C" NOT NULL,
    started_at    BIGINT           NOT NULL,
    last_seen_at  BIGINT           NOT NULL,
    ended_at      BIGINT,
    PRIMARY KEY (tenant_id, session_id)
);
CREATE INDEX ip_sessions_by_ip ON ip_sessions (tenant_id, ip, last_seen_at);
CREATE INDEX ip_sessions_by_last_seen ON ip_sessions (tenant_id, last_seen_at);

CREATE TABLE qos_profiles (
    tenant_id  TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT COLLATE "C" NOT NULL,
    status     TEXT COLLATE "C" NOT NULL,
    body       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE qos_availability (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    msisdn     TEXT COLLATE "C" NOT NULL,
    profile    TEXT COLLATE "C" NOT NULL,
    available  BIGINT           NOT NULL,
    PRIMARY KEY (tenant_id, msisdn, profile),
    FOREIGN KEY (tenant_id, profile) REFERENCES qos_profiles (tenant_id, name) ON DELETE CASCADE
);
CREATE INDEX qos_availability_by_profile ON qos_availability (tenant_id, profile);

CREATE TABLE consents (
    tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    msisdn      TEXT COLLATE "C" NOT NULL,
    client_id   TEXT COLLATE "C" NOT NULL,
    purpose     TEXT COLLATE "C" NOT NULL,
    scopes      TEXT COLLATE "C" NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    updated_at  BIGINT           NOT NULL,
    expires_at  BIGINT,
    PRIMARY KEY (tenant_id, msisdn, client_id, purpose)
);
CREATE INDEX consents_by_client ON consents (tenant_id, client_id);

-- Append-only.
CREATE TABLE consent_events (
    id         BIGSERIAL PRIMARY KEY,
    tenant_id  TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    msisdn     TEXT COLLATE "C" NOT NULL,
    client_id  TEXT COLLATE "C" NOT NULL,
    purpose    TEXT COLLATE "C" NOT NULL,
    status     TEXT COLLATE "C" NOT NULL,
    at         BIGINT           NOT NULL,
    actor      TEXT COLLATE "C" NOT NULL,
    reason     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX consent_events_by_consent
    ON consent_events (tenant_id, msisdn, client_id, purpose, id);

CREATE TABLE auth_codes (
    tenant_id       TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    code_hash       TEXT COLLATE "C" NOT NULL,
    client_id       TEXT COLLATE "C" NOT NULL,
    redirect_uri    TEXT COLLATE "C" NOT NULL,
    msisdn          TEXT COLLATE "C" NOT NULL,
    scopes          TEXT COLLATE "C" NOT NULL,
    purpose         TEXT COLLATE "C",
    code_challenge  TEXT COLLATE "C",
    nonce           TEXT COLLATE "C",
    auth_time       BIGINT           NOT NULL,
    expires_at      BIGINT           NOT NULL,
    consumed_at     BIGINT,
    issued_jti      TEXT COLLATE "C",
    PRIMARY KEY (tenant_id, code_hash)
);
CREATE INDEX auth_codes_by_expiry ON auth_codes (expires_at);

-- prev_polled_at is internal: it lets one UPDATE … RETURNING hand back the previous poll time.
CREATE TABLE ciba_requests (
    tenant_id       TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id_hash         TEXT COLLATE "C" NOT NULL,
    client_id       TEXT COLLATE "C" NOT NULL,
    msisdn          TEXT COLLATE "C" NOT NULL,
    scopes          TEXT COLLATE "C" NOT NULL,
    purpose         TEXT COLLATE "C",
    status          TEXT COLLATE "C" NOT NULL,
    interval_secs   BIGINT           NOT NULL,
    created_at      BIGINT           NOT NULL,
    expires_at      BIGINT           NOT NULL,
    last_polled_at  BIGINT,
    prev_polled_at  BIGINT,
    consumed_at     BIGINT,
    PRIMARY KEY (tenant_id, id_hash)
);
CREATE INDEX ciba_requests_by_expiry ON ciba_requests (expires_at);

CREATE TABLE revoked_tokens (
    tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    jti         TEXT COLLATE "C" NOT NULL,
    expires_at  BIGINT           NOT NULL,
    PRIMARY KEY (tenant_id, jti)
);
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);

CREATE TABLE used_jtis (
    tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    namespace   TEXT COLLATE "C" NOT NULL,
    jti         TEXT COLLATE "C" NOT NULL,
    expires_at  BIGINT           NOT NULL,
    PRIMARY KEY (tenant_id, namespace, jti)
);
CREATE INDEX used_jtis_by_expiry ON used_jtis (expires_at);

-- Issuer-wide: not tenant-owned.
CREATE TABLE signing_keys (
    kid            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    alg            TEXT COLLATE "C" NOT NULL,
    private_pem    TEXT COLLATE "C" NOT NULL,
    public_jwk     TEXT COLLATE "C" NOT NULL,
    created_at     BIGINT           NOT NULL,
    retired_at     BIGINT,
    publish_until  BIGINT
);
CREATE INDEX signing_keys_by_created ON signing_keys (created_at);

-- Append-only; no foreign key so the trail outlives a deleted tenant.
CREATE TABLE audit_events (
    id         BIGSERIAL PRIMARY KEY,
    tenant_id  TEXT COLLATE "C" NOT NULL,
    at         BIGINT           NOT NULL,
    actor      TEXT COLLATE "C" NOT NULL,
    action     TEXT COLLATE "C" NOT NULL,
    target     TEXT COLLATE "C" NOT NULL,
    outcome    TEXT COLLATE "C" NOT NULL,
    reason     TEXT COLLATE "C" NOT NULL,
    detail     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX audit_events_by_tenant ON audit_events (tenant_id, id);
