//! Consent views: what the consent page says about a purpose, per locale. Built-in defaults
//! exist for every purpose of the purpose table, in Spanish and English; a locale we do not
//! have falls back to [`DEFAULT_LOCALE`].
use crate::consent::PURPOSES;
use crate::manage::consent_views::ViewInput;

/// The locale used when the subscriber's languages match none we have.
pub const DEFAULT_LOCALE: &str = "es";
/// Locales with built-in texts.
pub const LOCALES: &[&str] = &["es", "en"];

/// The texts and branding of one consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewText {
    pub locale: String,
    pub title: String,
    /// What the application will learn.
    pub explanation: String,
    pub legal_text: String,
    /// Empty: the tenant's name is used.
    pub operator_name: String,
    /// CSS colour, `#rrggbb`.
    pub colour: String,
    pub logo_url: Option<String>,
    /// Button and heading labels of the page, in the same locale.
    pub labels: Labels,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    pub allow: &'static str,
    pub deny: &'static str,
    pub asks: &'static str,
    pub purpose: &'static str,
    pub data: &'static str,
}

const LABELS_ES: Labels = Labels {
    allow: "Permitir",
    deny: "Denegar",
    asks: "solicita tu consentimiento",
    purpose: "Finalidad",
    data: "Datos",
};
const LABELS_EN: Labels = Labels {
    allow: "Allow",
    deny: "Deny",
    asks: "asks for your consent",
    purpose: "Purpose",
    data: "Data",
};

/// Built-in (purpose, locale, title, explanation).
const TEXTS: &[(&str, &str, &str, &str)] = &[
    (
        "dpv:RequestedServiceProvision",
        "es",
        "Prestación del servicio solicitado",
        "La aplicación podrá consultar los perfiles de calidad de servicio (QoS) disponibles para tu línea, para prestarte el servicio que has pedido.",
    ),
    (
        "dpv:RequestedServiceProvision",
        "en",
        "Providing the service you requested",
        "The application will learn which quality-of-service (QoS) profiles your line can use, to provide the service you asked for.",
    ),
    (
        "dpv:ServiceProvision",
        "es",
        "Prestación de servicio",
        "La aplicación podrá consultar los perfiles de calidad de servicio (QoS) disponibles para tu línea.",
    ),
    (
        "dpv:ServiceProvision",
        "en",
        "Service provision",
        "The application will learn which quality-of-service (QoS) profiles your line can use.",
    ),
    (
        "dpv:FraudPreventionAndDetection",
        "es",
        "Prevención del fraude",
        "La aplicación podrá comprobar si tu SIM ha cambiado recientemente y verificar tu número, para proteger tus operaciones.",
    ),
    (
        "dpv:FraudPreventionAndDetection",
        "en",
        "Fraud prevention",
        "The application will be able to check whether your SIM changed recently and verify your number, to protect your transactions.",
    ),
];

const LEGAL_ES: &str = "Puedes retirar tu consentimiento en cualquier momento desde tu panel de privacidad; la retirada no afecta a los tratamientos anteriores.";
const LEGAL_EN: &str = "You can withdraw your consent at any time from your privacy dashboard; withdrawal does not affect processing that already took place.";

/// The default colour of the pages (the built-in views and views without one).
pub const DEFAULT_COLOUR: &str = "#0b5fff";

/// What the subscriber's side says about languages, best first: the browser's
/// `Accept-Language` (by q-value), then the locales the application requested (OIDC Core
/// §3.1.2.1 `ui_locales`, space-separated, in preference order).
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalePrefs<'a> {
    pub accept_language: Option<&'a str>,
    pub ui_locales: Option<&'a str>,
}

impl<'a> LocalePrefs<'a> {
    pub fn new(accept_language: Option<&'a str>, ui_locales: Option<&'a str>) -> Self {
        Self {
            accept_language,
            ui_locales,
        }
    }

    /// The first preference among `available` (each tag exactly, then its primary subtag):
    /// `Accept-Language` by q-value, then `ui_locales` in order; `None` when none matches.
    pub fn pick<'b>(&self, available: &[&'b str]) -> Option<&'b str> {
        negotiate_among(self.accept_language, available).or_else(|| {
            self.ui_locales
                .unwrap_or_default()
                .split_ascii_whitespace()
                .find_map(|tag| match_tag(&tag.to_ascii_lowercase(), available))
        })
    }
}

