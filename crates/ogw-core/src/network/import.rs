//! Streaming bulk import of subscribers, SIM changes and IP sessions (NDJSON or CSV).
//!
//! The caller feeds bytes as they arrive ([`Importer::feed`]); memory stays constant whatever
//! the input size: one line and one chunk of rows at a time. Every row is validated; a bad
//! row is reported with its line number and the reason. Rows are written in chunks inside one
//! store transaction that commits at [`Importer::finish`] only when no row was rejected, so a
//! rejected input leaves nothing behind. (On SQLite that transaction holds the write lock until
//! it ends: other writers, RADIUS accounting included, wait meanwhile.)
//!
//! Formats: NDJSON is one JSON object per line. CSV (RFC 4180 quoting, one record per line)
//! starts with a header naming the columns, in any order, with the same names as the NDJSON
//! keys; an empty cell is an absent value. Blank lines are skipped in both.
//!
//! Semantics per kind:
//! - `subscribers` (phoneNumber, simActivatedAt, subscriberId?, imsi?): inserted or replaced
//!   by phone number. An existing subscriber keeps its id (tokens derive from it: a different
//!   one is an error) and, when the row has none, its IMSI. A repeated phone number: the later
//!   row wins.
//! - `sim-changes` (phoneNumber, changedAt, eventId?, newImsi?, reason?, source?): recorded
//!   once per event id (default: derived from phone number and time); the subscriber must
//!   exist. A new IMSI becomes the subscriber's when the change is its latest.
//! - `ip-sessions` (sessionId, ipAddress, phoneNumber, startedAt, lastSeenAt?, endedAt?, imsi?):
//!   applied like accounting records (see [`crate::store::SessionFact`]).
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::rows::{
    IpSessionIn, SimChangeIn, SubscriberIn, SubscriberRow, IP_SESSION_FIELDS, SIM_CHANGE_FIELDS,
    SUBSCRIBER_FIELDS,
};
use crate::domain::{PhoneNumber, SubscriberId, TenantId};
use crate::store::{
    NetworkTx, SessionFact, SimChangeEvent, Store, StoreResult, Subscriber, Timestamp,
};

/// Longest accepted line, in bytes.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Errors listed in a report; all are counted.
pub const MAX_REPORTED_ERRORS: usize = 100;
/// Rows validated against the store and written together.
const CHUNK_ROWS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ImportKind {
    Subscribers,
    SimChanges,
    IpSessions,
}

