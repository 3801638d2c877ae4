//! The subscriber-facing HTML pages: consent capture and the privacy dashboard.
//! Server-rendered, no JavaScript, no third-party assets (the one exception: a view's logo,
//! from the single https origin the page's CSP names). Every dynamic value goes through
//! [`esc`]; every response carries a strict CSP, `frame-ancestors 'none'`, no-store and
//! no-referrer; every form carries a CSRF token checked on POST, plus `Origin` and
//! `Sec-Fetch-Site` when the browser sends them.
use std::fmt::Write as _;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use ogw_core::consent::capture::{
    capture_decide, capture_page, dashboard, revoke, AfterDecision, CapturePage, PageError, Target,
    MAX_STATE_LEN,
};
use ogw_core::consent::views::{logo_origin, parse_colour, DEFAULT_COLOUR};
use ogw_core::domain::ConsentStatus;
use serde::Deserialize;

use crate::extract::Device;
use crate::state::AppState;

pub const STYLE_PATH: &str = "/consent/assets/style.css";
/// `/consent/assets/brand/<rrggbb>.css`: the accent colour of a view. Named after the
/// colour itself, so it needs no lookup, cannot be stale and is cached for good.
pub const BRAND_PATH: &str = "/consent/assets/brand";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/consent/capture",
            get(consent_capture_get).post(consent_capture_post),
        )
        .route(
            "/consent/ciba/{tenant}/{id_hash}",
            get(consent_ciba_get).post(consent_ciba_post),
        )
        .route("/my/consents", get(my_consents_get))
        .route("/my/consents/revoke", post(my_consents_revoke_post))
        .route(STYLE_PATH, get(style_get))
        .route(&format!("{BRAND_PATH}/{{file}}"), get(brand_style_get))
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `scheme://host[:port]` of an http(s) URL, if it is safe to put in a CSP source list.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "https" | "http") {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    let ok = !host.is_empty()
        && !host.contains('@')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then(|| format!("{scheme}://{host}"))
}

/// What a page adds to the common frame: the CSP sources beyond `'self'` and the brand
/// stylesheet.
#[derive(Debug, Default)]
struct Extras {
    /// Origins a form may end up at (CSP `form-action` also governs the redirect after the
    /// POST).
    form_targets: Vec<String>,
    /// The one origin the logo comes from (CSP `img-src`).
    img_sources: Vec<String>,
    /// `<rrggbb>` of the brand stylesheet to link.
    brand: Option<String>,
}

fn sources(list: &[String]) -> String {
    let mut out = String::from("'self'");
    for t in list {
        out.push(' ');
        out.push_str(t);
    }
    out
}

/// Headers every page gets.
fn page_headers(res: &mut Response, extras: &Extras) {
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src {img}; form-action {form}; \
         frame-ancestors 'none'; base-uri 'none'",
        img = sources(&extras.img_sources),
        form = sources(&extras.form_targets),
    );
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

fn html(
    base: &str,
    status: StatusCode,
    lang: &str,
    title: &str,
    body: &str,
    extras: &Extras,
) -> Response {
    let brand = extras
        .brand
        .as_deref()
        .map(|hex| {
            format!(
                "<link rel=\"stylesheet\" href=\"{}\">",
                esc(&format!("{base}{BRAND_PATH}/{hex}.css"))
            )
        })
        .unwrap_or_default();
    let doc = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"{style}\">{brand}</head>\
         <body><main>{body}</main></body></html>\n",
        lang = esc(lang),
        title = esc(title),
        style = esc(&format!("{base}{STYLE_PATH}")),
    );
    let mut res = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        doc,
    )
        .into_response();
    page_headers(&mut res, extras);
    res
}

