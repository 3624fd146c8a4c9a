//! Times are Unix milliseconds inside Tenantry; this is their text form for people and APIs.

/// RFC 3339 UTC text of a Unix-milliseconds time (empty if out of range).
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}