impl ImportKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "subscribers" => Some(Self::Subscribers),
            "sim-changes" => Some(Self::SimChanges),
            "ip-sessions" => Some(Self::IpSessions),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscribers => "subscribers",
            Self::SimChanges => "sim-changes",
            Self::IpSessions => "ip-sessions",
        }
    }
    /// The field names (NDJSON keys, CSV columns).
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Subscribers => SUBSCRIBER_FIELDS,
            Self::SimChanges => SIM_CHANGE_FIELDS,
            Self::IpSessions => IP_SESSION_FIELDS,
        }
    }
    fn required(self) -> &'static [&'static str] {
        match self {
            Self::Subscribers => &["phoneNumber", "simActivatedAt"],
            Self::SimChanges => &["phoneNumber", "changedAt"],
            Self::IpSessions => &["sessionId", "ipAddress", "phoneNumber", "startedAt"],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Ndjson,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "ndjson" | "jsonl" | "json" => Some(Self::Ndjson),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }
    /// From a file name's extension (`.ndjson`, `.jsonl`, `.json`, `.csv`).
    pub fn from_file_name(name: &str) -> Option<Self> {
        name.rsplit_once('.').and_then(|(_, ext)| Self::parse(ext))
    }
    /// From a media type (`application/x-ndjson`, `application/jsonl`, `text/csv`…).
    pub fn from_media_type(ct: &str) -> Option<Self> {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" | "application/csv" => Some(Self::Csv),
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonlines"
            | "application/json" => Some(Self::Ndjson),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImportSpec {
    pub kind: ImportKind,
    pub format: Format,
    pub tenant: TenantId,
    pub now: Timestamp,
    /// `source` of SIM changes whose row names none.
    pub default_source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

/// What an import did. When `committed` is false nothing was written; the counts then say
/// what would have been.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub kind: ImportKind,
    pub lines: u64,
    /// Data rows read (not counting the CSV header and blank lines).
    pub rows: u64,
    /// New subscribers, new SIM change events.
    pub inserted: u64,
    /// Subscribers replaced; sessions opened, refreshed or ended.
    pub updated: u64,
    /// Rows that changed nothing: SIM change events already recorded, rows repeated later in
    /// the input, subscribers already so, session updates for ended sessions.
    pub unchanged: u64,
    /// ip-sessions: sessions of phone numbers that are not subscribers (recorded, counted).
    pub unknown_subscribers: u64,
    pub error_count: u64,
    /// The first [`MAX_REPORTED_ERRORS`] errors, by line.
    pub errors: Vec<LineError>,
    pub committed: bool,
}

/// Generates ids for new subscribers whose row names none.
pub type IdGenerator = Box<dyn FnMut() -> SubscriberId + Send>;

/// `sub-` and 32 random hex digits.
pub fn random_subscriber_id() -> SubscriberId {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    SubscriberId::parse(&format!("sub-{hex}")).unwrap_or_else(|_| unreachable!())
}

enum Pending {
    Subscribers(Vec<(u64, SubscriberRow)>),
    SimChanges(Vec<(u64, SimChangeEvent)>),
    Sessions(Vec<(u64, SessionFact)>),
}

impl Pending {
    fn len(&self) -> usize {
        match self {
            Pending::Subscribers(v) => v.len(),
            Pending::SimChanges(v) => v.len(),
            Pending::Sessions(v) => v.len(),
        }
    }
}

/// One import in progress. Feed it bytes, then [`Importer::finish`].
pub struct Importer {
    spec: ImportSpec,
    tx: Box<dyn NetworkTx>,
    new_id: IdGenerator,
    /// The current, incomplete line.
    partial: Vec<u8>,
    overlong: bool,
    /// CSV: the header's field names, once read.
    columns: Option<Vec<&'static str>>,
    /// The input cannot be read any further (a bad CSV header).
    fatal: bool,
    pending: Pending,
    report: ImportReport,
}

impl Importer {
    pub async fn begin(store: &dyn Store, spec: ImportSpec) -> StoreResult<Self> {
        let tx = store.begin_network().await?;
        let pending = match spec.kind {
            ImportKind::Subscribers => Pending::Subscribers(Vec::new()),
            ImportKind::SimChanges => Pending::SimChanges(Vec::new()),
            ImportKind::IpSessions => Pending::Sessions(Vec::new()),
        };
        let report = ImportReport {
            kind: spec.kind,
            lines: 0,
            rows: 0,
            inserted: 0,
            updated: 0,
            unchanged: 0,
            unknown_subscribers: 0,
            error_count: 0,
            errors: Vec::new(),
            committed: false,
        };
        Ok(Self {
            spec,
            tx,
            new_id: Box::new(random_subscriber_id),
            partial: Vec::new(),
            overlong: false,
            columns: None,
            fatal: false,
            pending,
            report,
        })
    }

    pub fn with_id_generator(mut self, g: IdGenerator) -> Self {
        self.new_id = g;
        self
    }

    /// Errors so far (the import will not commit when this is not zero).
    pub fn error_count(&self) -> u64 {
        self.report.error_count
    }

    /// Consumes the next bytes of the input.
    pub async fn feed(&mut self, mut chunk: &[u8]) -> StoreResult<()> {
        while let Some(nl) = chunk.iter().position(|&b| b == b'\n') {
            let (head, rest) = (&chunk[..nl], &chunk[nl + 1..]);
            chunk = rest;
            if self.partial.is_empty() && !self.overlong {
                self.line(head, false).await?;
            } else {
                self.append(head);
                let line = std::mem::take(&mut self.partial);
                let overlong = std::mem::replace(&mut self.overlong, false);
                self.line(&line, overlong).await?;
                self.partial = line;
                self.partial.clear();
            }
        }
        self.append(chunk);
        Ok(())
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.overlong {
            return;
        }
        if self.partial.len() + bytes.len() > MAX_LINE_BYTES {
            self.overlong = true;
            self.partial.clear();
        } else {
            self.partial.extend_from_slice(bytes);
        }
    }

    /// Ends the input: validates and writes what is left, then commits when no row was
    /// rejected and rolls back otherwise.
    pub async fn finish(mut self) -> StoreResult<ImportReport> {
        if !self.partial.is_empty() || self.overlong {
            let line = std::mem::take(&mut self.partial);
            let overlong = self.overlong;
            self.line(&line, overlong).await?;
        }
        self.flush().await?;
        if self.report.error_count == 0 {
            self.tx.commit().await?;
            self.report.committed = true;
        } else {
            self.tx.rollback().await?;
        }
        Ok(self.report)
    }

    fn error(&mut self, line: u64, message: String) {
        self.report.error_count += 1;
        if self.report.errors.len() < MAX_REPORTED_ERRORS {
            self.report.errors.push(LineError { line, message });
        }
    }

    async fn line(&mut self, raw: &[u8], overlong: bool) -> StoreResult<()> {
        self.report.lines += 1;
        let n = self.report.lines;
        if self.fatal {
            return Ok(());
        }
        if overlong {
            self.error(n, format!("line longer than {MAX_LINE_BYTES} bytes"));
            return Ok(());
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t,
            Err(_) => {
                self.error(n, "not UTF-8".into());
                return Ok(());
            }
        };
        let text = if n == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        if text.trim().is_empty() {
            return Ok(());
        }
        let object = match self.spec.format {
            Format::Ndjson => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(v @ serde_json::Value::Object(_)) => v,
                Ok(_) => {
                    self.error(n, "not a JSON object".into());
                    self.report.rows += 1;
                    return Ok(());
                }
                Err(e) => {
                    self.error(n, format!("malformed JSON: {e}"));
                    self.report.rows += 1;
                    return Ok(());
                }
            },
            Format::Csv => {
                let cells = match split_csv(text) {
                    Ok(c) => c,
                    Err(e) => {
                        self.error(n, e);
                        if self.columns.is_none() {
                            self.fatal = true;
                        } else {
                            self.report.rows += 1;
                        }
                        return Ok(());
                    }
                };
                let Some(columns) = &self.columns else {
                    match header(self.spec.kind, &cells) {
                        Ok(c) => self.columns = Some(c),
                        Err(e) => {
                            self.error(n, e);
                            self.fatal = true;
                        }
                    }
                    return Ok(());
                };
                match csv_object(columns, cells) {
                    Ok(map) => map,
                    Err(e) => {
                        self.error(n, e);
                        self.report.rows += 1;
                        return Ok(());
                    }
                }
            }
        };
        self.report.rows += 1;
        self.row(n, object).await
    }

    async fn row(&mut self, n: u64, object: serde_json::Value) -> StoreResult<()> {
        let spec = &self.spec;
        let parsed: Result<(), String> = match &mut self.pending {
            Pending::Subscribers(rows) => serde_json::from_value::<SubscriberIn>(object)
                .map_err(|e| e.to_string())
                .and_then(|r| r.validate(spec.now))
                .map(|r| rows.push((n, r))),
            Pending::SimChanges(rows) => serde_json::from_value::<SimChangeIn>(object)
                .map_err(|e| e.to_string())
                .and_then(|r| r.validate(&spec.tenant, &spec.default_source, spec.now))
                .map(|r| rows.push((n, r))),
            Pending::Sessions(rows) => serde_json::from_value::<IpSessionIn>(object)
                .map_err(|e| e.to_string())
                .and_then(|r| r.validate(&spec.tenant, spec.now))
                .map(|r| rows.push((n, r))),
        };
        if let Err(e) = parsed {
            self.error(n, e);
        }
        if self.pending.len() >= CHUNK_ROWS {
            self.flush().await?;
        }
        Ok(())
    }

    /// Checks the pending rows against the store and, while no error has occurred, writes them.
    async fn flush(&mut self) -> StoreResult<()> {
        let pending = match &mut self.pending {
            Pending::Subscribers(v) => Pending::Subscribers(std::mem::take(v)),
            Pending::SimChanges(v) => Pending::SimChanges(std::mem::take(v)),
            Pending::Sessions(v) => Pending::Sessions(std::mem::take(v)),
        };
        match pending {
            Pending::Subscribers(rows) if !rows.is_empty() => self.flush_subscribers(rows).await,
            Pending::SimChanges(rows) if !rows.is_empty() => self.flush_sim_changes(rows).await,
            Pending::Sessions(rows) if !rows.is_empty() => self.flush_sessions(rows).await,
            _ => Ok(()),
        }
    }

    async fn flush_subscribers(&mut self, rows: Vec<(u64, SubscriberRow)>) -> StoreResult<()> {
        let tenant = self.spec.tenant.clone();
        // A repeated phone number: the later row wins.
        let mut last: HashMap<PhoneNumber, usize> = HashMap::with_capacity(rows.len());
        for (i, (_, r)) in rows.iter().enumerate() {
            last.insert(r.msisdn.clone(), i);
        }
        let superseded = rows.len() - last.len();
        self.report.unchanged += superseded as u64;
        let rows: Vec<(u64, SubscriberRow)> = rows
            .into_iter()
            .enumerate()
            .filter(|(i, (_, r))| last.get(&r.msisdn) == Some(i))
            .map(|(_, r)| r)
            .collect();
        let msisdns: Vec<PhoneNumber> = rows.iter().map(|(_, r)| r.msisdn.clone()).collect();
        let existing: HashMap<PhoneNumber, Subscriber> = self
            .tx
            .subscribers_by_msisdn(&tenant, &msisdns)
            .await?
            .into_iter()
            .map(|s| (s.msisdn.clone(), s))
            .collect();

        let mut out: Vec<(u64, Subscriber, bool)> = Vec::with_capacity(rows.len());
        let mut claimed: HashMap<SubscriberId, PhoneNumber> = HashMap::new();
        for (n, r) in rows {
            let current = existing.get(&r.msisdn);
            let id = match (current, r.id) {
                (Some(cur), Some(id)) if id != cur.id => {
                    self.error(
                        n,
                        format!(
                            "subscriberId: {} already has subscriber id {}; it cannot change \
                             (issued tokens derive from it)",
                            r.msisdn, cur.id
                        ),
                    );
                    continue;
                }
                (Some(cur), _) => cur.id.clone(),
                (None, Some(id)) => id,
                (None, None) => (self.new_id)(),
            };
            if current.is_none() {
                if let Some(other) = claimed.insert(id.clone(), r.msisdn.clone()) {
                    self.error(
                        n,
                        format!("subscriberId: {id} is also given to {other} in this input"),
                    );
                    continue;
                }
            }
            let s = Subscriber {
                tenant: tenant.clone(),
                imsi: r.imsi.or_else(|| current.and_then(|c| c.imsi.clone())),
                msisdn: r.msisdn,
                id,
                sim_activated_at: r.sim_activated_at,
            };
            let new = current.is_none();
            if current == Some(&s) {
                self.report.unchanged += 1;
            } else {
                out.push((n, s, new));
            }
        }
        // Ids of new subscribers must not belong to another phone number already.
        let new_ids: Vec<SubscriberId> = out
            .iter()
            .filter(|(_, _, new)| *new)
            .map(|(_, s, _)| s.id.clone())
            .collect();
        if !new_ids.is_empty() {
            let holders: HashMap<SubscriberId, PhoneNumber> = self
                .tx
                .subscribers_by_id(&tenant, &new_ids)
                .await?
                .into_iter()
                .map(|s| (s.id, s.msisdn))
                .collect();
            let mut kept = Vec::with_capacity(out.len());
            for (n, s, new) in out {
                match holders.get(&s.id) {
                    Some(other) if new && other != &s.msisdn => self.error(
                        n,
                        format!("subscriberId: {} already belongs to {other}", s.id),
                    ),
                    _ => kept.push((n, s, new)),
                }
            }
            out = kept;
        }
        for (_, _, new) in &out {
            if *new {
                self.report.inserted += 1;
            } else {
                self.report.updated += 1;
            }
        }
        if self.report.error_count == 0 && !out.is_empty() {
            let subs: Vec<Subscriber> = out.into_iter().map(|(_, s, _)| s).collect();
            self.tx.put_subscribers(&subs).await?;
        }
        Ok(())
    }

    async fn flush_sim_changes(&mut self, rows: Vec<(u64, SimChangeEvent)>) -> StoreResult<()> {
        let tenant = self.spec.tenant.clone();
        let msisdns: Vec<PhoneNumber> = rows
            .iter()
            .map(|(_, e)| e.change.msisdn.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let known: HashSet<PhoneNumber> = self
            .tx
            .subscribers_by_msisdn(&tenant, &msisdns)
            .await?
            .into_iter()
            .map(|s| s.msisdn)
            .collect();
        let mut events = Vec::with_capacity(rows.len());
        for (n, e) in rows {
            if known.contains(&e.change.msisdn) {
                events.push(e);
            } else {
                let msg = format!("phoneNumber: {} is not a subscriber", e.change.msisdn);
                self.error(n, msg);
            }
        }
        if self.report.error_count == 0 && !events.is_empty() {
            for new in self.tx.record_sim_changes(&events).await? {
                if new {
                    self.report.inserted += 1;
                } else {
                    self.report.unchanged += 1;
                }
            }
        } else {
            self.report.inserted += events.len() as u64;
        }
        Ok(())
    }

    async fn flush_sessions(&mut self, rows: Vec<(u64, SessionFact)>) -> StoreResult<()> {
        if self.report.error_count > 0 {
            self.report.updated += rows.len() as u64;
            return Ok(());
        }
        let facts: Vec<SessionFact> = rows.into_iter().map(|(_, f)| f).collect();
        for o in self.tx.apply_sessions(&facts).await? {
            if o.applied {
                self.report.updated += 1;
            } else {
                self.report.unchanged += 1;
            }
            if !o.known_subscriber {
                self.report.unknown_subscribers += 1;
            }
        }
        Ok(())
    }
}

/// A CSV record as the JSON object an NDJSON line would have been; empty cells are absent.
fn csv_object(columns: &[&'static str], cells: Vec<String>) -> Result<serde_json::Value, String> {
    if cells.len() != columns.len() {
        return Err(format!(
            "expected {} cells as in the header, found {}",
            columns.len(),
            cells.len()
        ));
    }
    let mut map = serde_json::Map::new();
    for (col, cell) in columns.iter().zip(cells) {
        if !cell.is_empty() {
            map.insert((*col).to_owned(), serde_json::Value::String(cell));
        }
    }
    Ok(serde_json::Value::Object(map))
}

/// The CSV header: known field names, each once, the required ones present.
fn header(kind: ImportKind, cells: &[String]) -> Result<Vec<&'static str>, String> {
    let mut cols = Vec::with_capacity(cells.len());
    for c in cells {
        let name = c.trim();
        let Some(known) = kind.fields().iter().find(|f| **f == name) else {
            return Err(format!(
                "header: unknown column {name:?}; {} columns are {}",
                kind.as_str(),
                kind.fields().join(", ")
            ));
        };
        if cols.contains(known) {
            return Err(format!("header: column {name:?} appears twice"));
        }
        cols.push(*known);
    }
    let missing: Vec<&str> = kind
        .required()
        .iter()
        .filter(|r| !cols.contains(r))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "header: missing required column(s) {}",
            missing.join(", ")
        ));
    }
    Ok(cols)
}

