//! Pagination for every management list: `limit` (default 50, at most 500) and an opaque
//! `cursor` naming the last item of the previous page (keyset pagination, stable under inserts).
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::{ManageError, ManageResult};

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

/// A validated page request: how many items, and the key of the last item already seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<String>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

impl PageRequest {
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> ManageResult<Self> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT as u32).contains(&n) => n as usize,
            Some(_) => {
                return Err(ManageError::Invalid(format!(
                    "limit must be within 1..={MAX_LIMIT}"
                )))
            }
        };
        let after = match cursor.filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(decode_cursor(c)?),
        };
        Ok(Self { limit, after })
    }
}

/// One page of items and, when more follow, the cursor for the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("k1:{key}"))
}

pub fn decode_cursor(cursor: &str) -> ManageResult<String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("k1:").map(str::to_owned))
        .ok_or_else(|| ManageError::Invalid("cursor is not one this server issued".into()))
}

/// Pages a list already sorted ascending by `key`.
pub fn paginate<T>(items: Vec<T>, key: impl Fn(&T) -> String, req: &PageRequest) -> Page<T> {
    let mut rest: Vec<T> = match &req.after {
        Some(after) => items.into_iter().filter(|i| key(i) > *after).collect(),
        None => items,
    };
    let more = rest.len() > req.limit;
    rest.truncate(req.limit);
    let next_cursor = if more {
        rest.last().map(|last| encode_cursor(&key(last)))
    } else {
        None
    };
    Page {
        items: rest,
        next_cursor,
    }
}

/// Completes a page fetched with `limit + 1` rows from a keyset query.
pub fn from_overfetch<T>(mut rows: Vec<T>, key: impl Fn(&T) -> String, limit: usize) -> Page<T> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more {
        rows.last().map(|last| encode_cursor(&key(last)))
    } else {
        None
    };
    Page {
        items: rows,
        next_cursor,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_a_sorted_list() {
        let items: Vec<String> = (0..7).map(|i| format!("k{i}")).collect();
        let mut req = PageRequest::parse(Some(3), None).unwrap();
        let mut seen = Vec::new();
        loop {
            let p = paginate(items.clone(), |s| s.clone(), &req);
            seen.extend(p.items);
            match p.next_cursor {
                Some(c) => req = PageRequest::parse(Some(3), Some(&c)).unwrap(),
                None => break,
            }
        }
        assert_eq!(seen, items);
    }

    #[test]
    fn limits_and_cursors_are_validated() {
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, 50);
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(501), None).is_err());
        assert!(PageRequest::parse(Some(500), None).is_ok());
        assert!(PageRequest::parse(None, Some("not-ours")).is_err());
        let c = encode_cursor("+34600000001");
        assert_eq!(
            PageRequest::parse(None, Some(&c)).unwrap().after.as_deref(),
            Some("+34600000001")
        );
    }
}
