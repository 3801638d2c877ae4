//! Printing: the API's JSON (`--output json`) or aligned text tables.
use clap::ValueEnum;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Output {
    #[default]
    Table,
    Json,
}

/// A cell: strings bare, lists comma-separated, absent values as `-`.
fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => {
            if a.is_empty() {
                "-".into()
            } else {
                a.iter()
                    .map(|x| match x {
                        Value::Object(o) => o
                            .get("purpose")
                            .map(|p| cell(Some(p)))
                            .unwrap_or_else(|| x.to_string()),
                        other => cell(Some(other)),
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            }
        }
        Some(other) => other.to_string(),
    }
}

fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(headers.iter().map(|h| h.to_uppercase()).collect())];
    out.extend(rows.iter().map(|r| line(r.clone())));
    out.join("\n")
}

/// One resource: JSON, or `key  value` lines.
pub fn one<T: Serialize>(output: Output, v: &T) -> anyhow::Result<()> {
    let json = serde_json::to_value(v)?;
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&json)?),
        Output::Table => {
            let rows: Vec<Vec<String>> = match &json {
                Value::Object(m) => m
                    .iter()
                    .map(|(k, v)| {
                        let text = match v {
                            Value::Object(_) => v.to_string(),
                            other => cell(Some(other)),
                        };
                        vec![k.clone(), text]
                    })
                    .collect(),
                other => vec![vec!["value".into(), other.to_string()]],
            };
            println!("{}", table(&["field", "value"], &rows));
        }
    }
    Ok(())
}

/// A page of items (`{items, nextCursor?}`): JSON, or a table of the given columns.
pub fn page<T: Serialize>(output: Output, page: &T, columns: &[&str]) -> anyhow::Result<()> {
    let json = serde_json::to_value(page)?;
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&json)?),
        Output::Table => {
            let rows: Vec<Vec<String>> = json["items"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .map(|it| columns.iter().map(|c| cell(it.get(*c))).collect())
                        .collect()
                })
                .unwrap_or_default();
            println!("{}", table(columns, &rows));
            if let Some(c) = json["nextCursor"].as_str() {
                println!("(more: --cursor {c})");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_render_cells() {
        let t = table(
            &["id", "scopes"],
            &[
                vec!["a".into(), cell(Some(&serde_json::json!(["x", "y"])))],
                vec!["long-id".into(), cell(None)],
            ],
        );
        assert_eq!(t, "ID       SCOPES\na        x,y\nlong-id  -");
    }
}
