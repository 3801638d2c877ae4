-- ogw schema, SQLite flavour. Keep in step with ../postgres/0001_init.sql: same tables,
-- columns and keys; only column types differ (STRICT INTEGER vs BIGINT, AUTOINCREMENT vs
-- BIGSERIAL). Timestamps are unix milliseconds, JSON is TEXT, booleans are 0/1.

CREATE TABLE tenants (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

-- Client ids are global; (tenant_id, client_id) is unique too and serves per-tenant lists.
CREATE TABLE applications (
    client_id         TEXT    NOT NULL PRIMARY KEY,
    tenant_id         TEXT    NOT NULL REFERENCES tenants (id),
    name              TEXT    NOT NULL,
    secret_hash       TEXT,
    auth_methods      TEXT    NOT NULL,
    public_key_pem    TEXT,
    jwks              TEXT,
    redirect_uris     TEXT    NOT NULL,
    grant_types       TEXT    NOT NULL,
    allowed_scopes    TEXT    NOT NULL,
    allowed_purposes  TEXT    NOT NULL,
    require_pkce      INTEGER NOT NULL,
    status            TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    UNIQUE (tenant_id, client_id)
) STRICT;

CREATE TABLE capabilities (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    api_name   TEXT NOT NULL,
    version    TEXT NOT NULL,
    base_path  TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    purposes   TEXT NOT NULL,
    status     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE subscribers (
    tenant_id         TEXT    NOT NULL REFERENCES tenants (id),
    msisdn            TEXT    NOT NULL,
    subscriber_id     TEXT    NOT NULL,
    sim_activated_at  INTEGER NOT NULL,
    imsi              TEXT,
    PRIMARY KEY (tenant_id, msisdn),
    UNIQUE (tenant_id, subscriber_id)
) STRICT;

CREATE TABLE sim_changes (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    TEXT    NOT NULL,
    msisdn      TEXT    NOT NULL,
    changed_at  INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
) STRICT;
CREATE INDEX sim_changes_by_msisdn ON sim_changes (tenant_id, msisdn, changed_at);

CREATE TABLE ip_sessions (
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    session_id    TEXT    NOT NULL,
    ip            TEXT    NOT NULL,
    msisdn        TEXT    NOT NULL,
    started_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    ended_at      INTEGER,
    PRIMARY KEY (tenant_id, session_id)
) STRICT;
CREATE INDEX ip_sessions_by_ip ON ip_sessions (tenant_id, ip, last_seen_at);
CREATE INDEX ip_sessions_by_last_seen ON ip_sessions (tenant_id, last_seen_at);

CREATE TABLE qos_profiles (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
) STRICT;

CREATE TABLE qos_availability (
    tenant_id  TEXT    NOT NULL,
    msisdn     TEXT    NOT NULL,
    profile    TEXT    NOT NULL,
    available  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, msisdn, profile),
    FOREIGN KEY (tenant_id, profile) REFERENCES qos_profiles (tenant_id, name) ON DELETE CASCADE
) STRICT;
CREATE INDEX qos_availability_by_profile ON qos_availability (tenant_id, profile);

CREATE TABLE consents (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    msisdn      TEXT    NOT NULL,
    client_id   TEXT    NOT NULL,
    purpose     TEXT    NOT NULL,
    scopes      TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    PRIMARY KEY (tenant_id, msisdn, client_id, purpose)
) STRICT;
CREATE INDEX consents_by_client ON consents (tenant_id, client_id);

-- Append-only.
CREATE TABLE consent_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    msisdn     TEXT    NOT NULL,
    client_id  TEXT    NOT NULL,
    purpose    TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    reason     TEXT    NOT NULL
) STRICT;
CREATE INDEX consent_events_by_consent
    ON consent_events (tenant_id, msisdn, client_id, purpose, id);

CREATE TABLE auth_codes (
    tenant_id       TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    code_hash       TEXT    NOT NULL,
    client_id       TEXT    NOT NULL,
    redirect_uri    TEXT    NOT NULL,
    msisdn          TEXT    NOT NULL,
    scopes          TEXT    NOT NULL,
    purpose         TEXT,
    code_challenge  TEXT,
    nonce           TEXT,
    auth_time       INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    consumed_at     INTEGER,
    issued_jti      TEXT,
    PRIMARY KEY (tenant_id, code_hash)
) STRICT;
CREATE INDEX auth_codes_by_expiry ON auth_codes (expires_at);

-- prev_polled_at is internal: it lets one UPDATE … RETURNING hand back the previous poll time.
CREATE TABLE ciba_requests (
    tenant_id       TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id_hash         TEXT    NOT NULL,
    client_id       TEXT    NOT NULL,
    msisdn          TEXT    NOT NULL,
    scopes          TEXT    NOT NULL,
    purpose         TEXT,
    status          TEXT    NOT NULL,
    interval_secs   INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    last_polled_at  INTEGER,
    prev_polled_at  INTEGER,
    consumed_at     INTEGER,
    PRIMARY KEY (tenant_id, id_hash)
) STRICT;
CREATE INDEX ciba_requests_by_expiry ON ciba_requests (expires_at);

CREATE TABLE revoked_tokens (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    jti         TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, jti)
) STRICT;
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);

CREATE TABLE used_jtis (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    namespace   TEXT    NOT NULL,
    jti         TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, namespace, jti)
) STRICT;
CREATE INDEX used_jtis_by_expiry ON used_jtis (expires_at);

-- Issuer-wide: not tenant-owned.
CREATE TABLE signing_keys (
    kid            TEXT    NOT NULL PRIMARY KEY,
    alg            TEXT    NOT NULL,
    private_pem    TEXT    NOT NULL,
    public_jwk     TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    retired_at     INTEGER,
    publish_until  INTEGER
) STRICT;
CREATE INDEX signing_keys_by_created ON signing_keys (created_at);

-- Append-only; no foreign key so the trail outlives a deleted tenant.
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    outcome    TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    detail     TEXT    NOT NULL
) STRICT;
CREATE INDEX audit_events_by_tenant ON audit_events (tenant_id, id);
