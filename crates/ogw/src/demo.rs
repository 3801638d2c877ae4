//! The demo operator (`ogw serve --demo`): seeded once, when the store has no `demo` tenant.
//! Documented in README.md; the integration tests and the SDK walk-throughs rely on it.
use chrono::{DateTime, Duration, TimeZone, Utc};
use ogw_core::consent::PURPOSES;
use ogw_core::domain::*;
use ogw_core::secret::Pepper;
use ogw_core::store::*;

pub const TENANT: &str = "demo";
pub const CLIENT_ID: &str = "demo-client";
pub const CLIENT_SECRET: &str = "demo-secret";
pub const APP_ID: &str = "demo-app-id";
pub const APP_PUBLIC_KEY_PEM: &str = include_str!("../demo/demo-app-public.pem");
/// Its active IP session is the loopback address: a request from this machine is "that phone".
pub const PHONE_MAIN: &str = "+34629255833";
pub const PHONE_RECENT_SWAP: &str = "+34600000002";
pub const PHONE_NEVER_SWAPPED: &str = "+34600000003";
pub const PHONE_DENIED: &str = "+34600000004";

struct ApiEntry {
    id: &'static str,
    api_name: &'static str,
    version: &'static str,
    base_path: &'static str,
    scopes: &'static [&'static str],
    purposes: &'static [&'static str],
}

const CATALOG: &[ApiEntry] = &[
    ApiEntry {
        id: "sim-swap-v2",
        api_name: "sim-swap",
        version: "2.1.0",
        base_path: "/sim-swap/v2",
        scopes: &["sim-swap", "sim-swap:check", "sim-swap:retrieve-date"],
        purposes: &["dpv:FraudPreventionAndDetection"],
    },
    ApiEntry {
        id: "number-verification-v2",
        api_name: "number-verification",
        version: "2.1.0",
        base_path: "/number-verification/v2",
        scopes: &[
            "number-verification:verify",
            "number-verification:device-phone-number:read",
        ],
        purposes: &["dpv:FraudPreventionAndDetection"],
    },
    ApiEntry {
        id: "qos-profiles-v1",
        api_name: "qos-profiles",
        version: "1.1.0",
        base_path: "/qos-profiles/v1",
        scopes: &["qos-profiles:read"],
        purposes: &["dpv:RequestedServiceProvision", "dpv:ServiceProvision"],
    },
    ApiEntry {
        id: "consent-info-v0",
        api_name: "consent-info",
        version: "0.2.0",
        base_path: "/consent-info/v0.2",
        scopes: &["consent-info:retrieve"],
        purposes: &[
            "dpv:FraudPreventionAndDetection",
            "dpv:RequestedServiceProvision",
            "dpv:ServiceProvision",
        ],
    },
];

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .unwrap_or_default()
}

fn parse<T, E: std::fmt::Display>(r: Result<T, E>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("demo data: {e}"))
}

