//! Network facts in: the RADIUS accounting listener and file imports (`ogw import`).
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use ogw_core::clock::Clock;
use ogw_core::domain::TenantId;
use ogw_core::network::import::{Format, ImportKind, ImportReport, ImportSpec, Importer};
use ogw_core::store::{Store, Timestamp};
use tokio::io::AsyncReadExt;

use crate::config::RadiusConfig;

/// Binds the RADIUS accounting listener. Every client's tenant must exist.
pub async fn radius_listener(
    cfg: &RadiusConfig,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<ogw_radius::Listener> {
    let mut clients = Vec::with_capacity(cfg.clients.len());
    for c in &cfg.clients {
        if store.get_tenant(&c.tenant).await?.is_none() {
            anyhow::bail!(
                "radius client {}: tenant {:?} does not exist",
                c.address,
                c.tenant.as_str()
            );
        }
        if c.secret.len() < 16 {
            tracing::warn!(
                client = %c.address,
                "RADIUS shared secret shorter than 16 characters (RFC 2865 §3 recommends more)"
            );
        }
        clients.push(ogw_radius::RadiusClient {
            address: c.address,
            secret: c.secret.as_bytes().to_vec(),
            tenant: c.tenant.clone(),
        });
    }
    let mut lc = ogw_radius::ListenerConfig::new(cfg.listen, clients);
    lc.max_batch = cfg.max_batch;
    ogw_radius::Listener::bind(&lc, store, clock)
        .await
        .with_context(|| format!("binding RADIUS accounting on udp {}", cfg.listen))
}

/// Reads `path` (`-` for standard input) in chunks into one import.
pub async fn import_file(
    store: &dyn Store,
    kind: ImportKind,
    path: &Path,
    tenant: &TenantId,
    format: Option<Format>,
    now: Timestamp,
) -> anyhow::Result<ImportReport> {
    if store.get_tenant(tenant).await?.is_none() {
        anyhow::bail!("tenant {:?} does not exist", tenant.as_str());
    }
    let format = match format {
        Some(f) => f,
        None => Format::from_file_name(&path.to_string_lossy()).with_context(|| {
            format!(
                "cannot tell the format of {}: use --format csv|ndjson",
                path.display()
            )
        })?,
    };
    let spec = ImportSpec {
        kind,
        format,
        tenant: tenant.clone(),
        now,
        default_source: "import".into(),
    };
    let mut input: Box<dyn tokio::io::AsyncRead + Unpin + Send> = if path == Path::new("-") {
        Box::new(tokio::io::stdin())
    } else {
        Box::new(
            tokio::fs::File::open(path)
                .await
                .with_context(|| format!("opening {}", path.display()))?,
        )
    };
    let mut importer = Importer::begin(store, spec).await?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = input
            .read(&mut buf)
            .await
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        importer.feed(&buf[..n]).await?;
    }
    let report = importer.finish().await?;
    if report.committed {
        // Part of the import's cost, not of the requests the server answers next.
        if let Err(e) = store.settle().await {
            tracing::warn!(error = %e, "the import is committed; folding its log back failed");
        }
    }
    Ok(report)
}

/// The report as the CLI prints it.
pub fn describe(r: &ImportReport, elapsed: std::time::Duration) -> String {
    let mut out = format!(
        "{}: {} rows in {} lines, {:.1}s: {} inserted, {} updated, {} unchanged",
        r.kind.as_str(),
        r.rows,
        r.lines,
        elapsed.as_secs_f64(),
        r.inserted,
        r.updated,
        r.unchanged
    );
    if r.unknown_subscribers > 0 {
        out.push_str(&format!(
            ", {} for numbers that are not subscribers",
            r.unknown_subscribers
        ));
    }
    if r.committed {
        out.push_str("\ncommitted");
    } else {
        out.push_str(&format!(
            "\nREJECTED: {} error(s), nothing was written",
            r.error_count
        ));
        for e in &r.errors {
            out.push_str(&format!("\n  line {}: {}", e.line, e.message));
        }
        if r.error_count > r.errors.len() as u64 {
            out.push_str(&format!(
                "\n  … and {} more",
                r.error_count - r.errors.len() as u64
            ));
        }
    }
    out
}