/// The first of the subscriber's `Accept-Language` tags (by q-value) that we have.
pub fn negotiate_locale(accept_language: Option<&str>) -> &'static str {
    negotiate_among(accept_language, LOCALES).unwrap_or(DEFAULT_LOCALE)
}

/// `tag` itself, else its primary subtag, among `available`.
fn match_tag<'a>(tag: &str, available: &[&'a str]) -> Option<&'a str> {
    let primary = tag.split('-').next().unwrap_or(tag);
    available
        .iter()
        .copied()
        .find(|l| *l == tag)
        .or_else(|| available.iter().copied().find(|l| *l == primary))
}

/// The first of the subscriber's tags by q-value (exact, then primary subtag) among
/// `available`. Tags with `q=0` are "not acceptable" (RFC 9110 §12.4.2) and skipped.
pub fn negotiate_among<'a>(
    accept_language: Option<&str>,
    available: &[&'a str],
) -> Option<&'a str> {
    let mut tags: Vec<(f32, String)> = accept_language
        .unwrap_or_default()
        .split(',')
        .filter_map(|part| {
            let mut it = part.trim().split(';');
            let tag = it.next()?.trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse().ok()))
                .unwrap_or(1.0);
            (!tag.is_empty() && q > 0.0).then_some((q, tag))
        })
        .collect();
    // Stable: equal q-values keep the header's order.
    tags.sort_by(|a, b| b.0.total_cmp(&a.0));
    tags.iter().find_map(|(_, tag)| match_tag(tag, available))
}

fn labels_for(locale: &str) -> Labels {
    if locale == "es" || locale.starts_with("es-") {
        LABELS_ES
    } else {
        LABELS_EN
    }
}

/// The page texts from a tenant's view definition (`/v1/views`): the subscriber's locale
/// ([`LocalePrefs::pick`]) if the view has it, else the view's `defaultLocale`.
pub fn from_definition(def: &ViewInput, prefs: LocalePrefs<'_>) -> Option<ViewText> {
    let available: Vec<&str> = def.locales.keys().map(String::as_str).collect();
    let locale = prefs.pick(&available).unwrap_or(&def.default_locale);
    let texts = def.locales.get(locale)?;
    Some(ViewText {
        locale: locale.to_owned(),
        title: texts.title.clone(),
        explanation: texts.explanation.clone(),
        legal_text: texts.legal_text.clone(),
        operator_name: def.branding.operator_name.clone().unwrap_or_default(),
        colour: def
            .branding
            .colour
            .clone()
            .unwrap_or_else(|| DEFAULT_COLOUR.into()),
        logo_url: def.branding.logo_url.clone(),
        labels: labels_for(locale),
    })
}

/// The built-in view of a purpose in the negotiated locale (the default locale when a text
/// is missing; a generic text for a purpose we have none for).
pub fn default_view(purpose: &str, prefs: LocalePrefs<'_>) -> ViewText {
    let locale = prefs.pick(LOCALES).unwrap_or(DEFAULT_LOCALE);
    let find = |l: &str| {
        TEXTS
            .iter()
            .find(|(p, loc, _, _)| *p == purpose && *loc == l)
    };
    let (locale, title, explanation) = match find(locale).or_else(|| find(DEFAULT_LOCALE)) {
        Some((_, l, t, e)) => ((*l).to_owned(), (*t).to_owned(), (*e).to_owned()),
        None if locale == "en" => (
            "en".into(),
            "Data sharing".into(),
            format!("The application asks to use data about your line for the purpose {purpose}."),
        ),
        None => (
            "es".into(),
            "Compartir datos".into(),
            format!("La aplicación solicita usar datos de tu línea con la finalidad {purpose}."),
        ),
    };
    let legal = if locale == "en" { LEGAL_EN } else { LEGAL_ES };
    ViewText {
        labels: labels_for(&locale),
        locale,
        title,
        explanation,
        legal_text: legal.into(),
        operator_name: String::new(),
        colour: DEFAULT_COLOUR.into(),
        logo_url: None,
    }
}

/// `#rrggbb` (either case), normalised to lower case; anything else is `None`. The pages
/// name their brand stylesheet after this value, so nothing else may ever reach CSS.
pub fn parse_colour(c: &str) -> Option<String> {
    let hex = c.strip_prefix('#')?;
    (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("#{}", hex.to_ascii_lowercase()))
}