/// Seeds the demo dataset unless the `demo` tenant exists. Returns whether it seeded.
pub async fn seed(store: &dyn Store, pepper: &Pepper, now: Timestamp) -> anyhow::Result<bool> {
    let tenant = parse(TenantId::parse(TENANT))?;
    if store.get_tenant(&tenant).await?.is_some() {
        return Ok(false);
    }
    store
        .create_tenant(&Tenant {
            id: tenant.clone(),
            name: "Demo Operator".into(),
            status: TenantStatus::Active,
            created_at: now,
        })
        .await?;

    let all_scopes: Vec<Scope> = CATALOG
        .iter()
        .flat_map(|c| c.scopes.iter())
        .map(|s| parse(Scope::parse(s)))
        .collect::<anyhow::Result<_>>()?;
    let all_purposes: Vec<Purpose> = PURPOSES
        .iter()
        .map(|p| parse(Purpose::parse(p.purpose)))
        .collect::<anyhow::Result<_>>()?;
    for c in CATALOG {
        store
            .upsert_capability(&Capability {
                tenant: tenant.clone(),
                id: parse(CapabilityId::parse(c.id))?,
                api_name: c.api_name.into(),
                version: c.version.into(),
                base_path: c.base_path.into(),
                scopes: c
                    .scopes
                    .iter()
                    .map(|s| parse(Scope::parse(s)))
                    .collect::<anyhow::Result<_>>()?,
                purposes: c
                    .purposes
                    .iter()
                    .map(|p| parse(Purpose::parse(p)))
                    .collect::<anyhow::Result<_>>()?,
                status: CapabilityStatus::Available,
            })
            .await?;
    }

    let grant_types = vec![
        GrantType::ClientCredentials,
        GrantType::AuthorizationCode,
        GrantType::Ciba,
        GrantType::JwtBearer,
        GrantType::RefreshToken,
    ];
    let redirect_uris = vec!["https://app.example/cb".to_owned(), "whatever".to_owned()];
    let app = |client_id: &str,
               name: &str,
               secret_hash: Option<String>,
               methods: Vec<ClientAuthMethod>,
               pem: Option<String>| {
        Ok::<_, anyhow::Error>(Application {
            tenant: tenant.clone(),
            client_id: parse(ClientId::parse(client_id))?,
            name: name.into(),
            secret_hash,
            auth_methods: methods,
            public_key_pem: pem,
            jwks: None,
            redirect_uris: redirect_uris.clone(),
            grant_types: grant_types.clone(),
            allowed_scopes: all_scopes.clone(),
            allowed_purposes: all_purposes.clone(),
            require_pkce: false,
            dpop_bound_access_tokens: false,
            status: AppStatus::Active,
            created_at: now,
        })
    };
    store
        .create_application(&app(
            CLIENT_ID,
            "Demo client (client secret)",
            Some(pepper.hash(CLIENT_SECRET)),
            vec![
                ClientAuthMethod::ClientSecretBasic,
                ClientAuthMethod::ClientSecretPost,
            ],
            None,
        )?)
        .await?;
    store
        .create_application(&app(
            APP_ID,
            "Demo app (signed application JWT)",
            None,
            vec![ClientAuthMethod::AppJwt, ClientAuthMethod::PrivateKeyJwt],
            Some(APP_PUBLIC_KEY_PEM.to_owned()),
        )?)
        .await?;

    let activated = at(2023, 1, 10, 9, 0, 0);
    let subscribers = [
        (
            PHONE_MAIN,
            "sub-demo-0001",
            Some(at(2024, 9, 18, 7, 37, 53)),
        ),
        (
            PHONE_RECENT_SWAP,
            "sub-demo-0002",
            Some(now - Duration::hours(2)),
        ),
        (PHONE_NEVER_SWAPPED, "sub-demo-0003", None),
        (PHONE_DENIED, "sub-demo-0004", None),
    ];
    for (msisdn, id, swapped_at) in subscribers {
        let msisdn = parse(PhoneNumber::parse(msisdn))?;
        store
            .upsert_subscriber(&Subscriber {
                tenant: tenant.clone(),
                msisdn: msisdn.clone(),
                id: parse(SubscriberId::parse(id))?,
                sim_activated_at: activated,
                imsi: None,
            })
            .await?;
        if let Some(changed_at) = swapped_at {
            store
                .record_sim_change(&SimChange {
                    tenant: tenant.clone(),
                    msisdn,
                    changed_at,
                    source: "demo".into(),
                    event_id: format!("demo-{id}"),
                })
                .await?;
        }
    }

    let main = parse(PhoneNumber::parse(PHONE_MAIN))?;
    for (session_id, ip) in [
        ("demo-loopback-v4", "127.0.0.1"),
        ("demo-loopback-v6", "::1"),
    ] {
        store
            .upsert_ip_session(&IpSession {
                tenant: tenant.clone(),
                session_id: session_id.into(),
                ip: parse(ip.parse::<std::net::IpAddr>())?,
                msisdn: main.clone(),
                started_at: now,
                last_seen_at: now,
                ended_at: None,
            })
            .await?;
    }

    let denied = parse(PhoneNumber::parse(PHONE_DENIED))?;
    for purpose in &all_purposes {
        store
            .put_consent(
                &Consent {
                    tenant: tenant.clone(),
                    msisdn: denied.clone(),
                    client_id: parse(ClientId::parse(CLIENT_ID))?,
                    purpose: purpose.clone(),
                    scopes: Vec::new(),
                    status: ConsentStatus::Denied,
                    updated_at: now,
                    expires_at: None,
                },
                "system:demo",
                "demo subscriber who refuses every purpose",
            )
            .await?;
    }

    for (name, body) in qos_profiles() {
        store
            .upsert_qos_profile(&QosProfileRecord {
                tenant: tenant.clone(),
                name: name.into(),
                status: "ACTIVE".into(),
                body,
            })
            .await?;
        store
            .set_qos_availability(&tenant, name, &main, true)
            .await?;
    }
    Ok(true)
}

/// QOS_E/S/M/L after the CAMARA sample mapping (QoSProfile_Mapping_Table.md): E keeps latency
/// stable up to ~500 kbps; S, M, L prioritise throughput up to ~4, 8 and 20 Mbps.
fn qos_profiles() -> Vec<(&'static str, serde_json::Value)> {
    let rate = |value: u32, unit: &str| serde_json::json!({"value": value, "unit": unit});
    let dur = |value: u32, unit: &str| serde_json::json!({"value": value, "unit": unit});
    // CAMARA rates are {value 0..=1024, unit}: (value, unit) pairs keep each figure in range.
    let profile = |name: &str,
                   description: &str,
                   max: (u32, &str),
                   min: (u32, &str),
                   priority: u32,
                   delay_ms: u32| {
        serde_json::json!({
            "name": name,
            "description": description,
            "status": "ACTIVE",
            "countryAvailability": [{"countryName": "ES"}],
            "targetMinUpstreamRate": rate(min.0, min.1),
            "maxUpstreamRate": rate(max.0, max.1),
            "maxUpstreamBurstRate": rate(max.0, max.1),
            "targetMinDownstreamRate": rate(min.0, min.1),
            "maxDownstreamRate": rate(max.0, max.1),
            "maxDownstreamBurstRate": rate(max.0, max.1),
            "minDuration": dur(1, "Minutes"),
            "maxDuration": dur(24, "Hours"),
            "priority": priority,
            "packetDelayBudget": dur(delay_ms, "Milliseconds"),
            "jitter": dur(delay_ms / 5, "Milliseconds"),
            "packetErrorLossRate": 3,
        })
    };
    vec![
        (
            "QOS_E",
            profile(
                "QOS_E",
                "Latency stays stable under congestion; throughput up to 500 kbps.",
                (500, "kbps"),
                (100, "kbps"),
                20,
                50,
            ),
        ),
        (
            "QOS_S",
            profile(
                "QOS_S",
                "Throughput prioritised up to 4 Mbps.",
                (4, "Mbps"),
                (1, "Mbps"),
                40,
                100,
            ),
        ),
        (
            "QOS_M",
            profile(
                "QOS_M",
                "Throughput prioritised up to 8 Mbps.",
                (8, "Mbps"),
                (2, "Mbps"),
                30,
                100,
            ),
        ),
        (
            "QOS_L",
            profile(
                "QOS_L",
                "Throughput prioritised up to 20 Mbps.",
                (20, "Mbps"),
                (5, "Mbps"),
                25,
                150,
            ),
        ),
    ]
}
