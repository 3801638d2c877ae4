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

/// The first of the subscriber's `Accept-Language` tags (by q-value) that we have.
pub fn negotiate_locale(accept_language: Option<&str>) -> &'static str {
    negotiate_among(accept_language, LOCALES).unwrap_or(DEFAULT_LOCALE)
}

/// The first of the subscriber's tags (exact, then primary subtag) among `available`.
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
            (!tag.is_empty()).then_some((q, tag))
        })
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0));
    tags.iter().find_map(|(_, tag)| {
        let primary = tag.split('-').next().unwrap_or(tag);
        available
            .iter()
            .copied()
            .find(|l| *l == tag)
            .or_else(|| available.iter().copied().find(|l| *l == primary))
    })
}

/// The page texts from a tenant's view definition (`/v1/tenants/{t}/views`): the
/// subscriber's locale if the view has it, else the view's default locale.
pub fn from_definition(def: &ViewInput, accept_language: Option<&str>) -> Option<ViewText> {
    let available: Vec<&str> = def.locales.keys().map(String::as_str).collect();
    let locale = negotiate_among(accept_language, &available).unwrap_or(&def.default_locale);
    let texts = def.locales.get(locale)?;
    let labels = if locale.starts_with("es") {
        LABELS_ES
    } else {
        LABELS_EN
    };
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
            .unwrap_or_else(|| "#0b5fff".into()),
        logo_url: def.branding.logo_url.clone(),
        labels,
    })
}

/// The built-in view of a purpose in the negotiated locale (the default locale when a text
/// is missing; a generic text for a purpose we have none for).
pub fn default_view(purpose: &str, accept_language: Option<&str>) -> ViewText {
    let locale = negotiate_locale(accept_language);
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
    let (legal, labels) = if locale == "en" {
        (LEGAL_EN, LABELS_EN)
    } else {
        (LEGAL_ES, LABELS_ES)
    };
    ViewText {
        locale,
        title,
        explanation,
        legal_text: legal.into(),
        operator_name: String::new(),
        colour: "#0b5fff".into(),
        logo_url: None,
        labels,
    }
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
        let v = default_view("dpv:RequestedServiceProvision", Some("en"));
        assert_eq!(v.locale, "en");
        assert_eq!(v.labels.allow, "Allow");
        let v = default_view("dpv:RequestedServiceProvision", Some("de"));
        assert_eq!(v.locale, "es");
        let v = default_view("dpv:Unknown", Some("en"));
        assert!(v.explanation.contains("dpv:Unknown"));
    }
}
