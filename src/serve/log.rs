//! The service's log: one JSON object per line on standard error. Requests are logged by
//! size, SHA-256, verdict and time — never a document's content, never a token.

use std::time::SystemTime;

/// Logs `event` with `fields`.
pub(crate) fn event(event: &str, fields: &[(&str, String)]) {
    let mut line = serde_json::Map::new();
    line.insert(
        "time".into(),
        super::trust::time_text(SystemTime::now()).into(),
    );
    line.insert("event".into(), event.into());
    for (key, value) in fields {
        line.insert((*key).into(), value.clone().into());
    }
    eprintln!("{}", serde_json::Value::Object(line));
}