/// Splits one CSV record (RFC 4180: `,` separated, `"` quoted with `""` escapes).
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                c => cell.push(c),
            }
        } else {
            match c {
                ',' => {
                    out.push(finish_cell(&mut cell, was_quoted));
                    was_quoted = false;
                }
                '"' if cell.trim().is_empty() && !was_quoted => {
                    cell.clear();
                    quoted = true;
                    was_quoted = true;
                }
                '"' => return Err("CSV: stray quote inside a cell".into()),
                c if was_quoted && !c.is_whitespace() => {
                    return Err("CSV: text after a closing quote".into())
                }
                c => cell.push(c),
            }
        }
    }
    if quoted {
        return Err("CSV: unterminated quote (cells cannot span lines)".into());
    }
    out.push(finish_cell(&mut cell, was_quoted));
    Ok(out)
}

fn finish_cell(cell: &mut String, was_quoted: bool) -> String {
    let c = std::mem::take(cell);
    if was_quoted {
        c
    } else {
        c.trim().to_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_and_quotes() {
        assert_eq!(split_csv("a, b ,c").unwrap(), ["a", "b", "c"]);
        assert_eq!(
            split_csv(r#""x, y","he said ""hi""",,z"#).unwrap(),
            ["x, y", r#"he said "hi""#, "", "z"]
        );
        assert!(split_csv(r#""open"#).is_err());
        assert!(split_csv(r#"a"b"#).is_err());
        assert!(split_csv(r#""a"b"#).is_err());
    }

    #[test]
    fn csv_header_rules() {
        let cells = |s: &str| split_csv(s).unwrap();
        assert_eq!(
            header(
                ImportKind::Subscribers,
                &cells("simActivatedAt,phoneNumber")
            )
            .unwrap(),
            ["simActivatedAt", "phoneNumber"]
        );
        let e = header(ImportKind::Subscribers, &cells("phoneNumber,foo")).unwrap_err();
        assert!(e.contains("unknown column \"foo\""), "{e}");
        let e = header(ImportKind::Subscribers, &cells("phoneNumber")).unwrap_err();
        assert!(e.contains("simActivatedAt"), "{e}");
        let e = header(
            ImportKind::Subscribers,
            &cells("phoneNumber,phoneNumber,simActivatedAt"),
        )
        .unwrap_err();
        assert!(e.contains("twice"), "{e}");
    }

    #[test]
    fn formats_from_names_and_media_types() {
        assert_eq!(Format::from_file_name("x/subs.csv"), Some(Format::Csv));
        assert_eq!(Format::from_file_name("subs.NDJSON"), Some(Format::Ndjson));
        assert_eq!(Format::from_file_name("subs"), None);
        assert_eq!(
            Format::from_media_type("text/csv; charset=utf-8"),
            Some(Format::Csv)
        );
        assert_eq!(
            Format::from_media_type("application/x-ndjson"),
            Some(Format::Ndjson)
        );
        assert_eq!(Format::from_media_type("text/plain"), None);
    }

    #[test]
    fn random_ids_are_valid_and_distinct() {
        assert_ne!(random_subscriber_id(), random_subscriber_id());
    }
}
