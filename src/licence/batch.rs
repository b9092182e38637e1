//! Batch input for issuance: CSV with a header row, or JSON lines (one request object per
//! line). Every row is read on its own, so one bad row is reported with its line number
//! and does not stop the others.
//!
//! CSV columns are the request's field names (`holder_name`, `holder_type`,
//! `holder_code`, `valid_to`, …); surface fields are `surface.<key>`; `related` holds
//! identifiers separated by `;`; an empty cell is an absent field. Both forms may carry
//! an `idempotency_key` (e.g. the 办件 number).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::issue::BatchRequest;
use super::model::{LicenceRequest, MAX_INPUT};
use crate::error::{Error, Result};

/// The field a row may carry besides the request's own.
const IDEMPOTENCY_KEY: &str = "idempotency_key";

/// The largest batch file accepted, in bytes.
pub const MAX_BATCH_INPUT: usize = 1 << 30;

/// A batch file's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchFormat {
    /// Comma-separated values with a header row (RFC 4180).
    Csv,
    /// One JSON object per line; blank lines are skipped.
    JsonLines,
}

impl BatchFormat {
    /// The form a file name says: `.csv`, or `.jsonl` / `.ndjson`.
    pub fn from_file_name(name: &str) -> Option<BatchFormat> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(BatchFormat::Csv)
        } else if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
            Some(BatchFormat::JsonLines)
        } else {
            None
        }
    }
}

/// One row of a batch: its line number (1-based, in the file) and the request or why it
/// cannot be read (the field named, prefixed with the line).
pub type BatchRow = (usize, Result<BatchRequest>);

/// Reads a batch file.
pub fn read_batch(bytes: &[u8], format: BatchFormat) -> Result<Vec<BatchRow>> {
    if bytes.len() > MAX_BATCH_INPUT {
        return Err(Error::TooLarge {
            what: "batch file",
            size: bytes.len() as u64,
            limit: MAX_BATCH_INPUT as u64,
        });
    }
    match format {
        BatchFormat::Csv => read_csv(bytes),
        BatchFormat::JsonLines => Ok(read_json_lines(bytes)),
    }
}

fn at_line(line: usize, e: Error) -> Error {
    match e {
        Error::InvalidField { field, problem } => Error::InvalidField {
            field: format!("line {line}: {field}"),
            problem,
        },
        other => Error::InvalidField {
            field: format!("line {line}"),
            problem: other.to_string(),
        },
    }
}

fn read_json_lines(bytes: &[u8]) -> Vec<BatchRow> {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.trim_ascii().is_empty())
        .map(|(i, line)| (i + 1, json_row(line).map_err(|e| at_line(i + 1, e))))
        .collect()
}

fn json_row(line: &[u8]) -> Result<BatchRequest> {
    if line.len() > MAX_INPUT {
        return Err(Error::TooLarge {
            what: "batch row",
            size: line.len() as u64,
            limit: MAX_INPUT as u64,
        });
    }
    let mut object: Map<String, Value> =
        serde_json::from_slice(line).map_err(|e| Error::InvalidField {
            field: "input".into(),
            problem: e.to_string(),
        })?;
    request_of(&mut object)
}

/// Takes the idempotency key out of `object` and reads the rest as a request.
fn request_of(object: &mut Map<String, Value>) -> Result<BatchRequest> {
    let idempotency_key = match object.remove(IDEMPOTENCY_KEY) {
        None | Some(Value::Null) => None,
        Some(Value::String(key)) => Some(key),
        Some(_) => {
            return Err(Error::InvalidField {
                field: IDEMPOTENCY_KEY.into(),
                problem: "not a string".into(),
            });
        }
    };
    let json = serde_json::to_vec(object).expect("a JSON object serialises");
    Ok(BatchRequest {
        request: LicenceRequest::from_json(&json)?,
        idempotency_key,
    })
}

fn read_csv(bytes: &[u8]) -> Result<Vec<BatchRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| Error::malformed("CSV header", e))?
        .clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let row = match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line() as usize);
                (
                    line,
                    csv_row(&headers, &record).map_err(|e| at_line(line, e)),
                )
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                let problem = e.to_string();
                (
                    line,
                    Err(Error::InvalidField {
                        field: format!("line {line}"),
                        problem,
                    }),
                )
            }
        };
        rows.push(row);
    }
    Ok(rows)
}

fn csv_row(headers: &csv::StringRecord, record: &csv::StringRecord) -> Result<BatchRequest> {
    let mut object = Map::new();
    let mut surface = BTreeMap::new();
    for (name, cell) in headers.iter().zip(record.iter()) {
        if cell.trim().is_empty() {
            continue;
        }
        let value = match name {
            "version" => {
                Value::from(
                    cell.trim()
                        .parse::<u64>()
                        .map_err(|_| Error::InvalidField {
                            field: "version".into(),
                            problem: format!("{cell:?} is not a number"),
                        })?,
                )
            }
            "privacy" => Value::from(match cell.trim() {
                "true" | "1" | "是" => true,
                "false" | "0" | "否" => false,
                other => {
                    return Err(Error::InvalidField {
                        field: "privacy".into(),
                        problem: format!("{other:?} is not true or false"),
                    });
                }
            }),
            "related" => Value::from(
                cell.split(';')
                    .map(|s| Value::from(s.trim()))
                    .collect::<Vec<_>>(),
            ),
            _ => Value::from(cell),
        };
        match name.strip_prefix("surface.") {
            Some(key) => {
                surface.insert(key.to_owned(), value);
            }
            None => {
                object.insert(name.to_owned(), value);
            }
        }
    }
    if !surface.is_empty() {
        object.insert("surface".into(), Value::from(Map::from_iter(surface)));
    }
    request_of(&mut object)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "idempotency_key,holder_name,holder_type,holder_code,surface.fr,related\n\
        K1,某某公司,001,91220101MA00000010,张三,\n\
        K2,某某公司二,001,91220101MA00000029,李四,a;b\n\
        ,,,\n";

    #[test]
    fn csv_rows_become_requests_or_named_errors() {
        let rows = read_batch(CSV.as_bytes(), BatchFormat::Csv).unwrap();
        assert_eq!(rows.len(), 3);
        let (line, first) = &rows[0];
        assert_eq!(*line, 2);
        let first = first.as_ref().unwrap();
        assert_eq!(first.idempotency_key.as_deref(), Some("K1"));
        assert_eq!(first.request.surface["fr"], "张三");
        let (line, second) = &rows[1];
        assert_eq!(*line, 3);
        match second {
            Err(Error::InvalidField { field, .. }) => assert_eq!(field, "line 3: related[0]"),
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(&rows[2], (4, Err(Error::InvalidField { field, .. })) if field == "line 4")
        );
    }

    #[test]
    fn json_lines_skip_blank_lines_and_name_fields() {
        let text = "{\"holder_name\":\"甲\",\"holder_type\":\"001\",\"holder_code\":\"X\",\"idempotency_key\":\"K\"}\n\n\
                    {\"holder_name\":\"乙\"}\n[1]\n";
        let rows = read_batch(text.as_bytes(), BatchFormat::JsonLines).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].0, 1);
        assert_eq!(
            rows[0].1.as_ref().unwrap().idempotency_key.as_deref(),
            Some("K")
        );
        assert!(
            matches!(&rows[1], (3, Err(Error::InvalidField { field, .. })) if field == "line 3: holder_type")
        );
        assert!(
            matches!(&rows[2], (4, Err(Error::InvalidField { field, .. })) if field == "line 4: input")
        );
    }
}