fn error_page(base: &str, e: PageError) -> Response {
    let (status, title, text) = match e {
        PageError::NotFound => (
            StatusCode::NOT_FOUND,
            "Request not found",
            "This consent request does not exist or has expired.",
        ),
        PageError::WrongDevice => (
            StatusCode::FORBIDDEN,
            "Not your line",
            "This page is only available from the mobile line the request is about, over its mobile data connection.",
        ),
        PageError::Forbidden => (
            StatusCode::FORBIDDEN,
            "Form expired",
            "The form could not be accepted. Reload the page and try again.",
        ),
        PageError::Store(err) => {
            tracing::error!(detail = %err, "OGW-P001 consent page storage error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Server error",
                "Something went wrong. Please try again later.",
            )
        }
    };
    let body = format!("<h1>{}</h1><p>{}</p>", esc(title), esc(text));
    html(base, status, "en", title, &body, &Extras::default())
}

fn see_other(base: &str, location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    match HeaderValue::from_str(location) {
        Ok(v) => {
            res.headers_mut().insert(header::LOCATION, v);
        }
        Err(_) => return error_page(base, PageError::NotFound),
    }
    page_headers(&mut res, &Extras::default());
    res
}

/// A cross-site form post is refused before its token is even looked at. `Sec-Fetch-Site`
/// decides when the browser sends it; otherwise `Origin` must be this host. Under
/// `Referrer-Policy: no-referrer` browsers send `Origin: null`, which proves nothing either
/// way: then the CSRF token alone decides.
fn same_origin_post(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None | Some("null") => true,
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            origin
                .split_once("://")
                .is_some_and(|(_, h)| !host.is_empty() && h == host)
        }
    }
}

fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

#[derive(Debug, Default, Deserialize)]
struct DecisionForm {
    #[serde(rename = "ref")]
    reference: Option<String>,
    csrf: Option<String>,
    decision: Option<String>,
    client_id: Option<String>,
    purpose: Option<String>,
    state: Option<String>,
}

fn parse_form(body: &[u8]) -> DecisionForm {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

fn render_capture(
    base: &str,
    page: &CapturePage,
    action: &str,
    reference: Option<&str>,
    state: Option<&str>,
) -> Response {
    let v = &page.view;
    let mut scopes = String::new();
    for s in &page.scopes {
        let _ = write!(scopes, "<li><code>{}</code></li>", esc(s));
    }
    // The logo only from an origin the CSP names (the Views API accepts no other); its alt
    // text is the operator name, which screen readers then hear once, not twice.
    let logo = v
        .logo_url
        .as_deref()
        .and_then(|u| Some((u, logo_origin(u)?)));
    let (logo_html, operator_hidden) = match &logo {
        Some((u, _)) => (
            format!(
                "<img class=\"logo\" src=\"{}\" alt=\"{}\">",
                esc(u),
                esc(&v.operator_name)
            ),
            " aria-hidden=\"true\"",
        ),
        None => (String::new(), ""),
    };
    let colour = parse_colour(&v.colour).unwrap_or_else(|| DEFAULT_COLOUR.to_owned());
    let mut ref_field = reference
        .map(|r| format!("<input type=\"hidden\" name=\"ref\" value=\"{}\">", esc(r)))
        .unwrap_or_default();
    if let Some(st) = state.filter(|s| s.len() <= MAX_STATE_LEN) {
        let _ = write!(
            ref_field,
            "<input type=\"hidden\" name=\"state\" value=\"{}\">",
            esc(st)
        );
    }
    let body = format!(
        "<header class=\"brand\">{logo_html}<span class=\"operator\"{operator_hidden}>{operator}</span></header>\
         <h1>{title}</h1>\
         <p class=\"asks\"><strong id=\"app-name\">{app}</strong> {asks}</p>\
         <p class=\"explanation\">{explanation}</p>\
         <dl><dt>{purpose_label}</dt><dd><code id=\"purpose\">{purpose}</code></dd>\
         <dt>{data_label}</dt><dd><ul>{scopes}</ul></dd></dl>\
         <p class=\"legal\">{legal}</p>\
         <form method=\"post\" action=\"{action}\">{ref_field}\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">{allow}</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\" class=\"secondary\">{deny}</button>\
         </form>",
        operator = esc(&v.operator_name),
        title = esc(&v.title),
        app = esc(&page.app_name),
        asks = esc(v.labels.asks),
        explanation = esc(&v.explanation),
        purpose_label = esc(v.labels.purpose),
        purpose = esc(&page.purpose),
        data_label = esc(v.labels.data),
        legal = esc(&v.legal_text),
        action = esc(action),
        csrf = esc(&page.csrf),
        allow = esc(v.labels.allow),
        deny = esc(v.labels.deny),
    );
    let extras = Extras {
        form_targets: page
            .continue_to
            .as_deref()
            .and_then(origin_of)
            .into_iter()
            .collect(),
        img_sources: logo.map(|(_, origin)| origin).into_iter().collect(),
        brand: Some(colour.trim_start_matches('#').to_owned()),
    };
    html(base, StatusCode::OK, &v.locale, &v.title, &body, &extras)
}

fn done_page(base: &str, granted: bool) -> Response {
    let dashboard = format!("{base}/my/consents");
    let (title, text) = if granted {
        (
            "Consent given",
            "Thank you. You can return to the application.",
        )
    } else {
        (
            "Consent refused",
            "The application will not receive this data. You can return to it.",
        )
    };
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"{}\">Privacy dashboard</a></p>",
        esc(title),
        esc(text),
        esc(&dashboard)
    );
    html(base, StatusCode::OK, "en", title, &body, &Extras::default())
}

