-- Consent views (issue 8): texts and branding of the subscriber's consent page per purpose
-- (optionally per application). Numbered 0010 to stay clear of other branches' migrations.
CREATE TABLE consent_views (
    tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          TEXT COLLATE "C" NOT NULL,
    purpose     TEXT COLLATE "C" NOT NULL,
    client_id   TEXT COLLATE "C",
    body        TEXT COLLATE "C" NOT NULL,
    updated_at  BIGINT           NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX consent_views_by_purpose ON consent_views (tenant_id, purpose);