/// The CSP source (`https://host[:port]`) of a logo URL, when the URL is one the pages may
/// load: https, no credentials, an ASCII host name or IP literal, and no character that
/// needs escaping in HTML or could end a CSP source list.
pub fn logo_origin(logo_url: &str) -> Option<String> {
    let printable = logo_url.len() <= 500
        && logo_url.bytes().all(|b| {
            b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'<' | b'>' | b'\\' | b'`')
        });
    if !printable {
        return None;
    }
    let u = url::Url::parse(logo_url).ok()?;
    if u.scheme() != "https" || !u.username().is_empty() || u.password().is_some() {
        return None;
    }
    let host = match u.host()? {
        url::Host::Domain(d) => d.to_owned(),
        url::Host::Ipv4(a) => a.to_string(),
        url::Host::Ipv6(a) => format!("[{a}]"),
    };
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    {
        return None;
    }
    let authority = match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    };
    // What the browser will load is what the operator wrote: no parser normalisation
    // (`https:///x`, a spelled-out default port…) between the two.
    let written = logo_url
        .strip_prefix("https://")?
        .split(['/', '?', '#'])
        .next()?;
    written
        .eq_ignore_ascii_case(&authority)
        .then(|| format!("https://{authority}"))
}

/// Every purpose of the table has a built-in text in every locale.
pub fn every_purpose_has_defaults() -> bool {
    PURPOSES.iter().all(|p| {
        LOCALES.iter().all(|l| {
            TEXTS
                .iter()
                .any(|(tp, tl, _, _)| *tp == p.purpose && tl == l)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_negotiation_and_fallback() {
        assert_eq!(negotiate_locale(Some("en-GB,en;q=0.9")), "en");
        assert_eq!(negotiate_locale(Some("fr-FR, en;q=0.5, es;q=0.8")), "es");
        assert_eq!(negotiate_locale(Some("de")), DEFAULT_LOCALE);
        assert_eq!(negotiate_locale(None), DEFAULT_LOCALE);
        assert!(every_purpose_has_defaults());
        let al = |h| LocalePrefs::new(Some(h), None);
        let v = default_view("dpv:RequestedServiceProvision", al("en"));
        assert_eq!(v.locale, "en");
        assert_eq!(v.labels.allow, "Allow");
        let v = default_view("dpv:RequestedServiceProvision", al("de"));
        assert_eq!(v.locale, "es");
        let v = default_view("dpv:Unknown", al("en"));
        assert!(v.explanation.contains("dpv:Unknown"));
    }

    #[test]
    fn accept_language_then_ui_locales_then_default() {
        let have = ["es", "en", "pt-br"];
        let pick = |al, ui| LocalePrefs::new(al, ui).pick(&have);
        // q-values order the browser's tags; q=0 means "not this one".
        assert_eq!(pick(Some("fr;q=1, en;q=0.5, es;q=0.8"), None), Some("es"));
        assert_eq!(pick(Some("es;q=0, en;q=0.1"), None), Some("en"));
        assert_eq!(pick(Some("pt-BR"), None), Some("pt-br"));
        assert_eq!(pick(Some("en-US"), None), Some("en"));
        // The browser first; the application's ui_locales only when the browser matches nothing.
        assert_eq!(pick(Some("en"), Some("es")), Some("en"));
        assert_eq!(pick(Some("fr, de"), Some("it en-GB es")), Some("en"));
        assert_eq!(pick(None, Some("es")), Some("es"));
        assert_eq!(pick(Some("fr"), Some("it")), None);
    }

    #[test]
    fn colours_and_logos_are_strict() {
        assert_eq!(parse_colour("#FF00aa").as_deref(), Some("#ff00aa"));
        for bad in [
            "red",
            "#fff",
            "#ff00aag",
            "ff00aa",
            "#ff00a;",
            "#ff0000;}",
            " #ff0000",
        ] {
            assert_eq!(parse_colour(bad), None, "{bad}");
        }
        assert_eq!(
            logo_origin("https://cdn.operator.example/img/logo.png?v=2").as_deref(),
            Some("https://cdn.operator.example")
        );
        assert_eq!(
            logo_origin("https://CDN.example:8443/l.svg").as_deref(),
            Some("https://cdn.example:8443")
        );
        for bad in [
            "http://cdn.example/l.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "https://user:pw@cdn.example/l.png",
            "https://cdn.example/a b.png",
            "https://cdn.example/\"onerror=x",
            "https://cdn.example;script-src/l.png",
            "https:///l.png",
            "https://bücher.example/l.png",
        ] {
            assert_eq!(logo_origin(bad), None, "{bad}");
        }
    }
}