fn after(state: &AppState, result: Result<AfterDecision, PageError>) -> Response {
    match result {
        Ok(AfterDecision::Redirect(url)) => see_other(&base_of(state), &url),
        Ok(AfterDecision::Done { granted }) => done_page(&base_of(state), granted),
        Err(e) => error_page(&base_of(state), e),
    }
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
    pairs
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn base_of(state: &AppState) -> String {
    state.settings.base_path.trim_end_matches('/').to_owned()
}

fn path_of(state: &AppState, p: &str) -> String {
    format!("{}{p}", base_of(state))
}

async fn consent_capture_get(
    State(state): State<AppState>,
    Device(device): Device,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(reference) = query_param(query.as_deref(), "ref") else {
        return error_page(&base_of(&state), PageError::NotFound);
    };
    let target = Target::Capture(reference.clone());
    match capture_page(
        &state.oauth(),
        &target,
        &device,
        accept_language(&headers),
        state.now(),
    )
    .await
    {
        Ok(page) => render_capture(
            &base_of(&state),
            &page,
            &path_of(&state, "/consent/capture"),
            Some(&reference),
            query_param(query.as_deref(), "state").as_deref(),
        ),
        Err(e) => error_page(&base_of(&state), e),
    }
}

async fn consent_capture_post(
    State(state): State<AppState>,
    Device(device): Device,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !same_origin_post(&headers) {
        return error_page(&base_of(&state), PageError::Forbidden);
    }
    let form = parse_form(&body);
    let (Some(reference), Some(csrf)) = (form.reference, form.csrf) else {
        return error_page(&base_of(&state), PageError::Forbidden);
    };
    let allow = form.decision.as_deref() == Some("allow");
    after(
        &state,
        capture_decide(
            &state.oauth(),
            &Target::Capture(reference),
            &device,
            &csrf,
            allow,
            form.state.as_deref(),
            state.now(),
        )
        .await,
    )
}

async fn consent_ciba_get(
    State(state): State<AppState>,
    Device(device): Device,
    headers: HeaderMap,
    Path((tenant, id_hash)): Path<(String, String)>,
) -> Response {
    let target = Target::Ciba {
        tenant: tenant.clone(),
        id_hash: id_hash.clone(),
    };
    match capture_page(
        &state.oauth(),
        &target,
        &device,
        accept_language(&headers),
        state.now(),
    )
    .await
    {
        Ok(page) => render_capture(
            &base_of(&state),
            &page,
            &path_of(&state, &format!("/consent/ciba/{tenant}/{id_hash}")),
            None,
            None,
        ),
        Err(e) => error_page(&base_of(&state), e),
    }
}

async fn consent_ciba_post(
    State(state): State<AppState>,
    Device(device): Device,
    headers: HeaderMap,
    Path((tenant, id_hash)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if !same_origin_post(&headers) {
        return error_page(&base_of(&state), PageError::Forbidden);
    }
    let form = parse_form(&body);
    let Some(csrf) = form.csrf else {
        return error_page(&base_of(&state), PageError::Forbidden);
    };
    let allow = form.decision.as_deref() == Some("allow");
    after(
        &state,
        capture_decide(
            &state.oauth(),
            &Target::Ciba { tenant, id_hash },
            &device,
            &csrf,
            allow,
            None,
            state.now(),
        )
        .await,
    )
}

fn status_label(s: ConsentStatus) -> &'static str {
    match s {
        ConsentStatus::Granted => "Granted",
        ConsentStatus::Denied => "Denied",
        ConsentStatus::Revoked => "Revoked",
        ConsentStatus::Requested => "Requested",
    }
}

async fn my_consents_get(State(state): State<AppState>, Device(device): Device) -> Response {
    let d = match dashboard(&state.oauth(), &device, state.now()).await {
        Ok(d) => d,
        Err(e) => return error_page(&base_of(&state), e),
    };
    let action = path_of(&state, "/my/consents/revoke");
    let mut rows = String::new();
    for e in &d.entries {
        let mut history = String::new();
        for h in &e.history {
            let _ = write!(
                history,
                "<li><time>{}</time> {} — {}</li>",
                esc(&h.at.format("%Y-%m-%d %H:%M UTC").to_string()),
                esc(status_label(h.status)),
                esc(&h.reason)
            );
        }
        let revoke = e
            .revoke_csrf
            .as_deref()
            .map(|csrf| {
                format!(
                    "<form method=\"post\" action=\"{action}\">\
                     <input type=\"hidden\" name=\"client_id\" value=\"{client}\">\
                     <input type=\"hidden\" name=\"purpose\" value=\"{purpose}\">\
                     <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                     <button type=\"submit\" class=\"revoke\">Revoke</button></form>",
                    action = esc(&action),
                    client = esc(&e.client_id),
                    purpose = esc(&e.purpose),
                    csrf = esc(csrf),
                )
            })
            .unwrap_or_default();
        let _ = write!(
            rows,
            "<section class=\"consent\" data-client=\"{client}\" data-purpose=\"{purpose}\">\
             <h2>{app}</h2><p><code>{purpose}</code>: <strong class=\"status\">{status}</strong></p>\
             {revoke}<details><summary>History</summary><ul>{history}</ul></details></section>",
            client = esc(&e.client_id),
            purpose = esc(&e.purpose),
            app = esc(&e.app_name),
            status = esc(status_label(e.status)),
        );
    }
    if d.entries.is_empty() {
        rows.push_str("<p>No application has asked for your consent yet.</p>");
    }
    let body = format!(
        "<header class=\"brand\"><span class=\"operator\">{}</span></header>\
         <h1>Your privacy dashboard</h1>\
         <p>Applications and purposes that use data about your line. Revoking takes effect on the application's next request.</p>{rows}",
        esc(&d.operator_name)
    );
    html(
        &base_of(&state),
        StatusCode::OK,
        "en",
        "Your privacy dashboard",
        &body,
        &Extras::default(),
    )
}

async fn my_consents_revoke_post(
    State(state): State<AppState>,
    Device(device): Device,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !same_origin_post(&headers) {
        return error_page(&base_of(&state), PageError::Forbidden);
    }
    let form = parse_form(&body);
    let (Some(client_id), Some(purpose), Some(csrf)) = (form.client_id, form.purpose, form.csrf)
    else {
        return error_page(&base_of(&state), PageError::Forbidden);
    };
    match revoke(
        &state.oauth(),
        &device,
        &client_id,
        &purpose,
        &csrf,
        state.now(),
    )
    .await
    {
        Ok(()) => see_other(&base_of(&state), &path_of(&state, "/my/consents")),
        Err(e) => error_page(&base_of(&state), e),
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1b1d21}\
main{max-width:36rem;margin:2rem auto;background:#fff;padding:1.5rem;border-radius:.5rem;box-shadow:0 1px 3px #0002}\
.brand{display:flex;align-items:center;gap:.5rem;border-bottom:3px solid #0b5fff;padding-bottom:.5rem;margin-bottom:1rem}\
.logo{height:2rem}.operator{font-weight:600}\
button{font-size:1rem;padding:.6rem 1.4rem;border-radius:.3rem;border:1px solid #0b5fff;background:#0b5fff;color:#fff;cursor:pointer}\
button.secondary,button.revoke{background:#fff;color:#0b5fff}\
button:focus{outline:3px solid #ffbf47}\
.legal{font-size:.85rem;color:#4a4f57}\
section.consent{border-top:1px solid #ddd;padding-top:.5rem}\
dt{font-weight:600}";

async fn style_get() -> Response {
    let mut res = ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response();
    res.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// WCAG 2.x relative luminance of `rrggbb`.
fn luminance(hex: &str) -> f64 {
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

/// WCAG 2.x contrast ratio of two luminances.
fn contrast(a: f64, b: f64) -> f64 {
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// The brand stylesheet of `rrggbb` (lower-case hex, already checked): the accent on the
/// header rule and the buttons, with text colours that keep WCAG AA contrast (4.5:1) —
/// black or white on the filled button; the accent itself as text on white only when it is
/// dark enough, else the page's text colour.
fn brand_css(hex: &str) -> String {
    let l = luminance(hex);
    let on_accent = if contrast(l, 1.0) >= contrast(l, 0.0) {
        "#ffffff"
    } else {
        "#000000"
    };
    let accent_text = if contrast(l, 1.0) >= 4.5 {
        format!("#{hex}")
    } else {
        "#1b1d21".to_owned()
    };
    format!(
        ".brand{{border-bottom-color:#{hex}}}\
         button{{background:#{hex};border-color:#{hex};color:{on_accent}}}\
         button.secondary,button.revoke{{background:#fff;color:{accent_text}}}\
         a{{color:{accent_text}}}\n"
    )
}

/// `GET /consent/assets/brand/<rrggbb>.css`. Only six lower-case hex digits name a
/// stylesheet (anything else is 404), so no stored text ever reaches CSS.
async fn brand_style_get(Path(file): Path<String>) -> Response {
    let hex = file
        .strip_suffix(".css")
        .filter(|h| h.len() == 6 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    let Some(hex) = hex else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut res = (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        brand_css(hex),
    )
        .into_response();
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brand_colours_keep_their_text_readable() {
        // Dark accent: white on the button, the accent as link/secondary text.
        let css = brand_css("0b5fff");
        assert!(
            css.contains("button{background:#0b5fff;border-color:#0b5fff;color:#ffffff}"),
            "{css}"
        );
        assert!(
            css.contains("button.secondary,button.revoke{background:#fff;color:#0b5fff}"),
            "{css}"
        );
        // Light accent: black on the button, the page's text colour on white.
        let css = brand_css("ffe600");
        assert!(css.contains("color:#000000}"), "{css}");
        assert!(
            css.contains("button.revoke{background:#fff;color:#1b1d21}"),
            "{css}"
        );
        assert!((contrast(luminance("000000"), luminance("ffffff")) - 21.0).abs() < 1e-9);
    }

    #[test]
    fn escapes_everything_dangerous() {
        assert_eq!(
            esc(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
        );
    }

    #[test]
    fn csp_origins_are_plain() {
        assert_eq!(
            origin_of("https://app.example/cb?x=1").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(origin_of("whatever"), None);
        assert_eq!(origin_of("javascript://x"), None);
        assert_eq!(origin_of("https://a.example;script-src *"), None);
        assert_eq!(origin_of("https://u@a.example/"), None);
    }

    #[test]
    fn cross_site_posts_are_refused() {
        let mut h = HeaderMap::new();
        assert!(same_origin_post(&h));
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin_post(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin_post(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(
            same_origin_post(&h),
            "no-referrer pages post with Origin: null"
        );
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin_post(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin_post(&h));
    }
}
