//! Raw rows as both databases return them (text, i64, optional both) and their parsing into
//! domain records. Everything here is backend-neutral: `sqlx::FromRow` is derived generically
//! over the row type, so the same structs decode SQLite and PostgreSQL rows.
use std::fmt::Display;

use chrono::DateTime;
use ogw_core::domain::*;
use ogw_core::store::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

// ---------------------------------------------------------------------------------------------
// Column encodings.

/// Timestamps are stored as unix milliseconds.
pub(crate) fn ms(t: &Timestamp) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn opt_ms(t: &Option<Timestamp>) -> Option<i64> {
    t.as_ref().map(ms)
}

pub(crate) fn ts(v: i64) -> StoreResult<Timestamp> {
    DateTime::from_timestamp_millis(v)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp out of range: {v}")))
}

pub(crate) fn opt_ts(v: Option<i64>) -> StoreResult<Option<Timestamp>> {
    v.map(ts).transpose()
}

/// JSON arrays and objects are stored as TEXT.
pub(crate) fn json<T: Serialize + ?Sized>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(format!("encoding JSON column: {e}")))
}

pub(crate) fn opt_json<T: Serialize>(v: &Option<T>) -> StoreResult<Option<String>> {
    v.as_ref().map(|v| json(v)).transpose()
}

fn from_json<T: DeserializeOwned>(s: &str, column: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| corrupt(column, e))
}

fn from_opt_json<T: DeserializeOwned>(s: Option<String>, column: &str) -> StoreResult<Option<T>> {
    s.map(|s| from_json(&s, column)).transpose()
}

fn corrupt(column: &str, e: impl Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {e}"))
}

/// Parses a validated text column (ids, phone numbers, purposes, addresses).
fn parse<T, E: Display>(r: Result<T, E>, column: &str) -> StoreResult<T> {
    r.map_err(|e| corrupt(column, e))
}

/// Parses a closed-vocabulary column (the `text_enum!` kinds).
fn kind<T>(s: &str, parse: fn(&str) -> Option<T>, column: &str) -> StoreResult<T> {
    parse(s).ok_or_else(|| corrupt(column, format!("unknown value {s:?}")))
}

fn phone(s: &str, column: &str) -> StoreResult<PhoneNumber> {
    parse(PhoneNumber::parse(s), column)
}

fn tenant(s: &str) -> StoreResult<TenantId> {
    parse(TenantId::parse(s), "tenant_id")
}

fn client(s: &str) -> StoreResult<ClientId> {
    parse(ClientId::parse(s), "client_id")
}

fn purpose(s: &str) -> StoreResult<Purpose> {
    parse(Purpose::parse(s), "purpose")
}

fn opt_purpose(s: Option<String>) -> StoreResult<Option<Purpose>> {
    s.as_deref().map(purpose).transpose()
}

fn flag(v: i64, column: &str) -> StoreResult<bool> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(corrupt(column, format!("not a 0/1 flag: {other}"))),
    }
}

/// Parses many rows, failing on the first corrupt one.
pub(crate) fn all<R, T>(rows: Vec<R>) -> StoreResult<Vec<T>>
where
    R: TryInto<T, Error = StoreError>,
{
    rows.into_iter().map(TryInto::try_into).collect()
}

pub(crate) fn opt<R, T>(row: Option<R>) -> StoreResult<Option<T>>
where
    R: TryInto<T, Error = StoreError>,
{
    row.map(TryInto::try_into).transpose()
}

// ---------------------------------------------------------------------------------------------
// Statement parameters. Every statement takes a `Vec<Val>` bound to `$1…$N` in order, so the
// encoding of a record is written once (below, next to its column list) for both backends.

