-- Consent views (issue 8): texts and branding of the subscriber's consent page per purpose
-- (optionally per application). Numbered 0010 to stay clear of other branches' migrations.
CREATE TABLE consent_views (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          TEXT    NOT NULL,
    purpose     TEXT    NOT NULL,
    client_id   TEXT,
    body        TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE INDEX consent_views_by_purpose ON consent_views (tenant_id, purpose);