/// One bound parameter: all columns are text or 64-bit integers, either nullable.
pub(crate) enum Val {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(Some(v.to_owned()))
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(Some(v))
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Self {
        Val::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::Text(v)
    }
}
impl From<Option<&str>> for Val {
    fn from(v: Option<&str>) -> Self {
        Val::Text(v.map(str::to_owned))
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(Some(v))
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::Int(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Int(Some(i64::from(v)))
    }
}
impl From<&Timestamp> for Val {
    fn from(v: &Timestamp) -> Self {
        Val::Int(Some(ms(v)))
    }
}
impl From<&Option<Timestamp>> for Val {
    fn from(v: &Option<Timestamp>) -> Self {
        Val::Int(opt_ms(v))
    }
}

/// `args![a, b, …]`: statement parameters `$1, $2, …`.
macro_rules! args {
    ($($v:expr),* $(,)?) => { vec![$($crate::rows::Val::from($v)),*] };
}

// Column lists: `FooRow` decodes them (by name) and `foo_args` encodes a record in this order.
macro_rules! tenant_cols {
    () => {
        "id, name, status, created_at"
    };
}
macro_rules! application_cols {
    () => {
        "client_id, tenant_id, name, secret_hash, auth_methods, public_key_pem, jwks, \
         redirect_uris, grant_types, allowed_scopes, allowed_purposes, require_pkce, status, \
         created_at, dpop_bound_access_tokens"
    };
}
macro_rules! capability_cols {
    () => {
        "tenant_id, id, api_name, version, base_path, scopes, purposes, status"
    };
}
macro_rules! subscriber_cols {
    () => {
        "tenant_id, msisdn, subscriber_id, sim_activated_at, imsi"
    };
}
macro_rules! sim_change_cols {
    () => {
        "tenant_id, event_id, msisdn, changed_at, source"
    };
}
macro_rules! session_cols {
    () => {
        "tenant_id, session_id, ip, msisdn, started_at, last_seen_at, ended_at"
    };
}
macro_rules! view_cols {
    () => {
        "tenant_id, id, purpose, client_id, body, updated_at"
    };
}
macro_rules! qos_profile_cols {
    () => {
        "tenant_id, name, status, body"
    };
}
macro_rules! consent_cols {
    () => {
        "tenant_id, msisdn, client_id, purpose, scopes, status, updated_at, expires_at"
    };
}
/// Without the generated `id`.
macro_rules! consent_event_cols {
    () => {
        "tenant_id, msisdn, client_id, purpose, status, at, actor, reason"
    };
}
macro_rules! code_cols {
    () => {
        "tenant_id, code_hash, client_id, redirect_uri, msisdn, scopes, purpose, code_challenge, \
         nonce, auth_time, expires_at, consumed_at, issued_jti"
    };
}
macro_rules! refresh_cols {
    () => {
        "tenant_id, token_hash, family_id, client_id, msisdn, scopes, purpose, amr, auth_time, \
         created_at, expires_at, used_at, revoked_at"
    };
}
macro_rules! ciba_cols {
    () => {
        "tenant_id, id_hash, client_id, msisdn, scopes, purpose, status, interval_secs, \
         created_at, expires_at, last_polled_at, consumed_at, amr"
    };
}
macro_rules! signing_key_cols {
    () => {
        "kid, alg, private_pem, public_jwk, created_at, retired_at, publish_until"
    };
}
/// Without the generated `id`.
macro_rules! audit_cols {
    () => {
        "tenant_id, at, actor, action, target, outcome, reason, detail"
    };
}

pub(crate) fn tenant_args(t: &Tenant) -> Vec<Val> {
    args![t.id.as_str(), &t.name, t.status.as_str(), &t.created_at]
}

pub(crate) fn application_args(a: &Application) -> StoreResult<Vec<Val>> {
    Ok(args![
        a.client_id.as_str(),
        a.tenant.as_str(),
        &a.name,
        a.secret_hash.as_deref(),
        json(&a.auth_methods)?,
        a.public_key_pem.as_deref(),
        opt_json(&a.jwks)?,
        json(&a.redirect_uris)?,
        json(&a.grant_types)?,
        json(&a.allowed_scopes)?,
        json(&a.allowed_purposes)?,
        a.require_pkce,
        a.status.as_str(),
        &a.created_at,
        a.dpop_bound_access_tokens,
    ])
}

pub(crate) fn capability_args(c: &Capability) -> StoreResult<Vec<Val>> {
    Ok(args![
        c.tenant.as_str(),
        c.id.as_str(),
        &c.api_name,
        &c.version,
        &c.base_path,
        json(&c.scopes)?,
        json(&c.purposes)?,
        c.status.as_str(),
    ])
}

pub(crate) fn subscriber_args(s: &Subscriber) -> Vec<Val> {
    args![
        s.tenant.as_str(),
        s.msisdn.as_str(),
        s.id.as_str(),
        &s.sim_activated_at,
        s.imsi.as_deref(),
    ]
}

pub(crate) fn sim_change_args(c: &SimChange) -> Vec<Val> {
    args![
        c.tenant.as_str(),
        &c.event_id,
        c.msisdn.as_str(),
        &c.changed_at,
        &c.source,
    ]
}

pub(crate) fn session_args(s: &IpSession) -> Vec<Val> {
    args![
        s.tenant.as_str(),
        &s.session_id,
        s.ip.to_string(),
        s.msisdn.as_str(),
        &s.started_at,
        &s.last_seen_at,
        &s.ended_at,
    ]
}

pub(crate) fn view_args(v: &ConsentViewRecord) -> StoreResult<Vec<Val>> {
    Ok(args![
        v.tenant.as_str(),
        &v.id,
        v.purpose.as_str(),
        v.client_id.as_ref().map(|c| c.as_str()),
        json(&v.body)?,
        &v.updated_at,
    ])
}

pub(crate) fn qos_profile_args(p: &QosProfileRecord) -> StoreResult<Vec<Val>> {
    Ok(args![p.tenant.as_str(), &p.name, &p.status, json(&p.body)?])
}

pub(crate) fn consent_args(c: &Consent) -> StoreResult<Vec<Val>> {
    Ok(args![
        c.tenant.as_str(),
        c.msisdn.as_str(),
        c.client_id.as_str(),
        c.purpose.as_str(),
        json(&c.scopes)?,
        c.status.as_str(),
        &c.updated_at,
        &c.expires_at,
    ])
}

/// The history event a `put_consent` appends: the new status, at the consent's `updated_at`.
pub(crate) fn consent_event_args(c: &Consent, actor: &str, reason: &str) -> Vec<Val> {
    args![
        c.tenant.as_str(),
        c.msisdn.as_str(),
        c.client_id.as_str(),
        c.purpose.as_str(),
        c.status.as_str(),
        &c.updated_at,
        actor,
        reason,
    ]
}

pub(crate) fn code_args(c: &AuthCode) -> StoreResult<Vec<Val>> {
    Ok(args![
        c.tenant.as_str(),
        &c.code_hash,
        c.client_id.as_str(),
        &c.redirect_uri,
        c.msisdn.as_str(),
        json(&c.scopes)?,
        c.purpose.as_ref().map(Purpose::as_str),
        c.code_challenge.as_deref(),
        c.nonce.as_deref(),
        &c.auth_time,
        &c.expires_at,
        &c.consumed_at,
        c.issued_jti.as_deref(),
    ])
}

pub(crate) fn refresh_args(r: &RefreshToken) -> StoreResult<Vec<Val>> {
    Ok(args![
        r.tenant.as_str(),
        &r.token_hash,
        &r.family_id,
        r.client_id.as_str(),
        r.msisdn.as_str(),
        json(&r.scopes)?,
        r.purpose.as_ref().map(Purpose::as_str),
        json(&r.amr)?,
        &r.auth_time,
        &r.created_at,
        &r.expires_at,
        &r.used_at,
        &r.revoked_at,
    ])
}

pub(crate) fn ciba_args(r: &CibaRequest) -> StoreResult<Vec<Val>> {
    Ok(args![
        r.tenant.as_str(),
        &r.id_hash,
        r.client_id.as_str(),
        r.msisdn.as_str(),
        json(&r.scopes)?,
        r.purpose.as_ref().map(Purpose::as_str),
        r.status.as_str(),
        r.interval_secs,
        &r.created_at,
        &r.expires_at,
        &r.last_polled_at,
        &r.consumed_at,
        json(&r.amr)?,
    ])
}

pub(crate) fn signing_key_args(k: &SigningKey) -> StoreResult<Vec<Val>> {
    Ok(args![
        &k.kid,
        &k.alg,
        &k.private_pem,
        json(&k.public_jwk)?,
        &k.created_at,
        &k.retired_at,
        &k.publish_until,
    ])
}

pub(crate) fn audit_args(e: &AuditEvent) -> StoreResult<Vec<Val>> {
    Ok(args![
        e.tenant.as_str(),
        &e.at,
        &e.actor,
        &e.action,
        &e.target,
        &e.outcome,
        &e.reason,
        json(&e.detail)?,
    ])
}

// ---------------------------------------------------------------------------------------------
// Rows: field names are column names (see the `*_cols!` lists above).

#[derive(sqlx::FromRow)]
pub(crate) struct TenantRow {
    id: String,
    name: String,
    status: String,
    created_at: i64,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = StoreError;
    fn try_from(r: TenantRow) -> StoreResult<Self> {
        Ok(Tenant {
            id: tenant(&r.id)?,
            name: r.name,
            status: kind(&r.status, TenantStatus::parse, "tenants.status")?,
            created_at: ts(r.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApplicationRow {
    client_id: String,
    tenant_id: String,
    name: String,
    secret_hash: Option<String>,
    auth_methods: String,
    public_key_pem: Option<String>,
    jwks: Option<String>,
    redirect_uris: String,
    grant_types: String,
    allowed_scopes: String,
    allowed_purposes: String,
    require_pkce: i64,
    status: String,
    created_at: i64,
    dpop_bound_access_tokens: i64,
}

impl TryFrom<ApplicationRow> for Application {
    type Error = StoreError;
    fn try_from(r: ApplicationRow) -> StoreResult<Self> {
        Ok(Application {
            tenant: tenant(&r.tenant_id)?,
            client_id: client(&r.client_id)?,
            name: r.name,
            secret_hash: r.secret_hash,
            auth_methods: from_json(&r.auth_methods, "applications.auth_methods")?,
            public_key_pem: r.public_key_pem,
            jwks: from_opt_json(r.jwks, "applications.jwks")?,
            redirect_uris: from_json(&r.redirect_uris, "applications.redirect_uris")?,
            grant_types: from_json(&r.grant_types, "applications.grant_types")?,
            allowed_scopes: from_json(&r.allowed_scopes, "applications.allowed_scopes")?,
            allowed_purposes: from_json(&r.allowed_purposes, "applications.allowed_purposes")?,
            require_pkce: flag(r.require_pkce, "applications.require_pkce")?,
            dpop_bound_access_tokens: flag(
                r.dpop_bound_access_tokens,
                "applications.dpop_bound_access_tokens",
            )?,
            status: kind(&r.status, AppStatus::parse, "applications.status")?,
            created_at: ts(r.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CapabilityRow {
    tenant_id: String,
    id: String,
    api_name: String,
    version: String,
    base_path: String,
    scopes: String,
    purposes: String,
    status: String,
}

impl TryFrom<CapabilityRow> for Capability {
    type Error = StoreError;
    fn try_from(r: CapabilityRow) -> StoreResult<Self> {
        Ok(Capability {
            tenant: tenant(&r.tenant_id)?,
            id: parse(CapabilityId::parse(&r.id), "capabilities.id")?,
            api_name: r.api_name,
            version: r.version,
            base_path: r.base_path,
            scopes: from_json(&r.scopes, "capabilities.scopes")?,
            purposes: from_json(&r.purposes, "capabilities.purposes")?,
            status: kind(&r.status, CapabilityStatus::parse, "capabilities.status")?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SubscriberRow {
    tenant_id: String,
    msisdn: String,
    subscriber_id: String,
    sim_activated_at: i64,
    imsi: Option<String>,
}

impl TryFrom<SubscriberRow> for Subscriber {
    type Error = StoreError;
    fn try_from(r: SubscriberRow) -> StoreResult<Self> {
        Ok(Subscriber {
            tenant: tenant(&r.tenant_id)?,
            msisdn: phone(&r.msisdn, "subscribers.msisdn")?,
            id: parse(
                SubscriberId::parse(&r.subscriber_id),
                "subscribers.subscriber_id",
            )?,
            sim_activated_at: ts(r.sim_activated_at)?,
            imsi: r.imsi,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct IpSessionRow {
    tenant_id: String,
    session_id: String,
    ip: String,
    msisdn: String,
    started_at: i64,
    last_seen_at: i64,
    ended_at: Option<i64>,
}

impl TryFrom<IpSessionRow> for IpSession {
    type Error = StoreError;
    fn try_from(r: IpSessionRow) -> StoreResult<Self> {
        Ok(IpSession {
            tenant: tenant(&r.tenant_id)?,
            session_id: r.session_id,
            ip: parse(r.ip.parse::<std::net::IpAddr>(), "ip_sessions.ip")?,
            msisdn: phone(&r.msisdn, "ip_sessions.msisdn")?,
            started_at: ts(r.started_at)?,
            last_seen_at: ts(r.last_seen_at)?,
            ended_at: opt_ts(r.ended_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ViewRow {
    tenant_id: String,
    id: String,
    purpose: String,
    client_id: Option<String>,
    body: String,
    updated_at: i64,
}

impl TryFrom<ViewRow> for ConsentViewRecord {
    type Error = StoreError;
    fn try_from(r: ViewRow) -> StoreResult<Self> {
        Ok(ConsentViewRecord {
            tenant: tenant(&r.tenant_id)?,
            id: r.id,
            purpose: purpose(&r.purpose)?,
            client_id: r.client_id.as_deref().map(client).transpose()?,
            body: from_json(&r.body, "consent_views.body")?,
            updated_at: ts(r.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct QosProfileRow {
    tenant_id: String,
    name: String,
    status: String,
    body: String,
}

impl TryFrom<QosProfileRow> for QosProfileRecord {
    type Error = StoreError;
    fn try_from(r: QosProfileRow) -> StoreResult<Self> {
        Ok(QosProfileRecord {
            tenant: tenant(&r.tenant_id)?,
            name: r.name,
            status: r.status,
            body: from_json(&r.body, "qos_profiles.body")?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConsentRow {
    tenant_id: String,
    msisdn: String,
    client_id: String,
    purpose: String,
    scopes: String,
    status: String,
    updated_at: i64,
    expires_at: Option<i64>,
}

impl TryFrom<ConsentRow> for Consent {
    type Error = StoreError;
    fn try_from(r: ConsentRow) -> StoreResult<Self> {
        Ok(Consent {
            tenant: tenant(&r.tenant_id)?,
            msisdn: phone(&r.msisdn, "consents.msisdn")?,
            client_id: client(&r.client_id)?,
            purpose: purpose(&r.purpose)?,
            scopes: from_json(&r.scopes, "consents.scopes")?,
            status: kind(&r.status, ConsentStatus::parse, "consents.status")?,
            updated_at: ts(r.updated_at)?,
            expires_at: opt_ts(r.expires_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConsentEventRow {
    id: i64,
    tenant_id: String,
    msisdn: String,
    client_id: String,
    purpose: String,
    status: String,
    at: i64,
    actor: String,
    reason: String,
}

impl TryFrom<ConsentEventRow> for ConsentEvent {
    type Error = StoreError;
    fn try_from(r: ConsentEventRow) -> StoreResult<Self> {
        Ok(ConsentEvent {
            id: r.id,
            tenant: tenant(&r.tenant_id)?,
            msisdn: phone(&r.msisdn, "consent_events.msisdn")?,
            client_id: client(&r.client_id)?,
            purpose: purpose(&r.purpose)?,
            status: kind(&r.status, ConsentStatus::parse, "consent_events.status")?,
            at: ts(r.at)?,
            actor: r.actor,
            reason: r.reason,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuthCodeRow {
    tenant_id: String,
    code_hash: String,
    client_id: String,
    redirect_uri: String,
    msisdn: String,
    scopes: String,
    purpose: Option<String>,
    code_challenge: Option<String>,
    nonce: Option<String>,
    auth_time: i64,
    expires_at: i64,
    consumed_at: Option<i64>,
    issued_jti: Option<String>,
}

impl TryFrom<AuthCodeRow> for AuthCode {
    type Error = StoreError;
    fn try_from(r: AuthCodeRow) -> StoreResult<Self> {
        Ok(AuthCode {
            tenant: tenant(&r.tenant_id)?,
            code_hash: r.code_hash,
            client_id: client(&r.client_id)?,
            redirect_uri: r.redirect_uri,
            msisdn: phone(&r.msisdn, "auth_codes.msisdn")?,
            scopes: from_json(&r.scopes, "auth_codes.scopes")?,
            purpose: opt_purpose(r.purpose)?,
            code_challenge: r.code_challenge,
            nonce: r.nonce,
            auth_time: ts(r.auth_time)?,
            expires_at: ts(r.expires_at)?,
            consumed_at: opt_ts(r.consumed_at)?,
            issued_jti: r.issued_jti,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RefreshRow {
    tenant_id: String,
    token_hash: String,
    family_id: String,
    client_id: String,
    msisdn: String,
    scopes: String,
    purpose: Option<String>,
    amr: String,
    auth_time: i64,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<RefreshRow> for RefreshToken {
    type Error = StoreError;
    fn try_from(r: RefreshRow) -> StoreResult<Self> {
        Ok(RefreshToken {
            tenant: tenant(&r.tenant_id)?,
            token_hash: r.token_hash,
            family_id: r.family_id,
            client_id: client(&r.client_id)?,
            msisdn: phone(&r.msisdn, "refresh_tokens.msisdn")?,
            scopes: from_json(&r.scopes, "refresh_tokens.scopes")?,
            purpose: opt_purpose(r.purpose)?,
            amr: from_json(&r.amr, "refresh_tokens.amr")?,
            auth_time: ts(r.auth_time)?,
            created_at: ts(r.created_at)?,
            expires_at: ts(r.expires_at)?,
            used_at: opt_ts(r.used_at)?,
            revoked_at: opt_ts(r.revoked_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CibaRow {
    tenant_id: String,
    id_hash: String,
    client_id: String,
    msisdn: String,
    scopes: String,
    purpose: Option<String>,
    status: String,
    interval_secs: i64,
    created_at: i64,
    expires_at: i64,
    last_polled_at: Option<i64>,
    consumed_at: Option<i64>,
    amr: String,
}

impl TryFrom<CibaRow> for CibaRequest {
    type Error = StoreError;
    fn try_from(r: CibaRow) -> StoreResult<Self> {
        Ok(CibaRequest {
            tenant: tenant(&r.tenant_id)?,
            id_hash: r.id_hash,
            client_id: client(&r.client_id)?,
            msisdn: phone(&r.msisdn, "ciba_requests.msisdn")?,
            scopes: from_json(&r.scopes, "ciba_requests.scopes")?,
            purpose: opt_purpose(r.purpose)?,
            status: kind(&r.status, CibaStatus::parse, "ciba_requests.status")?,
            amr: from_json(&r.amr, "ciba_requests.amr")?,
            interval_secs: r.interval_secs,
            created_at: ts(r.created_at)?,
            expires_at: ts(r.expires_at)?,
            last_polled_at: opt_ts(r.last_polled_at)?,
            consumed_at: opt_ts(r.consumed_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SigningKeyRow {
    kid: String,
    alg: String,
    private_pem: String,
    public_jwk: String,
    created_at: i64,
    retired_at: Option<i64>,
    publish_until: Option<i64>,
}

impl TryFrom<SigningKeyRow> for SigningKey {
    type Error = StoreError;
    fn try_from(r: SigningKeyRow) -> StoreResult<Self> {
        Ok(SigningKey {
            kid: r.kid,
            alg: r.alg,
            private_pem: r.private_pem,
            public_jwk: from_json(&r.public_jwk, "signing_keys.public_jwk")?,
            created_at: ts(r.created_at)?,
            retired_at: opt_ts(r.retired_at)?,
            publish_until: opt_ts(r.publish_until)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: i64,
    tenant_id: String,
    at: i64,
    actor: String,
    action: String,
    target: String,
    outcome: String,
    reason: String,
    detail: String,
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StoreError;
    fn try_from(r: AuditRow) -> StoreResult<Self> {
        Ok(AuditEvent {
            id: r.id,
            tenant: tenant(&r.tenant_id)?,
            at: ts(r.at)?,
            actor: r.actor,
            action: r.action,
            target: r.target,
            outcome: r.outcome,
            reason: r.reason,
            detail: from_json(&r.detail, "audit_events.detail")?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The same rows read by position on the synchronous SQLite path (`fast`), in `*_cols!` order.

impl crate::fast::FastRow for SubscriberRow {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            tenant_id: r.get(0)?,
            msisdn: r.get(1)?,
            subscriber_id: r.get(2)?,
            sim_activated_at: r.get(3)?,
            imsi: r.get(4)?,
        })
    }
}

impl crate::fast::FastRow for IpSessionRow {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            tenant_id: r.get(0)?,
            session_id: r.get(1)?,
            ip: r.get(2)?,
            msisdn: r.get(3)?,
            started_at: r.get(4)?,
            last_seen_at: r.get(5)?,
            ended_at: r.get(6)?,
        })
    }
}

impl crate::fast::FastRow for ConsentRow {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            tenant_id: r.get(0)?,
            msisdn: r.get(1)?,
            client_id: r.get(2)?,
            purpose: r.get(3)?,
            scopes: r.get(4)?,
            status: r.get(5)?,
            updated_at: r.get(6)?,
            expires_at: r.get(7)?,
        })
    }
}

impl crate::fast::FastRow for AuditRow {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            tenant_id: r.get(1)?,
            at: r.get(2)?,
            actor: r.get(3)?,
            action: r.get(4)?,
            target: r.get(5)?,
            outcome: r.get(6)?,
            reason: r.get(7)?,
            detail: r.get(8)?,
        })
    }
}
